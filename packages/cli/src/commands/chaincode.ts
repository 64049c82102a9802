// SPDX-License-Identifier: Apache-2.0
// `metroledger chaincode package|serve`: Fabric packages of the repository's chaincodes (node for
// peers that build chaincode with Docker, ccaas for peers that do not) and the chaincode server a
// ccaas package points to. The flags are an interface the production kit scripts rely on.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  buildCcaasPackage,
  LifecycleError,
  packageWorkspaceChaincode,
  readChaincodePackage,
  serveChaincode,
  statedChaincode,
  WORKSPACE_CHAINCODES,
  type CcaasConnection,
  type ChaincodePackage,
  type WorkspaceChaincode,
} from '@metroledger/lifecycle';

function chaincodeArg(value: string): WorkspaceChaincode {
  if (!(WORKSPACE_CHAINCODES as readonly string[]).includes(value))
    throw new LifecycleError('BAD_SOURCE', `unknown chaincode ${JSON.stringify(value)}: one of ${WORKSPACE_CHAINCODES.join(', ')}`);
  return value as WorkspaceChaincode;
}

interface PackageOptions {
  form: string;
  address?: string;
  dialTimeout: string;
  tlsRequired?: boolean;
  rootCert?: string;
  clientAuthRequired?: boolean;
  clientCert?: string;
  clientKey?: string;
  label?: string;
  out?: string;
  json?: boolean;
}

async function pem(file: string | undefined): Promise<string | undefined> {
  return file === undefined ? undefined : await readFile(file, 'utf8');
}

/** What `chaincode package` made: the interface the kit scripts parse with --json. */
interface PackageReport {
  file: string;
  packageId: string;
  label: string;
  /** The digest of the code the package runs (ccaas: the code it declares). */
  codeDigest: string;
  form: 'node' | 'ccaas';
  /** ccaas: the node package of the same code, the id the notified body approves. */
  nodePackageId?: string;
}

async function makePackage(
  chaincode: WorkspaceChaincode,
  opts: PackageOptions,
): Promise<{ pkg: ChaincodePackage; report: Omit<PackageReport, 'file'> }> {
  const node = await packageWorkspaceChaincode(chaincode, opts.label !== undefined ? { label: opts.label } : {});
  if (opts.form === 'node') {
    if (opts.address !== undefined || opts.tlsRequired)
      throw new LifecycleError('BAD_CONNECTION', '--address and TLS options are for --form ccaas');
    return { pkg: node, report: { packageId: node.packageId, label: node.label, codeDigest: node.codeDigest, form: 'node' } };
  }
  if (opts.form !== 'ccaas')
    throw new LifecycleError('UNSUPPORTED_PACKAGE_TYPE', `--form must be node or ccaas, not ${JSON.stringify(opts.form)}`);
  if (opts.address === undefined)
    throw new LifecycleError('BAD_ADDRESS', '--form ccaas needs --address HOST:PORT (where the peer reaches the chaincode server)');
  const connection: CcaasConnection = { address: opts.address, dialTimeout: opts.dialTimeout, tlsRequired: opts.tlsRequired === true };
  const rootCert = await pem(opts.rootCert);
  const clientCert = await pem(opts.clientCert);
  const clientKey = await pem(opts.clientKey);
  if (rootCert !== undefined) connection.rootCert = rootCert;
  if (opts.clientAuthRequired) connection.clientAuthRequired = true;
  if (clientCert !== undefined) connection.clientCert = clientCert;
  if (clientKey !== undefined) connection.clientKey = clientKey;
  const pkg = buildCcaasPackage({ nodePackage: node, ...statedChaincode(chaincode), connection });
  return {
    pkg,
    report: { packageId: pkg.packageId, label: pkg.label, codeDigest: node.codeDigest, form: 'ccaas', nodePackageId: node.packageId },
  };
}

/** Registers `metroledger chaincode …`. */
export function registerChaincodeCommands(program: Command): void {
  const cc = program
    .command('chaincode')
    .description('Fabric packages of the lr and governance chaincodes, and the chaincode server for chaincode-as-a-service');

  cc.command('package')
    .description('write a deterministic Fabric package of a chaincode from the built repository and print its package id')
    .argument('<chaincode>', `one of ${WORKSPACE_CHAINCODES.join(', ')}`, chaincodeArg)
    .option(
      '--form <form>',
      'node (the peer builds and runs the code; needs Docker) or ccaas (the peer dials a chaincode server: `metroledger chaincode serve`)',
      'node',
    )
    .option(
      '--address <host:port>',
      'ccaas: where peers reach the chaincode server (Fabric ccaas builder templates such as {{.peername}} allowed)',
    )
    .option('--dial-timeout <duration>', 'ccaas: Go duration the peer waits to connect', '10s')
    .option('--tls-required', 'ccaas: the peer connects with TLS (needs --root-cert)')
    .option('--root-cert <file>', 'ccaas: PEM of the CA that issued the chaincode server TLS certificate')
    .option(
      '--client-auth-required',
      'ccaas: the server requires a TLS client certificate from the peer (needs --client-cert and --client-key)',
    )
    .option('--client-cert <file>', "ccaas: PEM of the peer's TLS client certificate")
    .option('--client-key <file>', "ccaas: PEM of the peer's TLS client key (it goes into the package: keep the package private)")
    .option(
      '--label <label>',
      "node package label (default: the chaincode's own, e.g. metroledger-speed_1.0.0); a ccaas label is <label>_ccaas_<code digest>",
    )
    .option('--out <file>', 'output file (default: <label>.tar.gz, ccaas: <node label>.ccaas.tar.gz)')
    .option('--json', 'print { file, packageId, label, codeDigest, form, nodePackageId? } as JSON')
    .action(async (chaincode: WorkspaceChaincode, opts: PackageOptions) => {
      const { pkg, report } = await makePackage(chaincode, opts);
      const file =
        opts.out ??
        (report.form === 'ccaas'
          ? `${report.nodePackageId!.slice(0, report.nodePackageId!.indexOf(':'))}.ccaas.tar.gz`
          : `${pkg.label}.tar.gz`);
      await writeFile(file, pkg.bytes);
      const full: PackageReport = { file, ...report };
      if (opts.json) {
        console.log(JSON.stringify(full));
        return;
      }
      console.log(`package id:   ${full.packageId}`);
      console.log(`form:         ${full.form}`);
      console.log(`code digest:  ${full.codeDigest}`);
      if (full.nodePackageId !== undefined)
        console.log(`node package: ${full.nodePackageId} (the same code; the id the notified body approves)`);
      console.log(`file:         ${file} (${pkg.bytes.length} bytes)`);
    });

  cc.command('serve')
    .description(
      'run a chaincode as a service (fabric-shim server) for the ccaas package whose id is given, until SIGTERM/SIGINT; refuses to start unless the code is the code that package declares',
    )
    .argument('<chaincode>', `one of ${WORKSPACE_CHAINCODES.join(', ')}`, chaincodeArg)
    .requiredOption('--address <host:port>', 'address to listen on (port 0: any free port)')
    .requiredOption(
      '--package-id <id>',
      'the installed ccaas package id (`peer lifecycle chaincode calculatepackageid`): the chaincode registers with the peer under it',
    )
    .option('--tls-cert <file>', 'TLS server certificate (PEM)')
    .option('--tls-key <file>', 'TLS server key (PEM)')
    .option('--tls-client-ca <file>', 'require TLS client certificates issued by this CA (PEM)')
    .option('--code-package <file>', 'serve the code of this node package (default: the package built from this repository)')
    .option('--work-dir <dir>', 'extract the code into this absent or empty directory and keep it (default: a temporary directory)')
    .action(
      async (
        chaincode: WorkspaceChaincode,
        opts: {
          address: string;
          packageId: string;
          tlsCert?: string;
          tlsKey?: string;
          tlsClientCa?: string;
          codePackage?: string;
          workDir?: string;
        },
      ) => {
        if (
          (opts.tlsCert === undefined) !== (opts.tlsKey === undefined) ||
          (opts.tlsClientCa !== undefined && opts.tlsCert === undefined)
        ) {
          throw new LifecycleError('BAD_CONNECTION', 'TLS needs both --tls-cert and --tls-key (--tls-client-ca only with them)');
        }
        const code =
          opts.codePackage === undefined
            ? await packageWorkspaceChaincode(chaincode)
            : readChaincodePackage(await readFile(opts.codePackage));
        const tls =
          opts.tlsCert === undefined
            ? undefined
            : {
                cert: await readFile(opts.tlsCert),
                key: await readFile(opts.tlsKey!),
                ...(opts.tlsClientCa !== undefined ? { clientCa: await readFile(opts.tlsClientCa) } : {}),
              };
        const server = await serveChaincode({
          code,
          address: opts.address,
          packageId: opts.packageId,
          ...(tls !== undefined ? { tls } : {}),
          ...(opts.workDir !== undefined ? { workDir: opts.workDir } : {}),
        });
        const host = server.host.includes(':') ? `[${server.host}]` : server.host;
        console.log(
          `metroledger chaincode server: ${chaincode} listening on ${host}:${server.port} package-id=${server.packageId} code-digest=${server.codeDigest} tls=${tls === undefined ? 'off' : tls.clientCa === undefined ? 'on' : 'mutual'}`,
        );
        await new Promise<void>((done) => {
          const stop = (signal: string): void => {
            console.error(`metroledger chaincode server: ${signal}, stopping`);
            void server.close().then(done, done);
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        });
        process.exit(0);
      },
    );
}
