// SPDX-License-Identifier: Apache-2.0
// Stands up the channel's nodes from the user's Fabric binaries, without Docker: crypto material,
// genesis block, orderers joined with osnadmin, peers joined with `peer channel join`. And stops
// them again.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeNetworkCrypto, nodeFiles, tlsCaFile, userFiles } from './crypto.js';
import { FabricKitError } from './errors.js';
import { run, type FabricInstall } from './fabric.js';
import { BUILDER_DIR, CONFIG_DIR, formatEnvFile, readOverlay, renderOverlay } from './overlay.js';
import { healthy, isRunning, portFree, startProcess, stopProcesses, waitUntil, type NodeProcess } from './processes.js';
import { readState, STATE_FILE, writeState, type NetworkState } from './state.js';
import {
  allPorts,
  CHANNEL,
  CONFIGTX_PROFILE,
  DEFAULT_PORT_BASE,
  HOST,
  orderersOf,
  PEER_ORGS,
  peersAt,
  type OrderingProfile,
  type OrdererNode,
  type PeerNode,
} from './topology.js';

export type Log = (line: string) => void;

const FABRIC_3_ONLY = /^ {2}# FABRIC 3\.x ONLY, from here to the end of the file/m;

/**
 * config/configtx.yaml as the given Fabric's configtxgen accepts it, for the network's port base:
 * for 2.5 without the SmartBFT profile (the file's last section), whose keys 2.5 does not know;
 * every port (`Port: N`, `HOST:N`) moved by portBase - DEFAULT_PORT_BASE. Pure.
 */
export function configtxFor(fabric: Pick<FabricInstall, 'major'>, text: string, portBase = DEFAULT_PORT_BASE): string {
  let out = text;
  if (fabric.major < 3) {
    const m = FABRIC_3_ONLY.exec(out);
    if (m === null) throw new FabricKitError('BAD_OPTION', 'configtx.yaml lost its "FABRIC 3.x ONLY" marker before the SmartBFT profile');
    out = out.slice(0, m.index);
  }
  const shift = portBase - DEFAULT_PORT_BASE;
  if (shift === 0) return out;
  return out.replace(/(Port: |127\.0\.0\.1:)(\d+)/g, (_, prefix: string, port: string) => `${prefix}${Number(port) + shift}`);
}

/** SmartBFT needs Fabric 3; Raft runs on both. */
export function defaultProfile(fabric: Pick<FabricInstall, 'major'>): OrderingProfile {
  return fabric.major >= 3 ? 'bft' : 'raft';
}

export function checkProfile(fabric: Pick<FabricInstall, 'major' | 'version'>, profile: OrderingProfile): void {
  if (profile === 'bft' && fabric.major < 3) {
    throw new FabricKitError(
      'UNSUPPORTED_PROFILE',
      `SmartBFT ordering needs Fabric 3.x; ${fabric.version} has Raft only (use --profile raft or raft3)`,
    );
  }
}

export function genesisBlockFile(dir: string): string {
  return join(dir, 'channel', `${CHANNEL}.block`);
}

function nodeDir(dir: string, fqdn: string): string {
  return join(dir, 'nodes', fqdn);
}

/** Environment of one peer: its rendered overlay on top of FABRIC_CFG_PATH. */
export async function peerEnv(dir: string, profile: OrderingProfile, peer: PeerNode): Promise<Record<string, string>> {
  const files = nodeFiles(dir, profile, peer.mspId, peer.fqdn);
  return renderOverlay(
    await readOverlay('peer'),
    {
      HOST,
      PEER_NAME: peer.fqdn,
      MSP_ID: peer.mspId,
      NODE_DIR: files.dir,
      DATA_DIR: join(nodeDir(dir, peer.fqdn), 'data'),
      PEER_PORT: peer.port,
      PEER_CHAINCODE_PORT: peer.chaincodePort,
      PEER_OPERATIONS_PORT: peer.operationsPort,
      BUILDER_DIR,
    },
    'config/peer.env',
  );
}

export async function ordererEnv(dir: string, profile: OrderingProfile, o: OrdererNode): Promise<Record<string, string>> {
  const files = nodeFiles(dir, profile, o.mspId, o.fqdn);
  return renderOverlay(
    await readOverlay('orderer'),
    {
      HOST,
      MSP_ID: o.mspId,
      NODE_DIR: files.dir,
      DATA_DIR: join(nodeDir(dir, o.fqdn), 'data'),
      ORDERER_PORT: o.port,
      ORDERER_ADMIN_PORT: o.adminPort,
      ORDERER_OPERATIONS_PORT: o.operationsPort,
    },
    'config/orderer.env',
  );
}

/** Environment for `peer` CLI commands acting as an organization's admin against one of its peers. */
export function peerAdminEnv(state: Pick<NetworkState, 'dir' | 'profile' | 'fabric'>, peer: PeerNode): NodeJS.ProcessEnv {
  const admin = userFiles(state.dir, state.profile, peer.mspId, 'Admin');
  return {
    ...baseEnv(),
    FABRIC_CFG_PATH: state.fabric.configDir,
    FABRIC_LOGGING_SPEC: 'warning',
    CORE_PEER_LOCALMSPID: peer.mspId,
    CORE_PEER_MSPCONFIGPATH: admin.mspDir,
    CORE_PEER_ADDRESS: `${HOST}:${peer.port}`,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_ROOTCERT_FILE: tlsCaFile(state.dir, state.profile, peer.mspId),
  };
}

/** Only what a Fabric process needs from ours: no stray CORE_* / ORDERER_* of the caller. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

/** `-o` and TLS flags of a peer CLI command that sends a transaction to the ordering service. */
export function ordererFlags(state: Pick<NetworkState, 'dir' | 'profile' | 'portBase'>): string[] {
  const o = orderersOf(state.profile, state.portBase)[0]!;
  return ['-o', `${HOST}:${o.port}`, '--tls', '--cafile', tlsCaFile(state.dir, state.profile, o.mspId)];
}

export interface UpOptions {
  readonly dir: string;
  readonly fabric: FabricInstall;
  readonly profile: OrderingProfile;
  /** Default 20000 (ports 20101-20632); another base runs a second network beside it. */
  readonly portBase?: number;
  readonly log: Log;
}

/**
 * Generates crypto and the genesis block, starts the orderers and peers, joins them to the channel.
 * @throws {@link FabricKitError} NETWORK_EXISTS, PORT_IN_USE, NODE_FAILED, COMMAND_FAILED
 */
export async function up(opts: UpOptions): Promise<NetworkState> {
  const dir = resolve(opts.dir);
  const { fabric, profile, log } = opts;
  const portBase = opts.portBase ?? DEFAULT_PORT_BASE;
  checkProfile(fabric, profile);
  if (!Number.isInteger(portBase) || portBase < 1024 || portBase + 1000 > 65_536)
    throw new FabricKitError('BAD_OPTION', `port base ${portBase}: ports run from base+101 to base+632`);
  if (
    await stat(join(dir, STATE_FILE)).then(
      () => true,
      () => false,
    )
  ) {
    throw new FabricKitError(
      'NETWORK_EXISTS',
      `${dir} already holds a network: \`npm run fabric:down\` (keeps its data) or \`npm run fabric:clean\` first`,
      { dir },
    );
  }
  const taken: number[] = [];
  for (const port of allPorts(profile, portBase)) if (!(await portFree(HOST, port))) taken.push(port);
  if (taken.length > 0)
    throw new FabricKitError(
      'PORT_IN_USE',
      `ports ${taken.join(', ')} on ${HOST} are in use (another network still up? \`npm run fabric:down\`)`,
      { ports: taken },
    );

  await mkdir(join(dir, 'logs'), { recursive: true });
  await mkdir(join(dir, 'channel'), { recursive: true });
  const state: NetworkState = {
    format: 1,
    dir,
    fabric,
    profile,
    portBase,
    createdAt: new Date().toISOString(),
    processes: [],
    chaincodes: [],
  };
  await writeState(state);

  log(`crypto material (cryptogen layout, NodeOUs) in ${join(dir, 'organizations')}`);
  await writeNetworkCrypto(dir, profile);
  await writeFile(join(dir, 'configtx.yaml'), configtxFor(fabric, await readFile(join(CONFIG_DIR, 'configtx.yaml'), 'utf8'), portBase));
  log(`genesis block of channel ${CHANNEL}, profile ${CONFIGTX_PROFILE[profile]}`);
  await run(
    join(fabric.binDir, 'configtxgen'),
    ['-configPath', dir, '-profile', CONFIGTX_PROFILE[profile], '-channelID', CHANNEL, '-outputBlock', genesisBlockFile(dir)],
    { env: { ...baseEnv() } },
  );

  try {
    const orderers = orderersOf(profile, portBase);
    for (const o of orderers) {
      const env = await ordererEnv(dir, profile, o);
      const p = await startNode(state, o.fqdn, 'orderer', join(fabric.binDir, 'orderer'), [], env);
      await waitUntil(p, () => healthy(HOST, o.operationsPort));
    }
    for (const o of orderers) {
      const admin = userFiles(dir, profile, o.mspId, 'Admin');
      await run(
        join(fabric.binDir, 'osnadmin'),
        [
          'channel',
          'join',
          '--channelID',
          CHANNEL,
          '--config-block',
          genesisBlockFile(dir),
          '-o',
          `${HOST}:${o.adminPort}`,
          '--ca-file',
          tlsCaFile(dir, profile, o.mspId),
          '--client-cert',
          admin.tlsCert,
          '--client-key',
          admin.tlsKey,
        ],
        { env: baseEnv() },
      );
      log(`orderer ${o.fqdn} (${o.mspId}) joined ${CHANNEL} on ${HOST}:${o.port}`);
    }
    for (const peer of peersAt(portBase)) {
      const env = await peerEnv(dir, profile, peer);
      const p = await startNode(state, peer.fqdn, 'peer', join(fabric.binDir, 'peer'), ['node', 'start'], env);
      // sampleconfig's core.yaml names a Docker endpoint (an empty CORE_VM_ENDPOINT does not clear it), so
      // the peer registers a docker health check that fails here; chaincode runs as a service instead
      await waitUntil(p, () => healthy(HOST, peer.operationsPort, ['docker']));
    }
    for (const peer of peersAt(portBase)) {
      await retry(
        () => run(join(fabric.binDir, 'peer'), ['channel', 'join', '-b', genesisBlockFile(dir)], { env: peerAdminEnv(state, peer) }),
        5,
      );
      log(`peer ${peer.fqdn} (${peer.mspId}) joined ${CHANNEL} on ${HOST}:${peer.port}`);
    }
    await writeConnectionProfiles(state);
  } catch (err) {
    log(`stopping what started: ${(err as Error).message.split('\n')[0]}`);
    await down(dir, log).catch(() => undefined);
    throw err;
  }
  return state;
}

/** Starts a node with its overlay (also written to nodes/<fqdn>/<kind>.env for the operator). */
async function startNode(
  state: NetworkState,
  fqdn: string,
  kind: 'peer' | 'orderer',
  file: string,
  args: string[],
  overlay: Record<string, string>,
): Promise<NodeProcess> {
  const home = nodeDir(state.dir, fqdn);
  await mkdir(join(home, 'data'), { recursive: true });
  await writeFile(
    join(home, `${kind}.env`),
    formatEnvFile(
      overlay,
      `${fqdn}: overrides of Fabric's ${kind === 'peer' ? 'core' : 'orderer'}.yaml (FABRIC_CFG_PATH=${state.fabric.configDir})`,
    ),
  );
  const env = {
    ...baseEnv(),
    FABRIC_CFG_PATH: state.fabric.configDir,
    FABRIC_LOGGING_SPEC: process.env.FABRIC_LOGGING_SPEC ?? 'grpc=warning:info',
    ...overlay,
  };
  const p = startProcess({ name: fqdn, kind, file, args, env, cwd: home, log: join(state.dir, 'logs', `${fqdn}.log`) });
  state.processes.push(p);
  await writeState(state);
  return p;
}

export async function retry<T>(attempt: () => Promise<T>, times: number, delayMs = 1000): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= times) throw err;
      await sleep(delayMs * n);
    }
  }
}

/**
 * Fabric common connection profiles (connection-<org>.json): the channel, its peers with their TLS
 * CAs, and the organizations — what a Fabric application is configured with.
 */
async function writeConnectionProfiles(state: NetworkState): Promise<void> {
  const peerNodes = peersAt(state.portBase);
  const peers: Record<string, unknown> = {};
  for (const p of peerNodes) {
    peers[p.fqdn] = {
      url: `grpcs://${HOST}:${p.port}`,
      tlsCACerts: { pem: await readFile(tlsCaFile(state.dir, state.profile, p.mspId), 'utf8') },
      grpcOptions: { 'ssl-target-name-override': p.fqdn },
    };
  }
  const orgs = PEER_ORGS.map((o) => o.spec);
  // cryptoPath (Fabric Go SDK style): each user's MSP folder, {username} standing for Admin or User1
  const organizations = Object.fromEntries(
    orgs.map((o) => [
      o.name,
      {
        mspid: o.mspId,
        peers: peerNodes.filter((p) => p.mspId === o.mspId).map((p) => p.fqdn),
        cryptoPath: `organizations/peerOrganizations/${o.domain}/users/{username}@${o.domain}/msp`,
      },
    ]),
  );
  for (const org of orgs) {
    const profile = {
      name: `metroledger-${org.name.toLowerCase()}`,
      version: '1.0.0',
      client: { organization: org.name },
      channels: { [CHANNEL]: { peers: Object.fromEntries(peerNodes.map((p) => [p.fqdn, {}])) } },
      organizations,
      peers,
    };
    await writeFile(join(state.dir, `connection-${org.name.toLowerCase()}.json`), JSON.stringify(profile, null, 2) + '\n');
  }
}

/** Stops every process of the network (data kept; `up` again needs `clean`). */
export async function down(dir: string, log: Log): Promise<void> {
  const state = await readState(resolve(dir));
  // chaincode servers first, then peers, then orderers: nobody logs errors about the others leaving
  const order = ['chaincode', 'peer', 'orderer'] as const;
  for (const kind of order) {
    const procs = state.processes.filter((p) => p.kind === kind && isRunning(p));
    if (procs.length === 0) continue;
    await stopProcesses(procs);
    log(`stopped ${procs.length} ${kind === 'chaincode' ? 'chaincode server' : kind}${procs.length > 1 ? 's' : ''}`);
  }
}

/** Stops the network and removes its directory. */
export async function clean(dir: string, log: Log): Promise<void> {
  const abs = resolve(dir);
  const exists = await stat(join(abs, STATE_FILE)).then(
    () => true,
    () => false,
  );
  if (exists) await down(abs, log);
  else if (
    await stat(abs).then(
      () => true,
      () => false,
    )
  ) {
    throw new FabricKitError('NETWORK_NOT_FOUND', `${abs} holds no kit network (${STATE_FILE} missing): not removing it`, { dir: abs });
  }
  await rm(abs, { recursive: true, force: true });
  log(`removed ${abs}`);
}
