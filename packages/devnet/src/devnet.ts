// SPDX-License-Identifier: Apache-2.0
// Assembles the embedded network in one process: crypto material, ledger, endorsing peers with
// their chaincodes, the ordering service, the committer, and the Fabric Gateway gRPC server.
import { describeError } from '@metroledger/errors';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { hostChaincodeModule, type HostedChaincode } from '@metroledger/chaincode-host';
import { startGatewayServer, type GatewayServer } from '@metroledger/gateway';
import { IdentityDeserializer, MspRegistry, nodePaths, type OrgMaterial } from '@metroledger/identity';
import { Ledger, type BlockFileSystem } from '@metroledger/ledger';
import { SoloOrderer } from '@metroledger/ordering';
import { Committer, Endorser, SignatureVerifierPool } from '@metroledger/peer';
import { formatPolicy, parsePolicy, type Policy } from '@metroledger/policy';
import { decodeBlock, newGenesisBlock, type BatchConfig } from '@metroledger/protocol';
import { chaincodeConfigOf, channelPoliciesOf, endorsementPolicyOf, readDeployedChaincodes } from './chaincodes.js';
import { DevnetPeer, type ThreadedPeer } from './peers.js';
import { logBlock, logHalt, SILENT_LOGGER, type DevnetLogger } from './log.js';
import { DevnetMetrics } from './metrics.js';
import { summarizeBlock } from './observe.js';
import { DEFAULT_NETWORK } from './config/default-network.js';
import { ensureOrganizations, orgSpec } from './crypto.js';
import { prepareDataDir } from './datadir.js';
import { devnetHalt, startOperationsServer, type DevnetHalt, type DevnetHealth } from './health.js';
import { DevnetError } from './errors.js';
import type { ChaincodeConfig, NetworkConfig, OrgConfig } from './network.js';
import {
  blockVerifierFor,
  checkLedgerOrdering,
  consensusConfig,
  feedCommitter,
  newBftOrdering,
  orderingChoice,
  withOrdering,
  type DevnetBft,
  type OrderingType,
} from './ordering.js';
import { Enforcement, type PeerPackage, type SubvertedPeerConfig } from './enforce.js';
import { governedLedger } from './governed.js';
import { FaultInjector, type DevnetFaults } from './faults.js';
import { threadPlan, threadsFromEnv, type ThreadOptions, type ThreadPlan } from './threads.js';
import { EndorsementThreads } from './endorsement/pool.js';
import type { PeerSpec } from './endorsement/messages.js';
import type { RunningChaincode } from './runfile.js';
import { ChannelCollections, openPrivateData } from './privatedata.js';

/** The notified body's registry chaincode (the LR chaincode reads it on the same peer): endorsed in the endorsement threads with lr. */
const GOVERNANCE_MODULE = '@metroledger/governance';

export interface StartDevnetOptions {
  /** Crypto material goes to `<dataDir>/organizations`, the ledger to `<dataDir>/ledger`. */
  dataDir: string;
  /** 'solo' or 'bft' (n consenters of n orderer organizations); default: the network's. */
  ordering?: OrderingType;
  /** BFT replicas, 4..31 (default 4); n tolerates f = floor((n-1)/3) faulty. */
  bftReplicas?: number;
  /** BFT replicas left stopped at start (at most f), to measure a degraded service. */
  bftReplicasDown?: readonly number[];
  /** Gateway port; 0 (default) lets the OS choose. The CLI uses 7051. */
  port?: number;
  /** Port of the operations service (GET /healthz, as a Fabric peer's); 0 (default) lets the OS choose. */
  operationsPort?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Mutual TLS on the gateway: clients must present a TLS certificate issued by a channel MSP's TLS
   * CA (each user's `tls/client.crt`). Default false.
   */
  tlsClientAuth?: boolean;
  /** Default: DEFAULT_NETWORK (config/default-network.ts). */
  network?: NetworkConfig;
  /**
   * Chaincodes deployed instead of the network's and of those recorded in the data directory
   * (`chaincodes.json`, see `recordDeployedChaincodes`), e.g. a test chaincode.
   */
  chaincodes?: readonly ChaincodeConfig[];
  /** Chaincodes deployed besides the network's and the recorded ones (any Fabric chaincode, e.g. `devnet up --chaincode`). */
  addChaincodes?: readonly ChaincodeConfig[];
  /** Overrides the network's batch configuration. */
  batch?: Partial<BatchConfig>;
  /**
   * Cores the worker threads are sized for (default os.availableParallelism()), and overrides of
   * each count (threads.ts): `verifyThreads` (0: commit-time signature checks on the event loop),
   * `endorseThreads` (0: endorsers on the event loop), `orderingThread` (BFT replicas in a thread of
   * their own), `orderingVerifyThreads`.
   */
  threads?: ThreadOptions;
  /** Signature verification threads (0: verify on the event-loop thread); same as `threads.verifyThreads`. */
  verifyThreads?: number;
  /**
   * Peers of these organizations install a tampered copy of every registry-governed package (one
   * changed byte) in place of what they had installed: paper §VI-E attack 2 (for tests and demos).
   */
  tamperedPackageOn?: string | readonly string[];
  /** Providers that replaced a governed chaincode on their peers and removed the fingerprint check (attacks 3 and 4). */
  subvertedPeers?: readonly SubvertedPeerConfig[];
  /** The ledger's block file layer (default: Node's fs); tests put in one that fails as a full disk does. */
  ledgerFileSystem?: BlockFileSystem;
  /** Structured log: a line per block, per refused reading or invalid transaction, per halt (default: none). */
  logger?: DevnetLogger;
  /** Prometheus metrics at the operations service's /metrics (default true). */
  metrics?: boolean;
}

/** Paths of one user's enrollment (what a fabric-gateway client needs). */
export interface UserIdentityPaths {
  readonly mspId: string;
  /** e.g. User1@cetsp.example.com */
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** The user's TLS client certificate and key (for mutual TLS). */
  readonly tlsCertPath: string;
  readonly tlsKeyPath: string;
}

export interface Devnet {
  /** host:port of the gateway (and Deliver) service. */
  readonly endpoint: string;
  readonly port: number;
  /** PEM of the CA that issued the gateway's TLS certificate (trust it in clients). */
  readonly tlsCaCertPath: string;
  /** The host name in the gateway's TLS certificate: the TLS server name clients connecting by IP use. */
  readonly tlsServerName: string;
  /** Whether the gateway requires client TLS certificates (mutual TLS). */
  readonly tlsClientAuth: boolean;
  readonly channelId: string;
  readonly dataDir: string;
  /** Client users per MSP id (User1 first, then Admin). */
  readonly users: Readonly<Record<string, readonly UserIdentityPaths[]>>;
  /** Whether the crypto material was generated by this start (false: reused). */
  readonly generatedCrypto: boolean;
  /** Current block height of the ledger. */
  height(): number;
  /** http://host:port of the operations service: GET /healthz answers 200, or 503 with the reason; GET /metrics (Prometheus). */
  readonly operationsEndpoint: string;
  /** SERVING; HALTED (with why) once the ledger failed to commit a block; STOPPED after stop(). */
  health(): DevnetHealth;
  /**
   * Called once if the devnet halts: its ledger failed to commit a block (a full or failing disk).
   * By then it has stopped taking transactions (Submit answers UNAVAILABLE, the gateway shuts down),
   * and every acknowledged commit is on disk. Restarting on the same data directory recovers.
   * Called at once if it has already halted. Returns a function that removes the listener.
   */
  onHalt(listener: (halt: DevnetHalt) => void): () => void;
  /**
   * Resolves once the integrity incident reports under way (a peer refused to run unapproved LR
   * software) are on the ledger: a refusal is answered before its report commits.
   */
  incidentReportsSettled(): Promise<void>;
  /** BFT ordering only: replica control (stop, restart, heights, stored blocks). */
  readonly bft?: DevnetBft;
  /** Fault injection (tests, demos): lagging endorsers, lost orderer answers. */
  readonly faults: DevnetFaults;
  /** The worker threads the devnet runs beside its event loop. */
  readonly threads: ThreadPlan;
  /** What each peer runs for each registry-governed chaincode (the package ids the notified body must approve). */
  readonly installedPackages: readonly PeerPackage[];
  /** The chaincodes deployed now (the network's, the recorded ones, those deployed since start), with their policies as resolved. */
  chaincodes(): readonly RunningChaincode[];
  /**
   * Deploys a chaincode while the devnet runs (a chaincode of the same name is upgraded): its
   * module is loaded on the peers of `installedOn`, then proposals may use it under its
   * endorsement policy (any form Fabric takes, Fabric's /Channel/Application/Endorsement included).
   * Not registry-governed: for any Fabric chaincode.
   * @throws {@link DevnetError} BAD_CONFIG (policy, peers, a governed name), CHAINCODE_LOAD
   */
  deployChaincode(cc: ChaincodeConfig): Promise<void>;
  /** Recorded chaincodes (chaincodes.json) that could not be deployed at start, and why: left out, the rest runs. */
  readonly deployErrors: readonly { readonly name: string; readonly message: string }[];
  /** Stops the gateway, orders and commits what was accepted (unless halted), closes the ledger. */
  stop(): Promise<void>;
}

function chaincodeModulePath(module: string): string {
  if (isAbsolute(module) || module.startsWith('.')) return resolve(module);
  try {
    return require.resolve(module);
  } catch (err) {
    throw new DevnetError('CHAINCODE_LOAD', `chaincode module ${module} cannot be resolved`, { module }, { cause: err });
  }
}

function loadChaincode(
  cc: ChaincodeConfig,
  resolveChaincode: (name: string) => HostedChaincode | undefined,
  mspId: string,
): HostedChaincode {
  try {
    return hostChaincodeModule({ name: cc.name, version: cc.version, dir: chaincodeModulePath(cc.module), resolveChaincode, mspId });
  } catch (err) {
    if (err instanceof DevnetError) throw err;
    throw new DevnetError(
      'CHAINCODE_LOAD',
      `chaincode ${cc.name} (${cc.module}) cannot be loaded: ${(err as Error).message}`,
      { chaincode: cc.name },
      { cause: err },
    );
  }
}

function usersOf(dataDir: string, org: OrgMaterial): UserIdentityPaths[] {
  const users = [...org.users].sort((a, b) => Number(a.name === 'Admin') - Number(b.name === 'Admin'));
  return users.map((u) => {
    const p = nodePaths(dataDir, org.spec, u);
    return {
      mspId: org.spec.mspId,
      name: u.fqdn,
      certPath: p.signcert,
      keyPath: p.keystoreKey,
      tlsCertPath: p.tlsCert,
      tlsKeyPath: p.tlsKey,
    };
  });
}

/** Starts a devnet on `dataDir`, creating it on first use and resuming its ledger afterwards. */
export async function startDevnet(options: StartDevnetOptions): Promise<Devnet> {
  const choice = orderingChoice(options.network ?? DEFAULT_NETWORK, options);
  const network = withOrdering(options.network ?? DEFAULT_NETWORK, choice);
  const dataDir = resolve(options.dataDir);
  const log = options.logger ?? SILENT_LOGGER;
  const batch: BatchConfig = { ...network.batch, ...options.batch };
  await prepareDataDir(dataDir);
  const added = options.addChaincodes ?? [];
  // recorded chaincodes deploy after the network's, each on its own: one that no longer loads is left out, not fatal
  const recorded =
    options.chaincodes === undefined
      ? (await readDeployedChaincodes(dataDir)).chaincodes.map(chaincodeConfigOf).filter((r) => !added.some((a) => a.name === r.name))
      : [];
  const chaincodes = [...(options.chaincodes ?? network.chaincodes), ...added];
  const duplicate = chaincodes.find((cc, i) => chaincodes.findIndex((o) => o.name === cc.name) !== i);
  if (duplicate !== undefined)
    throw new DevnetError('BAD_CONFIG', `two chaincodes are named ${duplicate.name}`, { chaincode: duplicate.name });

  const { orgs, generated } = await ensureOrganizations(dataDir, network.organizations);
  const orgConfigs = new Map<string, OrgConfig>(network.organizations.map((o) => [o.mspId, o]));
  const appOrgs = network.organizations.filter((o) => o.kind === 'peer').map((o) => orgs.get(o.mspId)!);
  const ordererOrgs = network.organizations.filter((o) => o.kind === 'orderer').map((o) => orgs.get(o.mspId)!);
  const ordererOrg = ordererOrgs[0];
  if (ordererOrg === undefined || ordererOrg.orderers.length === 0) throw new DevnetError('BAD_CONFIG', 'the network has no orderer node');

  const msps = new MspRegistry([...appOrgs, ...ordererOrgs].map((o) => o.mspConfig()));
  // Fabric's peer/Propose ACL is /Channel/Application/Writers and Deliver's, CommitStatus's and
  // ChaincodeEvents' is /Channel/Application/Readers: as the genesis block writes them
  // (protocol's newChannelConfig), a member of any application organization; orderer organizations are neither.
  const proposers = new MspRegistry(appOrgs.map((o) => o.mspConfig()));
  const readers = parsePolicy(`OR(${appOrgs.map((o) => `'${o.spec.mspId}.member'`).join(', ')})`);
  const deserializer = new IdentityDeserializer();
  const policies = new Map<string, Policy>();
  const enforcement = new Enforcement({
    dataDir,
    channelId: network.channelId,
    chaincodes,
    policies,
    tamperedPackageOn: typeof options.tamperedPackageOn === 'string' ? [options.tamperedPackageOn] : options.tamperedPackageOn,
    subvertedPeers: options.subvertedPeers,
  });
  const checkInstalledOn = (cc: ChaincodeConfig): void => {
    for (const mspId of cc.installedOn) {
      if (orgConfigs.get(mspId)?.kind !== 'peer')
        throw new DevnetError('BAD_CONFIG', `chaincode ${cc.name} is installed on ${mspId}, which is not a peer organization`);
    }
  };
  for (const cc of chaincodes) checkInstalledOn(cc);

  const threads = threadPlan({
    ...threadsFromEnv(),
    ...options.threads,
    ...(options.verifyThreads !== undefined && { verifyThreads: options.verifyThreads }),
  });
  // Collections before the ledger: a replay at open purges by their blockToLive. A recorded
  // chaincode whose collections no longer pass is left out later, by deployChaincode.
  const collections = new ChannelCollections(
    appOrgs.map((o) => o.spec.mspId),
    (id, p) => msps.satisfiesPrincipal(id, p),
  );
  for (const cc of chaincodes) if (cc.collections !== undefined) collections.define(cc.name, cc.collections);
  for (const cc of recorded) {
    try {
      if (cc.collections !== undefined) collections.define(cc.name, cc.collections);
    } catch {
      // reported when it is deployed
    }
  }
  const ledger = await Ledger.open(join(dataDir, 'ledger'), {
    ...(options.ledgerFileSystem !== undefined && { fileSystem: options.ledgerFileSystem }),
    blockToLive: collections.blockToLive,
  });
  const closers: (() => Promise<void> | void)[] = [() => ledger.close()];
  // Endorsers', orderer's and committer's signature checks, off the event-loop thread.
  const verifierPool = threads.verifyThreads === 0 ? undefined : new SignatureVerifierPool({ threads: threads.verifyThreads });
  const verify = verifierPool === undefined ? undefined : verifierPool.verify.bind(verifierPool);
  if (verifierPool !== undefined) closers.push(() => verifierPool.close());
  const fail = async (err: unknown): Promise<never> => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    throw err;
  };

  try {
    await checkLedgerOrdering(ledger, choice);
    const privateData = await openPrivateData(join(dataDir, 'ledger'), appOrgs, () => ledger.height, collections);
    closers.push(() => privateData.close());
    const committer = new Committer({
      channelId: network.channelId,
      ledger: governedLedger(ledger, enforcement.registry),
      blockVerifier: blockVerifierFor(choice, { deserializer, msps, ordererOrgs }),
      deserializer,
      msps,
      endorsementPolicy: (name) => policies.get(name),
      ...(verifierPool !== undefined && { signatureVerifier: verifierPool.verifier }),
      privateData: privateData.committer,
      collectionPolicy: (cc, collection) => collections.collectionPolicy(cc, collection),
    });
    closers.push(() => committer.close());
    if (ledger.height === 0) {
      await committer.deliver(
        newGenesisBlock({
          channelId: network.channelId,
          applicationOrgs: appOrgs.map((o) => o.mspConfig()),
          ordererOrgs: ordererOrgs.map((o) => o.mspConfig()),
          batch,
          consensus: consensusConfig(choice, ordererOrgs),
        }),
      );
    }

    // Policies of chaincodes the registry does not govern (a governed one's comes from the ledger,
    // governed.ts): Fabric's forms, channel-config references and ImplicitMeta rules included.
    const channelPolicies = channelPoliciesOf(decodeBlock(await ledger.getBlock(0)));
    collections.setChannelPolicies(channelPolicies);
    for (const cc of chaincodes) if (!enforcement.isGoverned(cc.name)) policies.set(cc.name, endorsementPolicyOf(cc, channelPolicies));

    await enforcement.registry.refresh(ledger.state);
    await enforcement.prepare(appOrgs);
    closers.push(() => enforcement.reporter.close());

    // Every peer has its own identity, installed chaincodes and endorsements; they share the one
    // validated ledger of this process (each block is validated and committed once).
    const peerNodes = appOrgs.flatMap((org) => org.peers.map((node) => ({ org, node })));
    const peerNames = peerNodes.map((p) => p.node.fqdn);
    // Endorsement threads (endorsement/pool.ts) serve the LR workload's chaincodes loaded at start:
    // the registry-governed ones (lr) and the notified body's registry they call (governance), each
    // thread hosting every peer's. Every other chaincode (deployed at run time, any other chaincode
    // of the configuration, private data) is endorsed on the event loop.
    const threadedChaincode = (cc: ChaincodeConfig): boolean => enforcement.isGoverned(cc.name) || cc.module === GOVERNANCE_MODULE;
    let endorsementThreads: EndorsementThreads | undefined;
    let threadedPeers: ThreadedPeer[] | undefined;
    if (threads.endorseThreads > 0) {
      const specs: PeerSpec[] = peerNodes.map(({ org, node }) => ({
        mspId: org.spec.mspId,
        fqdn: node.fqdn,
        address: `${node.fqdn}:7051`,
        certPem: node.sign.certPem,
        keyPem: node.sign.keyPem,
        chaincodes: chaincodes
          .filter((cc) => cc.installedOn.includes(org.spec.mspId) && threadedChaincode(cc))
          .map(
            (cc) =>
              enforcement.spec(cc, org, node, chaincodeModulePath) ?? {
                name: cc.name,
                version: cc.version,
                dir: chaincodeModulePath(cc.module),
                statedVersion: false,
              },
          ),
      }));
      if (specs.some((spec) => spec.chaincodes.length > 0)) {
        const pool = new EndorsementThreads({
          threads: threads.endorseThreads,
          channelId: network.channelId,
          msps: appOrgs.map((o) => o.mspConfig()),
          peers: specs,
          approvals: enforcement.registry.approvals,
          ledger: { state: ledger.state, getTx: (txId) => ledger.getTx(txId), onApplied: (l) => ledger.onApplied(l) },
          onIncident: (spec, incident) => {
            const { org, node } = peerNodes[specs.indexOf(spec)]!;
            enforcement.reporter.report(enforcement.reporterIdentity(org, node), incident);
          },
        });
        endorsementThreads = pool;
        closers.push(() => pool.close());
        for (const l of await pool.start()) enforcement.recordPackage(l.peer.fqdn, l.peer.mspId, l.name, l.version);
        enforcement.registry.onChange((approvals) => pool.setApprovals(approvals));
        threadedPeers = specs.map((spec, i) => ({ chaincodes: new Set(spec.chaincodes.map((c) => c.name)), peer: pool.peer(i) }));
      }
    }
    const pool = endorsementThreads;
    const faults = new FaultInjector(ledger.state, peerNames, pool && ((peer, proposals) => pool.lag(peerNames.indexOf(peer), proposals)));
    const peers: { org: OrgMaterial; node: OrgMaterial['peers'][number]; peer: DevnetPeer }[] = [];
    for (const [i, { org, node }] of peerNodes.entries()) {
      const threaded = threadedPeers?.[i];
      const installed = chaincodes.filter((cc) => cc.installedOn.includes(org.spec.mspId) && threaded?.chaincodes.has(cc.name) !== true);
      const peer: DevnetPeer = new DevnetPeer({
        mspId: org.spec.mspId,
        address: `${node.fqdn}:7051`,
        newEndorser: (hosted) =>
          new Endorser({
            identity: org.signingIdentity(node.name),
            address: `${node.fqdn}:7051`,
            channelId: network.channelId,
            msps: proposers,
            deserializer,
            ledger,
            chaincodes: hosted,
            verify,
            simulationState: faults.simulationState(node.fqdn),
            privateData: privateData.endorser(node.fqdn),
          }),
        ...(threaded !== undefined && { threaded }),
      });
      // chaincodes on one peer call each other (stub.invokeChaincode) and nothing else
      peer.install(
        installed.map(
          (cc) => enforcement.host(cc, org, node, peer.resolve, chaincodeModulePath) ?? loadChaincode(cc, peer.resolve, org.spec.mspId),
        ),
      );
      peers.push({ org, node, peer });
    }
    const endorsers = peers.map((p) => p.peer);
    const deployed = [...chaincodes];
    const deployChaincode = async (cc: ChaincodeConfig): Promise<void> => {
      if (enforcement.isGoverned(cc.name))
        throw new DevnetError(
          'BAD_CONFIG',
          `${cc.name} is governed by the notified body's registry: install its approved package instead (metroledger lr install)`,
          { chaincode: cc.name },
        );
      checkInstalledOn(cc);
      const policy = endorsementPolicyOf(cc, channelPolicies);
      // an upgrade from the same directory must load the new code, not the module cache's
      const dir = chaincodeModulePath(cc.module);
      for (const key of Object.keys(require.cache))
        if ((key === dir || key.startsWith(dir + sep)) && !key.slice(dir.length).includes(`${sep}node_modules${sep}`))
          delete require.cache[key];
      const targets = peers.filter((p) => cc.installedOn.includes(p.org.spec.mspId));
      const hosted = targets.map((p) => loadChaincode(cc, p.peer.resolve, p.org.spec.mspId));
      // Fabric's lifecycle: collections checked, and an upgrade keeps each one with its blockToLive
      collections.define(cc.name, cc.collections ?? []);
      targets.forEach((p, i) => p.peer.install([hosted[i]!]));
      // the policy last: the gateway plans endorsements for a chaincode once its policy is there
      policies.set(cc.name, policy);
      log.info(
        {
          event: 'deploy',
          chaincode: cc.name,
          version: cc.version,
          module: cc.module,
          policy: cc.endorsementPolicy,
          resolvedPolicy: formatPolicy(policy),
          installedOn: cc.installedOn,
        },
        `deployed chaincode ${cc.name} ${cc.version}`,
      );
      const at = deployed.findIndex((d) => d.name === cc.name);
      if (at >= 0) deployed.splice(at, 1, cc);
      else deployed.push(cc);
    };
    const deployErrors: { name: string; message: string }[] = [];
    for (const cc of recorded) {
      try {
        await deployChaincode(cc);
      } catch (err) {
        deployErrors.push({ name: cc.name, message: describeError(err) });
        log.error(
          { event: 'deploy_failed', chaincode: cc.name, code: (err as { code?: unknown }).code },
          `recorded chaincode ${cc.name} left out: ${(err as Error).message}`,
        );
      }
    }

    const ordererNode = ordererOrg.orderers[0]!;
    const bft =
      choice.type === 'bft'
        ? await newBftOrdering({
            choice,
            dataDir,
            channelId: network.channelId,
            batch,
            ordererOrgs,
            ledger,
            deserializer,
            msps,
            ...(verifierPool !== undefined && { verifier: verifierPool.verifier }),
            ...(threads.orderingThread && { thread: { verifyThreads: threads.orderingVerifyThreads } }),
          })
        : undefined;
    const orderer =
      bft?.orderer ??
      new SoloOrderer({
        channelId: network.channelId,
        signer: ordererOrg.signingIdentity(ordererNode.name),
        batch,
        height: ledger.height,
        lastHeaderHash: ledger.lastHeaderHash,
        deserializer,
        msps,
        verify,
      });
    const feed = feedCommitter(orderer, committer);
    await orderer.start();
    closers.push(() => orderer.stop());

    // Operations: a log line and metrics per committed block, endorser and broadcast metrics, gRPC request metrics.
    let halt: DevnetHalt | undefined;
    const metrics =
      options.metrics === false
        ? undefined
        : new DevnetMetrics({
            channelId: network.channelId,
            height: () => ledger.height,
            halted: () => halt !== undefined,
            ...(bft !== undefined && { bft: bft.control }),
          });
    for (const e of endorsers) e.observe(metrics?.proposals);
    const lrChaincodes = new Set(chaincodes.filter((cc) => enforcement.isGoverned(cc.name)).map((cc) => cc.name));
    let view = 0;
    committer.onCommit((notice) => {
      const block = summarizeBlock(notice, lrChaincodes);
      metrics?.onBlock(block);
      logBlock(log, block);
      // the replicas may run in the ordering thread: their views come back asynchronously
      if (bft !== undefined) {
        void bft.control.replicaViews().then(
          (all) => {
            const views = all.filter((v): v is number => v !== undefined);
            if (views.length > 0 && Math.max(...views) !== view) {
              view = Math.max(...views);
              log.warn(
                { event: 'view_change', view, leader: (view % bft.control.replicas) + 1 },
                `BFT view ${view}: consenter ${(view % bft.control.replicas) + 1} leads`,
              );
            }
          },
          () => undefined, // stopping: the ordering thread is gone
        );
      }
    });

    const gwOrg = orgs.get(network.gatewayPeer.mspId);
    const gwNode = gwOrg?.peers.find((p) => p.name === network.gatewayPeer.peer);
    if (gwOrg === undefined || gwNode === undefined)
      throw new DevnetError('BAD_CONFIG', `gateway peer ${network.gatewayPeer.peer} of ${network.gatewayPeer.mspId} does not exist`);
    const server: GatewayServer = await startGatewayServer({
      channelId: network.channelId,
      mspId: gwOrg.spec.mspId,
      peers: endorsers,
      endorsementPolicies: policies,
      collections,
      orderer: metrics?.broadcasts(faults.orderer(feed.gate(orderer))) ?? faults.orderer(feed.gate(orderer)),
      ordererEndpoint: { address: `${ordererNode.fqdn}:7050`, mspId: ordererOrg.spec.mspId },
      commits: committer,
      ledger,
      msps,
      deserializer,
      readers,
      batch,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      tls: { certPem: gwNode.tls.certPem, keyPem: gwNode.tls.keyPem, clientAuthRequired: options.tlsClientAuth === true },
      ...(metrics !== undefined && { interceptors: [metrics.grpcInterceptor] }),
    });
    closers.push(() => server.stop());

    let stopped: Promise<void> | undefined;
    const haltListeners = new Set<(h: DevnetHalt) => void>();
    const health = (): DevnetHealth => ({
      status: halt !== undefined ? 'HALTED' : stopped !== undefined ? 'STOPPED' : 'SERVING',
      height: ledger.height,
      ...(halt !== undefined && { halt }),
    });
    const operations = await startOperationsServer({
      host: options.host ?? '127.0.0.1',
      port: options.operationsPort ?? 0,
      health,
      ...(metrics !== undefined && { metrics: { contentType: metrics.registry.contentType, metrics: () => metrics.registry.metrics() } }),
    });
    closers.push(() => operations.stop());
    // Fail-stop, as Fabric's peer on a ledger I/O failure: take no more transactions (the feed
    // refuses Submit already), stop ordering and serving; the operations service stays up to say why.
    committer.onHalt((h) => {
      halt = devnetHalt(h);
      logHalt(log, halt);
      void enforcement.reporter.close().catch(() => undefined);
      void orderer.stop().catch(() => undefined);
      void server.stop();
      for (const l of haltListeners) l(halt);
      haltListeners.clear();
    });
    // the gateway peer's TLS certificate names it by its host name first (identity's nodeSans)
    const tlsServerName = gwNode.fqdn;
    enforcement.reporter.connect({
      endpoint: server.endpoint,
      tlsCaCertPath: nodePaths(dataDir, orgSpec(orgConfigs.get(gwOrg.spec.mspId)!), gwNode).tlsCa,
      tlsServerName,
      // the devnet's own reports go out with the gateway peer's TLS pair (its certificate is also a client certificate)
      ...(server.clientAuthRequired && { tlsClient: { certPem: gwNode.tls.certPem, keyPem: gwNode.tls.keyPem } }),
      channelId: network.channelId,
    });

    const users: Record<string, UserIdentityPaths[]> = {};
    for (const org of appOrgs) users[org.spec.mspId] = usersOf(dataDir, org);
    const tlsCaCertPath = nodePaths(dataDir, orgSpec(orgConfigs.get(gwOrg.spec.mspId)!), gwNode).tlsCa;

    return {
      endpoint: server.endpoint,
      port: server.port,
      tlsCaCertPath,
      tlsServerName,
      tlsClientAuth: server.clientAuthRequired,
      channelId: network.channelId,
      dataDir,
      users,
      generatedCrypto: generated,
      height: () => ledger.height,
      operationsEndpoint: operations.endpoint,
      health,
      onHalt: (listener) => {
        if (halt !== undefined) {
          listener(halt);
          return () => undefined;
        }
        haltListeners.add(listener);
        return () => void haltListeners.delete(listener);
      },
      incidentReportsSettled: () => enforcement.reporter.settled(),
      ...(bft !== undefined && { bft: bft.control }),
      faults,
      threads: { ...threads, endorseThreads: endorsementThreads?.threads ?? 0 },
      installedPackages: enforcement.packages,
      deployErrors,
      chaincodes: () =>
        deployed.map((cc) => {
          const policy = enforcement.isGoverned(cc.name) ? undefined : policies.get(cc.name);
          return {
            name: cc.name,
            version: cc.version,
            module: cc.module,
            endorsementPolicy: cc.endorsementPolicy,
            ...(policy !== undefined && { resolvedPolicy: formatPolicy(policy) }),
            installedOn: cc.installedOn,
            ...(cc.collections !== undefined && cc.collections.length > 0 && { collections: cc.collections }),
          };
        }),
      deployChaincode,
      stop: () =>
        (stopped ??= (async () => {
          await enforcement.reporter.close();
          await server.stop();
          await orderer.stop();
          // let the committer finish the last blocks the orderer cut (none will be after a halt)
          const last = orderer.height - 1;
          if (ledger.height <= last && committer.halt === undefined) {
            await new Promise<void>((done) => {
              const off = committer.onCommit((n) => {
                if (n.blockNum >= last) {
                  off();
                  offHalt();
                  done();
                }
              });
              const offHalt = committer.onHalt(() => {
                off();
                done();
              });
              if (ledger.height > last) {
                off();
                offHalt();
                done();
              }
            });
          }
          committer.close();
          await endorsementThreads?.close();
          await verifierPool?.close();
          await operations.stop();
          await privateData.close();
          await ledger.close();
        })()),
    };
  } catch (err) {
    return fail(err);
  }
}
