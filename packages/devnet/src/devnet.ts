// SPDX-License-Identifier: Apache-2.0
// Assembles the embedded network in one process: crypto material, ledger, endorsing peers with
// their chaincodes, the ordering service, the committer, and the Fabric Gateway gRPC server.
import { isAbsolute, join, resolve } from 'node:path';
import { hostChaincodeModule, type HostedChaincode } from '@metroledger/chaincode-host';
import { startGatewayServer, type EndorsingPeer, type GatewayServer } from '@metroledger/gateway';
import { IdentityDeserializer, MspRegistry, nodePaths, type OrgMaterial } from '@metroledger/identity';
import { Ledger, type BlockFileSystem } from '@metroledger/ledger';
import { SoloOrderer } from '@metroledger/ordering';
import { Committer, Endorser, SignatureVerifierPool } from '@metroledger/peer';
import { parsePolicy, type Policy } from '@metroledger/policy';
import { newGenesisBlock, type BatchConfig } from '@metroledger/protocol';
import { DEFAULT_NETWORK } from './config/default-network.js';
import { ensureOrganizations, orgSpec } from './crypto.js';
import { prepareDataDir } from './datadir.js';
import { devnetHalt, startOperationsServer, type DevnetHalt, type DevnetHealth } from './health.js';
import { DevnetError } from './errors.js';
import type { ChaincodeConfig, NetworkConfig, OrgConfig } from './network.js';
import { restoreFabricProtosGlobals } from './protoglobals.js';
import { blockVerifierFor, checkLedgerOrdering, consensusConfig, feedCommitter, newBftOrdering, orderingChoice, withOrdering, type DevnetBft, type OrderingType } from './ordering.js';
import { Enforcement, type PeerPackage, type SubvertedPeerConfig } from './enforce.js';
import { governedLedger } from './governed.js';
import { FaultInjector, type DevnetFaults } from './faults.js';
import { threadPlan, threadsFromEnv, type ThreadOptions, type ThreadPlan } from './threads.js';
import { EndorsementThreads } from './endorsement/pool.js';
import type { PeerSpec } from './endorsement/messages.js';

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
  /** Chaincodes deployed instead of the network's (e.g. a test chaincode). */
  chaincodes?: readonly ChaincodeConfig[];
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
  /** http://host:port of the operations service: GET /healthz answers 200, or 503 with the reason. */
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
  /** BFT ordering only: replica control (stop, restart, heights, stored blocks). */
  readonly bft?: DevnetBft;
  /** Fault injection (tests, demos): lagging endorsers, lost orderer answers. */
  readonly faults: DevnetFaults;
  /** The worker threads the devnet runs beside its event loop. */
  readonly threads: ThreadPlan;
  /** What each peer runs for each registry-governed chaincode (the package ids the notified body must approve). */
  readonly installedPackages: readonly PeerPackage[];
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

function loadChaincode(cc: ChaincodeConfig, resolveChaincode: (name: string) => HostedChaincode | undefined): HostedChaincode {
  try {
    return hostChaincodeModule({ name: cc.name, version: cc.version, dir: chaincodeModulePath(cc.module), resolveChaincode });
  } catch (err) {
    if (err instanceof DevnetError) throw err;
    throw new DevnetError('CHAINCODE_LOAD', `chaincode ${cc.name} (${cc.module}) cannot be loaded: ${(err as Error).message}`, { chaincode: cc.name }, { cause: err });
  }
}

function usersOf(dataDir: string, org: OrgMaterial): UserIdentityPaths[] {
  const users = [...org.users].sort((a, b) => Number(a.name === 'Admin') - Number(b.name === 'Admin'));
  return users.map((u) => {
    const p = nodePaths(dataDir, org.spec, u);
    return { mspId: org.spec.mspId, name: u.fqdn, certPath: p.signcert, keyPath: p.keystoreKey, tlsCertPath: p.tlsCert, tlsKeyPath: p.tlsKey };
  });
}

/** Starts a devnet on `dataDir`, creating it on first use and resuming its ledger afterwards. */
export async function startDevnet(options: StartDevnetOptions): Promise<Devnet> {
  restoreFabricProtosGlobals();
  const choice = orderingChoice(options.network ?? DEFAULT_NETWORK, options);
  const network = withOrdering(options.network ?? DEFAULT_NETWORK, choice);
  const dataDir = resolve(options.dataDir);
  const chaincodes = options.chaincodes ?? network.chaincodes;
  const batch: BatchConfig = { ...network.batch, ...options.batch };
  await prepareDataDir(dataDir);

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
  for (const cc of chaincodes) {
    try {
      // a registry-governed chaincode's policy comes from the ledger (governed.ts), never from here
      if (!enforcement.isGoverned(cc.name)) policies.set(cc.name, parsePolicy(cc.endorsementPolicy));
    } catch (err) {
      throw new DevnetError('BAD_CONFIG', `endorsement policy of ${cc.name}: ${(err as Error).message}`, { chaincode: cc.name }, { cause: err });
    }
    for (const mspId of cc.installedOn) {
      if (orgConfigs.get(mspId)?.kind !== 'peer') throw new DevnetError('BAD_CONFIG', `chaincode ${cc.name} is installed on ${mspId}, which is not a peer organization`);
    }
  }

  const threads = threadPlan({ ...threadsFromEnv(), ...options.threads, ...(options.verifyThreads !== undefined && { verifyThreads: options.verifyThreads }) });
  const ledger = await Ledger.open(join(dataDir, 'ledger'), { ...(options.ledgerFileSystem !== undefined && { fileSystem: options.ledgerFileSystem }) });
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
    const committer = new Committer({
      channelId: network.channelId,
      ledger: governedLedger(ledger, enforcement.registry),
      blockVerifier: blockVerifierFor(choice, { deserializer, msps, ordererOrgs }),
      deserializer,
      msps,
      endorsementPolicy: (name) => policies.get(name),
      ...(verifierPool !== undefined && { signatureVerifier: verifierPool.verifier }),
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

    await enforcement.registry.refresh(ledger.state);
    await enforcement.prepare(appOrgs);
    closers.push(() => enforcement.reporter.close());

    // Every peer has its own identity, installed chaincodes and endorsements; they share the one
    // validated ledger of this process (each block is validated and committed once).
    const peerNodes = appOrgs.flatMap((org) => org.peers.map((node) => ({ org, node })));
    const peerNames = peerNodes.map((p) => p.node.fqdn);
    let endorsers: EndorsingPeer[];
    let faults: FaultInjector;
    let endorsementThreads: EndorsementThreads | undefined;
    if (threads.endorseThreads > 0) {
      // Endorsement in worker threads (endorsement/pool.ts), each hosting every peer.
      const specs: PeerSpec[] = peerNodes.map(({ org, node }) => ({
        mspId: org.spec.mspId,
        fqdn: node.fqdn,
        address: `${node.fqdn}:7051`,
        certPem: node.sign.certPem,
        keyPem: node.sign.keyPem,
        chaincodes: chaincodes
          .filter((cc) => cc.installedOn.includes(org.spec.mspId))
          .map((cc) => enforcement.spec(cc, org, node, chaincodeModulePath) ?? { name: cc.name, version: cc.version, dir: chaincodeModulePath(cc.module), statedVersion: false }),
      }));
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
      endorsers = specs.map((_, i) => pool.peer(i));
      faults = new FaultInjector(ledger.state, peerNames, (peer, proposals) => pool.lag(peerNames.indexOf(peer), proposals));
    } else {
      faults = new FaultInjector(ledger.state, peerNames);
      endorsers = [];
      for (const { org, node } of peerNodes) {
        const installed = chaincodes.filter((cc) => cc.installedOn.includes(org.spec.mspId));
        // chaincodes on one peer call each other (stub.invokeChaincode) and nothing else
        const onPeer = new Map<string, HostedChaincode>();
        const resolveOnPeer = (name: string) => onPeer.get(name);
        for (const cc of installed) onPeer.set(cc.name, enforcement.host(cc, org, node, resolveOnPeer, chaincodeModulePath) ?? loadChaincode(cc, resolveOnPeer));
        endorsers.push(
          new Endorser({
            identity: org.signingIdentity(node.name),
            address: `${node.fqdn}:7051`,
            channelId: network.channelId,
            msps: proposers,
            deserializer,
            ledger,
            chaincodes: [...onPeer.values()],
            verify,
            simulationState: faults.simulationState(node.fqdn),
          }),
        );
      }
      // chaincode modules load fabric-shim, whose older protobuf classes shadow ours in google-protobuf's namespace
      restoreFabricProtosGlobals();
    }

    const ordererNode = ordererOrg.orderers[0]!;
    const bft = choice.type === 'bft'
      ? await newBftOrdering({
        choice, dataDir, channelId: network.channelId, batch, ordererOrgs, ledger, deserializer, msps,
        ...(verifierPool !== undefined && { verifier: verifierPool.verifier }),
        ...(threads.orderingThread && { thread: { verifyThreads: threads.orderingVerifyThreads } }),
      })
      : undefined;
    const orderer = bft?.orderer ?? new SoloOrderer({
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

    const gwOrg = orgs.get(network.gatewayPeer.mspId);
    const gwNode = gwOrg?.peers.find((p) => p.name === network.gatewayPeer.peer);
    if (gwOrg === undefined || gwNode === undefined) throw new DevnetError('BAD_CONFIG', `gateway peer ${network.gatewayPeer.peer} of ${network.gatewayPeer.mspId} does not exist`);
    const server: GatewayServer = await startGatewayServer({
      channelId: network.channelId,
      mspId: gwOrg.spec.mspId,
      peers: endorsers,
      endorsementPolicies: policies,
      orderer: faults.orderer(feed.gate(orderer)),
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
    });
    closers.push(() => server.stop());

    let halt: DevnetHalt | undefined;
    let stopped: Promise<void> | undefined;
    const haltListeners = new Set<(h: DevnetHalt) => void>();
    const health = (): DevnetHealth => ({ status: halt !== undefined ? 'HALTED' : stopped !== undefined ? 'STOPPED' : 'SERVING', height: ledger.height, ...(halt !== undefined && { halt }) });
    const operations = await startOperationsServer({ host: options.host ?? '127.0.0.1', port: options.operationsPort ?? 0, health });
    closers.push(() => operations.stop());
    // Fail-stop, as Fabric's peer on a ledger I/O failure: take no more transactions (the feed
    // refuses Submit already), stop ordering and serving; the operations service stays up to say why.
    committer.onHalt((h) => {
      halt = devnetHalt(h);
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
      ...(bft !== undefined && { bft: bft.control }),
      faults,
      threads,
      installedPackages: enforcement.packages,
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
          await ledger.close();
        })()),
    };
  } catch (err) {
    return fail(err);
  }
}
