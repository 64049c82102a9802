// SPDX-License-Identifier: Apache-2.0
// The chaincode server for chaincode-as-a-service: the code of a node package, extracted and run
// under fabric-shim's server (what `fabric-chaincode-node server --chaincode-address --chaincode-id
// --module-path` does), after checking that this code is the code the package id declares.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installedCodeDigest } from '@metroledger/chaincode/api';
import { declaredCodeDigest, parseAddress } from './ccaas';
import { LifecycleError } from './errors';
import { extractChaincodePackage } from './extract';
import { parsePackageId, readChaincodePackage, type ChaincodePackage } from './package';

export interface ServeChaincodeOptions {
  /** The node package whose code to serve (e.g. packageWorkspaceChaincode('lr')). */
  code: ChaincodePackage | Uint8Array;
  /** HOST:PORT to listen on (port 0: any free port). */
  address: string;
  /**
   * The id of the installed ccaas package: the chaincode registers with it (a peer accepts no
   * other), and its label must declare the digest of `code`.
   */
  packageId: string;
  /** TLS: server certificate and key (PEM); with `clientCa`, peers must present a certificate it issued. */
  tls?: { cert: Uint8Array; key: Uint8Array; clientCa?: Uint8Array };
  /** Where to extract the code: an absent or empty directory, kept. Default: a fresh temporary directory, removed on close. */
  workDir?: string;
}

export interface ChaincodeServer {
  readonly host: string;
  /** The port listened on (the bound one when asked for 0). */
  readonly port: number;
  readonly packageId: string;
  /** The digest of the code served, computed over the extracted tree (equal to the declared one). */
  readonly codeDigest: string;
  /** The chaincode module directory (package.json, dist/, lib/). */
  readonly moduleDir: string;
  /** Stops listening (in-flight streams are cut after `graceMs`, default 2 s) and removes a temporary workDir. */
  close(graceMs?: number): Promise<void>;
}

/** fabric-shim's ChaincodeServer (lib/server.js, fabric-shim 2.5.8): start() binds and resolves, without the port. */
interface ShimServer {
  start(): Promise<void>;
  _server: {
    bindAsync(address: string, creds: unknown, cb: (err: Error | null, port: number) => void): void;
    tryShutdown(cb: (err?: Error) => void): void;
    forceShutdown(): void;
  };
}

interface ShimBootstrap {
  getInfoFromContract(modulePath: string): { contracts: unknown[]; serializers: unknown; title: string; version: string };
  getMetadata(modulePath: string): Promise<unknown>;
}

type ProcessEvents = 'uncaughtException' | 'unhandledRejection';
const proc = process as unknown as {
  listeners(e: ProcessEvents): ((...a: unknown[]) => void)[];
  removeListener(e: ProcessEvents, l: (...a: unknown[]) => void): void;
};
const HOOKED: readonly ProcessEvents[] = ['uncaughtException', 'unhandledRejection'];

/**
 * Serves a chaincode's code as a service, as `fabric-chaincode-node server` would, after three
 * checks: the package id's label declares a code digest (`<label>_ccaas_<digest>`, as
 * {@link buildCcaasPackage} makes); the node package's code digest is that digest; and the tree
 * extracted to run is still that digest. The served module is the extracted tree, with its
 * vendored workspace modules; fabric-contract-api and fabric-shim are the installed ones at the
 * versions the package pins (DEPENDENCY_MISMATCH otherwise).
 * @throws {@link LifecycleError} BAD_ADDRESS, BAD_PACKAGE_ID, CODE_NOT_DECLARED,
 *   CODE_DIGEST_MISMATCH, SERVER_FAILED (the code does not load or the address cannot be bound).
 */
export async function serveChaincode(opts: ServeChaincodeOptions): Promise<ChaincodeServer> {
  const { host, port } = parseAddress(opts.address);
  parsePackageId(opts.packageId);
  const declared = declaredCodeDigest(opts.packageId);
  if (declared === undefined) {
    throw new LifecycleError(
      'CODE_NOT_DECLARED',
      `package id ${opts.packageId} declares no code digest (a metroledger ccaas package id is <label>_ccaas_<code digest>:<sha256>)`,
      { packageId: opts.packageId },
    );
  }
  const pkg = opts.code instanceof Uint8Array ? readChaincodePackage(opts.code) : opts.code;
  if (pkg.metadata.type !== 'node')
    throw new LifecycleError('UNSUPPORTED_PACKAGE_TYPE', `the code to serve must be a node package, not ${pkg.metadata.type}`);
  if (pkg.codeDigest !== declared) {
    throw new LifecycleError(
      'CODE_DIGEST_MISMATCH',
      `this code is ${pkg.codeDigest} (${pkg.packageId}), but package ${opts.packageId} declares code ${declared}: refusing to serve it`,
      { declared, found: pkg.codeDigest },
    );
  }

  const temporary = opts.workDir === undefined;
  const workDir = temporary ? await mkdtemp(join(tmpdir(), 'metroledger-ccaas-')) : resolve(opts.workDir!);
  const cleanup = async (): Promise<void> => {
    if (temporary) await rm(workDir, { recursive: true, force: true });
  };
  try {
    const extracted = await extractChaincodePackage(pkg.bytes, workDir);
    const running = installedCodeDigest(extracted.moduleDir);
    if (running !== declared) {
      throw new LifecycleError(
        'CODE_DIGEST_MISMATCH',
        `the extracted code in ${extracted.moduleDir} is ${String(running)}, not the declared ${declared}`,
        { declared, found: running },
      );
    }
    const server = await startShimServer(extracted.moduleDir, {
      ccid: opts.packageId,
      address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      tls: opts.tls,
    });
    let closed = false;
    return {
      host,
      port: server.port,
      packageId: opts.packageId,
      codeDigest: running,
      moduleDir: extracted.moduleDir,
      async close(graceMs = 2000) {
        if (closed) return;
        closed = true;
        await new Promise<void>((done) => {
          const force = setTimeout(() => {
            server.shim._server.forceShutdown();
            done();
          }, graceMs);
          server.shim._server.tryShutdown(() => {
            clearTimeout(force);
            done();
          });
        });
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

interface GrpcMethod {
  responseSerialize(m: unknown): Buffer;
  requestSerialize(m: unknown): Buffer;
}

/**
 * fabric-shim 2.5.8 builds its messages with the `peer.ChaincodeMessage` of its own
 * @hyperledger/fabric-protos (0.2.x) index, and its gRPC service refuses to send any message that
 * is not an instance of that file's class. google-protobuf's generated files export the global
 * namespace as it stood when they loaded, so when the project's fabric-protos 0.3.x loaded first
 * (as in the metroledger CLI), the 0.2.x index hands fabric-shim the 0.3.x class: every message
 * to the peer then fails with "Error serializing response". Both classes write the same wire
 * format, so the service is told to serialize any such message.
 */
function serializeAnyChaincodeMessage(shimRequire: NodeRequire): void {
  const index = shimRequire('@hyperledger/fabric-protos') as {
    peer: { ChaincodeMessage: unknown; ChaincodeService: { connect: GrpcMethod } };
  };
  const file = shimRequire('@hyperledger/fabric-protos/lib/peer/chaincode_shim_pb.js') as { ChaincodeMessage: unknown };
  if (index.peer.ChaincodeMessage === file.ChaincodeMessage) return;
  const serialize = (m: unknown): Buffer => Buffer.from((m as { serializeBinary(): Uint8Array }).serializeBinary());
  index.peer.ChaincodeService.connect.responseSerialize = serialize;
  index.peer.ChaincodeService.connect.requestSerialize = serialize;
}

async function startShimServer(
  moduleDir: string,
  o: { ccid: string; address: string; tls: ServeChaincodeOptions['tls'] },
): Promise<{ shim: ShimServer; port: number }> {
  // fabric's loggers read the level once, on first load; at INFO every transaction is logged.
  process.env['CORE_CHAINCODE_LOGGING_LEVEL'] ??= 'error';
  const before = new Set(HOOKED.flatMap((e) => proc.listeners(e)));
  // Resolve fabric-shim as the served module does (its node_modules links), so the server and
  // the contracts share one fabric-contract-api.
  const req = createRequire(join(moduleDir, 'package.json'));
  let shim: ShimServer;
  try {
    const Bootstrap = req('fabric-shim/lib/contract-spi/bootstrap') as ShimBootstrap;
    const ChaincodeFromContract = req('fabric-shim/lib/contract-spi/chaincodefromcontract') as new (...a: unknown[]) => unknown;
    const shimApi = req('fabric-shim') as { server(chaincode: unknown, opts: Record<string, unknown>): ShimServer };
    serializeAnyChaincodeMessage(createRequire(req.resolve('fabric-shim')));
    // As fabric-shim's Bootstrap.bootstrap(serverMode) does, without reading process.argv.
    const info = Bootstrap.getInfoFromContract(moduleDir);
    const fileMetadata = await Bootstrap.getMetadata(moduleDir);
    const chaincode = new ChaincodeFromContract(info.contracts, info.serializers, fileMetadata, info.title, info.version);
    const tlsProps =
      o.tls === undefined
        ? undefined
        : {
            cert: Buffer.from(o.tls.cert),
            key: Buffer.from(o.tls.key),
            ...(o.tls.clientCa !== undefined ? { clientCACerts: Buffer.from(o.tls.clientCa) } : {}),
          };
    shim = shimApi.server(chaincode, { ccid: o.ccid, address: o.address, ...(tlsProps !== undefined ? { tlsProps } : {}) });
  } catch (err) {
    throw new LifecycleError(
      'SERVER_FAILED',
      `cannot load the chaincode in ${moduleDir}: ${(err as Error).message}`,
      { moduleDir },
      { cause: err },
    );
  } finally {
    // fabric-contract-api's logger turns any later crash into a log line and exit code 0: undo that.
    for (const e of HOOKED) for (const l of proc.listeners(e)) if (!before.has(l)) proc.removeListener(e, l);
  }
  // fabric-shim's start() drops the bound port; listen for it so that port 0 can be used.
  let port = -1;
  const bindAsync = shim._server.bindAsync.bind(shim._server);
  shim._server.bindAsync = (address, creds, cb) =>
    bindAsync(address, creds, (err, bound) => {
      port = bound;
      cb(err, bound);
    });
  try {
    await shim.start();
  } catch (err) {
    throw new LifecycleError(
      'SERVER_FAILED',
      `cannot listen on ${o.address}: ${(err as Error).message}`,
      { address: o.address },
      { cause: err },
    );
  }
  return { shim, port };
}
