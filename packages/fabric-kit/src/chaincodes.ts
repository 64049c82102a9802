// SPDX-License-Identifier: Apache-2.0
// Deploys the chaincodes as a service through Fabric's full lifecycle: each organization packages
// (connection.json naming its own chaincode server), installs on its peer, starts its chaincode
// server and approves the definition; then the definition is committed once LifecycleEndorsement
// (the notified body and a computing provider) is satisfied.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildChaincodePackage } from '@metroledger/lifecycle';
import { tlsCaFile } from './crypto.js';
import { FabricKitError } from './errors.js';
import { run } from './fabric.js';
import { ordererFlags, peerAdminEnv, retry, type Log } from './network.js';
import { KIT_DIR } from './overlay.js';
import { listening, startProcess, stopProcesses, waitUntil, type NodeProcess } from './processes.js';
import { writeState, type DeployedChaincode, type NetworkState } from './state.js';
import {
  CHANNEL,
  chaincodeServerPort,
  ENDORSEMENT_POLICY,
  HOST,
  PEER_ORGS,
  peersAt,
  type ChaincodeName,
  type PeerNode,
} from './topology.js';

/** A package file and the id `peer lifecycle chaincode install` gives it. */
export interface PackagedChaincode {
  readonly file: string;
  readonly packageId: string;
}

/** Makes the ccaas package an organization installs: its connection.json names that organization's server. */
export type Packager = (cc: ChaincodeName, version: string, address: string, outFile: string) => Promise<PackagedChaincode>;

/** How a chaincode server process is started for an installed package. */
export interface ServerCommand {
  readonly file: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}
/** `nodeArgs`: options for node itself (e.g. --cpu-prof) before the script. */
export type ServerLauncher = (cc: ChaincodeName, address: string, packageId: string, nodeArgs?: readonly string[]) => ServerCommand;

/** The `metroledger` command (@metroledger/cli), as an operator runs it. */
export function metroledgerCli(): string {
  return require.resolve('@metroledger/cli/main');
}

/**
 * lr and governance: `metroledger chaincode package <cc> --form ccaas --address … --json`, the
 * deterministic ccaas package whose label declares the code digest the chaincode server must run.
 * basic (the bench's baseline, not a metroledger chaincode): a ccaas package of connection.json only.
 */
export const ccaasPackager: Packager = async (cc, version, address, outFile) => {
  await mkdir(dirname(outFile), { recursive: true });
  if (cc === 'basic') {
    const connection = { address, dial_timeout: '10s', tls_required: false };
    const pkg = buildChaincodePackage({
      label: `basic_${version}`,
      type: 'ccaas',
      files: new Map([['connection.json', Buffer.from(JSON.stringify(connection))]]),
    });
    await writeFile(outFile, pkg.bytes);
    return { file: outFile, packageId: pkg.packageId };
  }
  const out = await run(process.execPath, [
    metroledgerCli(),
    'chaincode',
    'package',
    cc,
    '--form',
    'ccaas',
    '--address',
    address,
    '--out',
    outFile,
    '--json',
  ]);
  const report = JSON.parse(out.slice(out.indexOf('{'))) as { file: string; packageId: string };
  return { file: outFile, packageId: report.packageId };
};

/** The module directory fabric-chaincode-node loads for basic (`contracts` export of its package.json main). */
export const BASIC_CHAINCODE_DIR = join(KIT_DIR, 'chaincode', 'basic');

/**
 * lr and governance: `metroledger chaincode serve <cc> --address … --package-id …`, which refuses to
 * start unless the code is the code the package id declares. basic: fabric-shim's own server.
 */
export const ccaasLauncher: ServerLauncher = (cc, address, packageId, nodeArgs = []) => {
  // The shim logs every transaction at INFO otherwise. Not WARNING: fabric-shim's setLevel writes
  // the winston name ('warn') back into this variable, which its getLogger then reads as INFO for
  // every logger made afterwards (its handler's included); ERROR survives that round trip.
  const env = { CORE_CHAINCODE_LOGGING_LEVEL: 'ERROR' };
  if (cc === 'basic') {
    return {
      file: process.execPath,
      env,
      args: [
        ...nodeArgs,
        join(BASIC_CHAINCODE_DIR, 'server.js'),
        'server',
        '--chaincode-address',
        address,
        '--chaincode-id',
        packageId,
        '--module-path',
        BASIC_CHAINCODE_DIR,
      ],
    };
  }
  return {
    file: process.execPath,
    env,
    args: [...nodeArgs, metroledgerCli(), 'chaincode', 'serve', cc, '--address', address, '--package-id', packageId],
  };
};

export interface DeployOptions {
  readonly chaincodes: readonly ChaincodeName[];
  readonly version: string;
  /**
   * lr only: each computing provider checks its package against the notified body's approval on
   * the ledger (`metroledger lr install`) before installing it, and nothing is deployed without one
   * (default true; the notified body approves version 1.0 of this repository's LR code first when
   * the registry has no approval yet).
   */
  readonly checkApproval?: boolean;
  readonly packager?: Packager;
  readonly launcher?: ServerLauncher;
  readonly log: Log;
}

/** Deploys (or upgrades to `version`) each chaincode on every peer and commits its definition. */
export async function deploy(state: NetworkState, opts: DeployOptions): Promise<DeployedChaincode[]> {
  const deployed: DeployedChaincode[] = [];
  for (const cc of opts.chaincodes) deployed.push(await deployOne(state, cc, opts));
  return deployed;
}

async function deployOne(state: NetworkState, cc: ChaincodeName, opts: DeployOptions): Promise<DeployedChaincode> {
  const packager = opts.packager ?? ccaasPackager;
  const launcher = opts.launcher ?? ccaasLauncher;
  const policy = ENDORSEMENT_POLICY[cc];
  const peers = peersAt(state.portBase);
  const sequence = (await committedSequence(state, peers[0]!, cc)) + 1;
  const packageIds: Record<string, string> = {};
  const checkApproval = cc === 'lr' && opts.checkApproval !== false;
  if (checkApproval) await ensureLrApproval(state, opts.version, opts.log);
  for (const peer of peers) {
    const address = `${HOST}:${chaincodeServerPort(peer, cc, state.portBase)}`;
    const pkg = await packager(cc, opts.version, address, join(state.dir, 'chaincode', cc, `${cc}_${opts.version}.${peer.domain}.tar.gz`));
    if (checkApproval) {
      // the provider's check before install: FINGERPRINT_MISMATCH, UNAPPROVED_PACKAGE … exit 1
      await metroledger(state, peer.mspId, ['lr', 'install', pkg.file, '--version', opts.version]);
    }
    await installPackage(state, peer, pkg);
    packageIds[peer.fqdn] = pkg.packageId;
    await startChaincodeServer(state, cc, peer, address, pkg.packageId, launcher);
    await run(
      peerBin(state),
      [
        'lifecycle',
        'chaincode',
        'approveformyorg',
        ...ordererFlags(state),
        '--channelID',
        CHANNEL,
        '--name',
        cc,
        '--version',
        opts.version,
        '--sequence',
        String(sequence),
        '--package-id',
        pkg.packageId,
        '--signature-policy',
        policy,
        '--waitForEvent',
      ],
      { env: peerAdminEnv(state, peer) },
    );
    opts.log(`${cc} ${opts.version}: ${peer.mspId} installed ${pkg.packageId}, serves it on ${address}, approved sequence ${sequence}`);
  }
  await run(
    peerBin(state),
    [
      'lifecycle',
      'chaincode',
      'commit',
      ...ordererFlags(state),
      '--channelID',
      CHANNEL,
      '--name',
      cc,
      '--version',
      opts.version,
      '--sequence',
      String(sequence),
      '--signature-policy',
      policy,
      '--waitForEvent',
      ...peers.flatMap((p) => ['--peerAddresses', `${HOST}:${p.port}`, '--tlsRootCertFiles', tlsCaFile(state.dir, state.profile, p.mspId)]),
    ],
    { env: peerAdminEnv(state, peers[0]!) },
  );
  for (const peer of peers) {
    await retry(
      async () => {
        if ((await committedSequence(state, peer, cc)) !== sequence)
          throw new Error(`${peer.fqdn} has not committed ${cc} sequence ${sequence}`);
      },
      10,
      500,
    );
  }
  opts.log(`${cc} ${opts.version}: definition sequence ${sequence} committed, endorsement policy ${policy}`);
  const record: DeployedChaincode = { name: cc, version: opts.version, sequence, endorsementPolicy: policy, packageIds };
  state.chaincodes = [...state.chaincodes.filter((c) => c.name !== cc), record];
  await writeState(state);
  return record;
}

function peerBin(state: NetworkState): string {
  return join(state.fabric.binDir, 'peer');
}

/** Installs unless the peer already has the package (a re-run of deploy). */
async function installPackage(state: NetworkState, peer: PeerNode, pkg: PackagedChaincode): Promise<void> {
  const env = peerAdminEnv(state, peer);
  const installed = await run(peerBin(state), ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'], { env });
  if (installed.includes(pkg.packageId)) return;
  await run(peerBin(state), ['lifecycle', 'chaincode', 'install', pkg.file], { env, timeoutMs: 300_000 });
  const after = await run(peerBin(state), ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'], { env });
  if (!after.includes(pkg.packageId)) {
    throw new FabricKitError(
      'COMMAND_FAILED',
      `${peer.fqdn} did not list ${pkg.packageId} after installing ${pkg.file}: ${after.trim().slice(-300)}`,
    );
  }
}

/** The committed definition's sequence on a peer, 0 when the chaincode has none. */
export async function committedSequence(state: NetworkState, peer: PeerNode, cc: string): Promise<number> {
  try {
    const out = await run(
      peerBin(state),
      ['lifecycle', 'chaincode', 'querycommitted', '--channelID', CHANNEL, '--name', cc, '--output', 'json'],
      { env: peerAdminEnv(state, peer) },
    );
    const parsed = JSON.parse(out.slice(out.indexOf('{'))) as { sequence?: number };
    return parsed.sequence ?? 0;
  } catch (err) {
    if (err instanceof FabricKitError && /not defined|not found|does not exist/i.test(String(err.details?.output ?? ''))) return 0;
    throw err;
  }
}

async function startChaincodeServer(
  state: NetworkState,
  cc: ChaincodeName,
  peer: PeerNode,
  address: string,
  packageId: string,
  launcher: ServerLauncher,
  nodeArgs: readonly string[] = [],
): Promise<NodeProcess> {
  const name = `${cc}@${peer.fqdn}`;
  const previous = state.processes.filter((p) => p.name === name);
  if (previous.length > 0) {
    await stopProcesses(previous);
    state.processes = state.processes.filter((p) => p.name !== name);
  }
  const cmd = launcher(cc, address, packageId, nodeArgs);
  const home = join(state.dir, 'chaincode', cc);
  await mkdir(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...cmd.env };
  const p = startProcess({
    name,
    kind: 'chaincode',
    file: cmd.file,
    args: cmd.args,
    env,
    cwd: home,
    log: join(state.dir, 'logs', `${name}.log`),
  });
  // recorded by the script it runs, not by `node`: /proc/<pid>/cmdline identifies it
  const tracked: NodeProcess = { ...p, command: cmd.args.find((a) => a.endsWith('.js')) ?? cmd.file };
  state.processes.push(tracked);
  await writeState(state);
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  await waitUntil(tracked, () => listening(host, port), 30_000);
  return tracked;
}

/**
 * Restarts every chaincode server of the network (same package ids and addresses), each with the
 * options `nodeArgs(chaincode, peer)` gives node (e.g. ['--cpu-prof', '--cpu-prof-dir=…']; [] to
 * run them plainly again).
 */
export async function restartChaincodeServers(
  state: NetworkState,
  nodeArgs: (cc: ChaincodeName, peer: PeerNode) => readonly string[],
  log: Log,
): Promise<void> {
  for (const deployed of state.chaincodes) {
    for (const peer of peersAt(state.portBase)) {
      const packageId = deployed.packageIds[peer.fqdn];
      if (packageId === undefined) continue;
      const address = `${HOST}:${chaincodeServerPort(peer, deployed.name, state.portBase)}`;
      await startChaincodeServer(state, deployed.name, peer, address, packageId, ccaasLauncher, nodeArgs(deployed.name, peer));
    }
  }
  log(
    `restarted ${state.chaincodes.length * peersAt(state.portBase).length} chaincode servers${nodeArgs('lr', peersAt(state.portBase)[0]!).length ? ` with ${nodeArgs('lr', peersAt(state.portBase)[0]!).join(' ')}` : ''}`,
  );
}

/** Runs `metroledger <args>` as an organization's admin through its connection profile. */
async function metroledger(state: NetworkState, mspId: string, args: readonly string[]): Promise<string> {
  const org = PEER_ORGS.find((o) => o.spec.mspId === mspId)!.spec;
  return run(process.execPath, [
    metroledgerCli(),
    ...args,
    '--profile',
    join(state.dir, `connection-${org.name.toLowerCase()}.json`),
    '--msp-id',
    mspId,
    '--user',
    'Admin',
    '--channel',
    CHANNEL,
  ]);
}

/**
 * The notified body's part before the LR chaincode is deployed: the computing providers and the
 * meter owner admitted, and the LR version approved by fingerprint (this repository's LR package,
 * node and ccaas forms) unless the registry has that version already. A version the built code
 * does not state (LR_CHAINCODE_VERSION) cannot be approved with it: a release is new code.
 */
async function ensureLrApproval(state: NetworkState, version: string, log: Log): Promise<void> {
  const listed = JSON.parse(
    await metroledger(state, 'InmetroMSP', ['lr', 'list', '--json']).then((t) => t.slice(t.search(/[[{]/))),
  ) as unknown;
  const records = (Array.isArray(listed) ? listed : ((listed as { records?: unknown[] }).records ?? [])) as {
    chaincodeName?: string;
    version?: string;
  }[];
  if (records.some((r) => r.chaincodeName === 'lr' && r.version === version)) return;
  for (const [mspId, name, roles] of [
    ['LaSIGEMSP', 'LaSIGE', 'COMPUTING_PROVIDER'],
    ['PUCPRMSP', 'PUCPR', 'COMPUTING_PROVIDER'],
    ['CETSPMSP', 'CET-SP', 'METER_OWNER'],
  ] as const) {
    await metroledger(state, 'InmetroMSP', ['org', 'register', mspId, '--name', name, '--roles', roles]);
  }
  const nodePackage = join(state.dir, 'chaincode', 'lr', `lr_${version}.node.tar.gz`);
  await mkdir(dirname(nodePackage), { recursive: true });
  await run(process.execPath, [metroledgerCli(), 'chaincode', 'package', 'lr', '--form', 'node', '--out', nodePackage]);
  await metroledger(state, 'InmetroMSP', [
    'lr',
    'approve',
    '--version',
    version,
    '--package',
    nodePackage,
    '--forms',
    'node,ccaas',
    '--policy',
    ENDORSEMENT_POLICY.lr,
  ]);
  log(`governance: the notified body admitted LaSIGE, PUCPR, CET-SP and approved lr ${version} (${nodePackage}, node and ccaas forms)`);
}
