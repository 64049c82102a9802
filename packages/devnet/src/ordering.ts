// SPDX-License-Identifier: Apache-2.0
// The devnet's ordering choice: solo (one orderer) or BFT (n consenters of n orderer organizations).
// Everything that differs between the two lives here, so devnet.ts only asks for it.
import { join } from 'node:path';
import type { IdentityDeserializer, MspRegistry, OrgMaterial } from '@metroledger/identity';
import type { Ledger } from '@metroledger/ledger';
import type { common } from '@hyperledger/fabric-protos';
import { BFT_REPLICAS_MIN, bftFaultTolerance } from '@metroledger/bft';
import { BftOrderer, OrderingError, type BftTimings, type OrderingService } from '@metroledger/ordering';
import { quorumBlockVerifier, soloBlockVerifier, type BlockVerifier } from '@metroledger/peer';
import {
  blockHeaderHash,
  decodeBlock,
  parseChannelConfig,
  type BatchConfig,
  type ConsensusConfig,
  type ConsenterConfig,
  type SignatureVerifier,
} from '@metroledger/protocol';
import { ThreadedBftOrderer } from './bft-thread.js';
import { BFT_BATCH_TIMEOUT_MS, bftOrdererOrganizations, DEFAULT_BFT_REPLICAS } from './config/bft-orderers.js';
import { DevnetError } from './errors.js';
import type { NetworkConfig } from './network.js';

export type OrderingType = 'solo' | 'bft';

/** The most BFT replicas one devnet process runs (each is an orderer organization with its own CA). */
const DEVNET_BFT_REPLICAS_MAX = 31;

export interface OrderingChoice {
  readonly type: OrderingType;
  /** BFT replicas, 4..31: any n is safe (quorums of bftQuorum(n)) and tolerates f = bftFaultTolerance(n). */
  readonly replicas: number;
  /** BFT replicas left stopped at start (to measure or demonstrate a degraded service). */
  readonly replicasDown: readonly number[];
}

/** Checks the options and the network's default. @throws DevnetError BAD_CONFIG */
export function orderingChoice(
  network: NetworkConfig,
  o: { ordering?: string; bftReplicas?: number; bftReplicasDown?: readonly number[] },
): OrderingChoice {
  const type = o.ordering ?? network.ordering;
  if (type !== 'solo' && type !== 'bft') throw new DevnetError('BAD_CONFIG', `ordering ${String(type)} is not available (solo or bft)`);
  const replicas = o.bftReplicas ?? DEFAULT_BFT_REPLICAS;
  // Fewer than 4 replicas tolerate no Byzantine one; above 31 the one devnet process is the limit, not safety.
  if (!Number.isInteger(replicas) || replicas < BFT_REPLICAS_MIN || replicas > DEVNET_BFT_REPLICAS_MAX) {
    throw new DevnetError(
      'BAD_CONFIG',
      `BFT needs ${BFT_REPLICAS_MIN}..${DEVNET_BFT_REPLICAS_MAX} replicas on the devnet, not ${replicas}`,
    );
  }
  const down = [...new Set(o.bftReplicasDown ?? [])];
  const f = bftFaultTolerance(replicas);
  if (down.some((r) => !Number.isInteger(r) || r < 0 || r >= replicas))
    throw new DevnetError('BAD_CONFIG', `replicas to leave down must be in 0..${replicas - 1}`);
  if (down.length > f) throw new DevnetError('BAD_CONFIG', `at most f = ${f} of ${replicas} replicas may be down`);
  if (type === 'solo' && (o.bftReplicas !== undefined || down.length > 0))
    throw new DevnetError('BAD_CONFIG', 'BFT replica options need BFT ordering');
  return { type, replicas, replicasDown: down };
}

/** The network with the orderer organizations of the chosen ordering (BFT: Orderer1MSP..Orderer<n>MSP, BatchTimeout at least 100 ms). */
export function withOrdering(network: NetworkConfig, choice: OrderingChoice): NetworkConfig {
  if (choice.type === 'solo') return network;
  return {
    ...network,
    organizations: [...network.organizations.filter((o) => o.kind !== 'orderer'), ...bftOrdererOrganizations(choice.replicas)],
    batch: { ...network.batch, batchTimeoutMs: Math.max(network.batch.batchTimeoutMs, BFT_BATCH_TIMEOUT_MS) },
  };
}

function consenters(ordererOrgs: readonly OrgMaterial[]): ConsenterConfig[] {
  return ordererOrgs.map((org, i) => {
    const node = org.orderers[0]!;
    return {
      id: i + 1,
      mspId: org.spec.mspId,
      host: node.fqdn,
      port: 7050,
      identityPem: node.sign.certPem,
      serverTlsCertPem: node.tls.certPem,
    };
  });
}

/** The genesis block's ConsensusConfig. */
export function consensusConfig(choice: OrderingChoice, ordererOrgs: readonly OrgMaterial[]): ConsensusConfig {
  return choice.type === 'bft' ? { type: 'BFT', consenters: consenters(ordererOrgs) } : { type: 'solo' };
}

/** How the committing peer checks orderer signatures: one orderer, or a quorum of consenters. */
export function blockVerifierFor(
  choice: OrderingChoice,
  m: { deserializer: IdentityDeserializer; msps: MspRegistry; ordererOrgs: readonly OrgMaterial[] },
): BlockVerifier {
  return choice.type === 'bft'
    ? quorumBlockVerifier({ deserializer: m.deserializer, msps: m.msps, consenters: consenters(m.ordererOrgs) })
    : soloBlockVerifier({ deserializer: m.deserializer, msps: m.msps, ordererMspIds: m.ordererOrgs.map((o) => o.spec.mspId) });
}

/** A ledger keeps the ordering its genesis block names. @throws DevnetError BAD_CONFIG */
export async function checkLedgerOrdering(ledger: Ledger, choice: OrderingChoice): Promise<void> {
  if (ledger.height === 0) return;
  const consensus = parseChannelConfig(decodeBlock(await ledger.getBlock(0))).consensus;
  const has = consensus.type === 'BFT' ? `bft with ${consensus.consenters.length} replicas` : 'solo';
  const wants = choice.type === 'bft' ? `bft with ${choice.replicas} replicas` : 'solo';
  if (has !== wants)
    throw new DevnetError(
      'BAD_CONFIG',
      `this ledger was created with ${has} ordering, not ${wants}: start it that way, or reset the devnet`,
    );
}

/** Replica control of a BFT devnet (fault injection for tests, demos and measurements). */
export interface DevnetBft {
  readonly replicas: number;
  readonly f: number;
  /** Whether the replicas run in a thread of their own (else on the devnet's event loop). */
  readonly threaded: boolean;
  /** Crashes replica i (0-based; consenter id i+1): it stops, loses its memory, keeps its WAL. */
  stopReplica(i: number): Promise<void>;
  /** Restarts replica i from its WAL; it catches up by state transfer. */
  startReplica(i: number): Promise<void>;
  isReplicaRunning(i: number): Promise<boolean>;
  /** Decided height of each replica (undefined while stopped). */
  replicaHeights(): Promise<(number | undefined)[]>;
  /** Installed view of each running replica. */
  replicaViews(): Promise<(number | undefined)[]>;
  /** Block `seq` as replica i stored it in its WAL (committed form, with its certificate). */
  replicaBlock(i: number, seq: number): Promise<Uint8Array>;
}

export interface BftOrderingSetup {
  readonly orderer: OrderingService & { readonly height: number };
  readonly control: DevnetBft;
}

/**
 * The BFT ordering service: WALs under `<dataDir>/orderers/<consenter host>/`. Not started. With
 * `thread`, the replicas run in a thread of their own (bft-thread.ts); else on this event loop.
 */
export async function newBftOrdering(o: {
  choice: OrderingChoice;
  dataDir: string;
  channelId: string;
  batch: BatchConfig;
  ordererOrgs: readonly OrgMaterial[];
  ledger: Ledger;
  deserializer: IdentityDeserializer;
  msps: MspRegistry;
  timings?: BftTimings;
  /** Worker-thread signature checks for the replicas (inline when absent). */
  verifier?: SignatureVerifier;
  /** Run the replicas in their own thread, with this many verification threads of theirs (0: inline). */
  thread?: { readonly verifyThreads: number };
}): Promise<BftOrderingSetup> {
  const genesis = decodeBlock(await o.ledger.getBlock(0));
  const cs = consenters(o.ordererOrgs);
  const genesisHeaderHash = blockHeaderHash(genesis.getHeader()!);
  if (o.thread !== undefined) {
    const orderer = new ThreadedBftOrderer({
      channelId: o.channelId,
      batch: o.batch,
      consenters: cs.map((config, i) => {
        const node = o.ordererOrgs[i]!.orderers[0]!;
        return { config, mspId: o.ordererOrgs[i]!.spec.mspId, certPem: node.sign.certPem, keyPem: node.sign.keyPem };
      }),
      dataDir: join(o.dataDir, 'orderers'),
      genesisHeaderHash,
      deliverFrom: o.ledger.height,
      msps: o.msps.mspIds.map((id) => o.msps.getConfig(id)!),
      replicasDown: o.choice.replicasDown,
      ...(o.timings !== undefined && { timings: o.timings }),
      verifyThreads: o.thread.verifyThreads,
    });
    const control: DevnetBft = {
      replicas: orderer.n,
      f: orderer.f,
      threaded: true,
      stopReplica: (i) => orderer.stopReplica(i),
      startReplica: (i) => orderer.startReplica(i),
      isReplicaRunning: (i) => orderer.isReplicaRunning(i),
      replicaHeights: () => orderer.replicaHeights(),
      replicaViews: () => orderer.replicaViews(),
      replicaBlock: (i, seq) => orderer.replicaBlock(i, seq),
    };
    return { orderer, control };
  }
  const orderer = new BftOrderer({
    channelId: o.channelId,
    batch: o.batch,
    consenters: cs.map((config, i) => ({ config, signer: o.ordererOrgs[i]!.signingIdentity(o.ordererOrgs[i]!.orderers[0]!.name) })),
    dataDir: join(o.dataDir, 'orderers'),
    genesisHeaderHash,
    deliverFrom: o.ledger.height,
    deserializer: o.deserializer,
    msps: o.msps,
    replicasDown: o.choice.replicasDown,
    ...(o.timings !== undefined && { timings: o.timings }),
    ...(o.verifier !== undefined && { verifier: o.verifier }),
  });
  const control: DevnetBft = {
    replicas: orderer.n,
    f: orderer.f,
    threaded: false,
    stopReplica: async (i) => orderer.stopReplica(i),
    startReplica: async (i) => orderer.startReplica(i),
    isReplicaRunning: async (i) => orderer.isReplicaRunning(i),
    replicaHeights: async () => orderer.replicaHeights(),
    replicaViews: async () => orderer.replicaViews(),
    replicaBlock: async (i, seq) => orderer.replicaBlock(i, seq),
  };
  return { orderer, control };
}

/** Blocks handed to the committer at once (it refuses more than 64 ahead of its height). */
const COMMIT_IN_FLIGHT = 32;
/** Ordered blocks waiting for the committer beyond which Submit answers BUSY (retryable). */
const COMMIT_BACKLOG_MAX = 512;

export interface CommitFeed {
  /** Ordered blocks not yet handed to the committer. */
  readonly backlog: number;
  /** `orderer` whose broadcast answers BUSY while the committer is far behind (what the gateway calls). */
  gate<O extends { broadcast(envelope: Uint8Array): Promise<void> }>(orderer: O): { broadcast(envelope: Uint8Array): Promise<void> };
}

/**
 * Feeds ordered blocks to the committer in order, never more than it accepts ahead of its height
 * (a fire-and-forget delivery loses blocks once ordering outpaces validation); the others wait
 * here, and a long wait turns into BUSY at the gateway's Submit, which clients retry. Once the
 * committer has halted (its ledger failed), nothing is fed and every Submit is refused
 * (SERVICE_UNAVAILABLE): a transaction accepted then could never be committed.
 */
export function feedCommitter(
  orderer: { onBlock(listener: (block: common.Block) => void): unknown },
  committer: {
    deliver(block: common.Block): Promise<unknown>;
    readonly halt?: { readonly blockNum: number; readonly error: Error } | undefined;
  },
): CommitFeed {
  const waiting: common.Block[] = [];
  let inFlight = 0;
  const pump = (): void => {
    if (committer.halt !== undefined) {
      waiting.length = 0;
      return;
    }
    while (inFlight < COMMIT_IN_FLIGHT && waiting.length > 0) {
      const block = waiting.shift()!;
      inFlight++;
      committer.deliver(block).then(
        () => {
          inFlight--;
          pump();
        },
        (err: unknown) => {
          inFlight--;
          // A halt is reported once, by whoever listens to the committer's onHalt.
          if (committer.halt !== undefined) return pump();
          // A block the committer refuses is a bug in this process, not a client error: make it loud.
          process.emitWarning(`devnet: block ${block.getHeader()?.getNumber()} not committed: ${(err as Error).message}`);
          pump();
        },
      );
    }
  };
  orderer.onBlock((block) => {
    waiting.push(block);
    pump();
  });
  return {
    get backlog() {
      return waiting.length;
    },
    gate(o) {
      return {
        broadcast: (envelope) =>
          committer.halt !== undefined
            ? Promise.reject(
                new OrderingError(
                  'SERVICE_UNAVAILABLE',
                  `the peer halted: its ledger could not commit block ${committer.halt.blockNum} (${committer.halt.error.message}); no transaction is accepted until it is restarted`,
                ),
              )
            : waiting.length > COMMIT_BACKLOG_MAX
              ? Promise.reject(new OrderingError('BUSY', `the committing peer is ${waiting.length} blocks behind ordering: retry later`))
              : o.broadcast(envelope),
      };
    },
  };
}
