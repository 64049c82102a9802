// SPDX-License-Identifier: Apache-2.0
// BFT ordering service of the devnet: n = 3f+1 replicas of @metroledger/bft in this process, each
// with its own consenter identity (a different orderer organization), its own write-ahead log and
// its own checks; they talk over an in-process transport. A block reaches the peer as soon as one
// replica decided it, carrying that replica's commit certificate (2f+1 consenter signatures) as
// its SIGNATURES metadata.
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { BftError, Replica, bftQuorum, type Decision, type ReplicaOptions, type RequestsMsg, type SignedMessage, type TraceSink } from '@metroledger/bft';
import { verifySignature, type Identity } from '@metroledger/identity';
import type { BatchConfig, BlockSigner, ConsenterConfig } from '@metroledger/protocol';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { checkBatchConfig } from '../blockcutter.js';
import { OrderingError } from '../errors.js';
import type { OrderingService } from '../solo.js';
import { FabricBftApp } from './app.js';
import { committedBlockBytes } from './blocks.js';
import { openReplicaStorage, type ReplicaStorage } from './storage.js';
import { InProcessNetwork } from './transport.js';
import { deliverBlock } from '../listeners.js';

/** One replica: its consenter entry of the genesis block and its signing identity. */
export interface BftConsenter {
  /** As in the channel's ConsensusConfig; replica i must be consenter id i+1. */
  readonly config: ConsenterConfig;
  /** Its private key signs its votes and its block signatures; no other replica uses it. */
  readonly signer: BlockSigner;
}

/** Protocol timers (ms); the defaults suit an in-process devnet. */
export interface BftTimings {
  /** Replica clock tick (batch timeout, heartbeats, complaints are checked on ticks). Default 10. */
  readonly tickMs?: number;
  readonly requestTimeoutMs?: number;
  readonly leaderTimeoutMs?: number;
  readonly heartbeatMs?: number;
  readonly viewChangeTimeoutMs?: number;
  readonly retransmitMs?: number;
}

export interface BftOrdererOptions {
  readonly channelId: string;
  /** Fabric's batch size and timeout: the leader proposes a block of up to maxMessageCount envelopes. */
  readonly batch: BatchConfig;
  /** n >= 4 consenters; f = floor((n-1)/3) may fail. */
  readonly consenters: readonly BftConsenter[];
  /** Each replica's WAL goes to `<dataDir>/<consenter host>/` (blocks.wal, state.wal). */
  readonly dataDir: string;
  /** Header hash of the genesis block (block 0): block 1 chains on it. */
  readonly genesisHeaderHash: Uint8Array;
  /** The first block number the listeners need (the ledger's height); earlier decided blocks are not re-emitted. */
  readonly deliverFrom: number;
  readonly deserializer: { deserialize(serialized: Uint8Array): Identity };
  readonly msps: { isValid(identity: Identity): boolean };
  readonly lastConfigIndex?: number;
  /** Pending requests per replica before broadcast answers BUSY. Default 10,000. */
  readonly poolSizeMax?: number;
  /** The replica the gateway hands envelopes to (the next running one if it is down). Default 0. */
  readonly entryReplica?: number;
  readonly timings?: BftTimings;
  /** Replicas that `start` leaves stopped (a degraded service from the outset; at most f). */
  readonly replicasDown?: readonly number[];
  /** Protocol trace of every replica (one line per event); default none. */
  readonly trace?: TraceSink;
}

interface Node {
  readonly index: number;
  readonly dir: string;
  replica?: Replica;
  app?: FabricBftApp;
  storage?: ReplicaStorage;
  timer?: NodeJS.Timeout;
  flushScheduled?: boolean;
}

/** Stopping waits at most this long for accepted requests to be ordered. */
const DRAIN_MS = 10_000;

/** BFT ordering service (PBFT with 2f+1 quorums over Fabric blocks), n replicas in this process. */
export class BftOrderer implements OrderingService {
  readonly n: number;
  readonly f: number;
  readonly #o: BftOrdererOptions;
  readonly #net: InProcessNetwork;
  readonly #nodes: Node[];
  readonly #keys: KeyObject[];
  readonly #listeners = new Set<(block: common.Block) => void>();
  #next: number;
  #running = false;

  constructor(o: BftOrdererOptions) {
    checkBatchConfig(o.batch);
    const n = o.consenters.length;
    if (n < 4) throw new OrderingError('BAD_CONFIG', `BFT ordering needs at least 4 consenters (3f+1), got ${n}`);
    o.consenters.forEach((c, i) => {
      if (c.config.id !== i + 1) throw new OrderingError('BAD_CONFIG', `consenter ${i} must have id ${i + 1}, has ${c.config.id}`);
    });
    if (!Number.isSafeInteger(o.deliverFrom) || o.deliverFrom < 1) throw new OrderingError('BAD_CONFIG', 'deliverFrom must be at least 1 (after the genesis block)');
    const entry = o.entryReplica ?? 0;
    if (!Number.isInteger(entry) || entry < 0 || entry >= n) throw new OrderingError('BAD_CONFIG', `entryReplica must be in 0..${n - 1}`);
    this.#o = o;
    this.n = n;
    this.f = Math.floor((n - 1) / 3);
    this.#keys = o.consenters.map((c) => new X509Certificate(c.config.identityPem).publicKey);
    this.#net = new InProcessNetwork(n);
    this.#net.setReceiver((to, from, msg) => this.#deliver(to, from, msg));
    this.#nodes = o.consenters.map((c, i) => ({ index: i, dir: join(o.dataDir, c.config.host) }));
    this.#next = o.deliverFrom;
  }

  /** Number of the next block this service will hand to its listeners. */
  get height(): number {
    return this.#next;
  }

  get quorum(): number {
    return bftQuorum(this.n);
  }

  /** Starts every replica (recovering from its WAL) and re-emits decided blocks the listeners lack. */
  async start(): Promise<void> {
    if (this.#running) return;
    const down = new Set(this.#o.replicasDown ?? []);
    if (down.size > this.f) throw new OrderingError('BAD_CONFIG', `at most f = ${this.f} replicas may be down`);
    const up = this.#nodes.filter((nd) => !down.has(nd.index));
    for (const node of up) this.#startNode(node);
    this.#running = true;
    const best = up.reduce((a, b) => (b.storage!.height() > a.storage!.height() ? b : a));
    const top = best.storage!.height();
    if (top < this.#next - 1) {
      await this.stop();
      throw new OrderingError('BAD_CONFIG', `the orderers' logs end at block ${top} but the ledger already holds block ${this.#next - 1}`, { ordererHeight: top, ledgerHeight: this.#next });
    }
    while (this.#next <= top) this.#emit(best.storage!.readDecision(this.#next)!);
  }

  /** Waits (bounded) until accepted requests are ordered, then stops every replica. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    const deadline = Date.now() + DRAIN_MS;
    while (Date.now() < deadline && this.#nodes.some((nd) => nd.replica !== undefined && nd.replica.getPoolSize() > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.#running = false;
    for (const node of this.#nodes) this.#stopNode(node);
  }

  onBlock(listener: (block: common.Block) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  async broadcast(envelope: Uint8Array): Promise<void> {
    if (!this.#running) throw new OrderingError('SERVICE_UNAVAILABLE', 'orderer is not running');
    const entry = this.#entryNode();
    if (entry === undefined) throw new OrderingError('SERVICE_UNAVAILABLE', 'no ordering replica is running');
    const txId = entry.app!.admit(envelope);
    try {
      entry.replica!.submit({ id: txId, data: envelope });
      if (!entry.flushScheduled) {
        // Forward this turn's requests to the other replicas now, not at the next tick: once
        // forwarded, an acknowledged request survives a crash of the replica that took it.
        entry.flushScheduled = true;
        setImmediate(() => {
          entry.flushScheduled = false;
          this.#tick(entry);
        });
      }
    } catch (err) {
      if (err instanceof BftError && err.code === 'POOL_FULL') {
        throw new OrderingError('BUSY', `request pool of replica ${entry.index} is full: retry later`, { replica: entry.index }, { cause: err });
      }
      if (err instanceof BftError && err.code === 'REQUEST_INVALID') throw new OrderingError('BAD_REQUEST', err.message, undefined, { cause: err });
      throw err;
    }
  }

  // ---- replicas (fault injection for tests and measurements) ----------------------------------

  /** Crashes replica `i`: its timer stops, the transport drops its messages, its WAL is closed; its memory is lost. */
  stopReplica(i: number): void {
    this.#stopNode(this.#node(i));
  }

  /** Restarts replica `i` from its WAL; it catches up by state transfer. */
  startReplica(i: number): void {
    const node = this.#node(i);
    if (node.replica === undefined) this.#startNode(node);
  }

  isReplicaRunning(i: number): boolean {
    return this.#node(i).replica !== undefined;
  }

  /** Decided height of every replica (undefined for a stopped one). */
  replicaHeights(): (number | undefined)[] {
    return this.#nodes.map((nd) => nd.replica?.getHeight());
  }

  /** Installed view of every running replica. */
  replicaViews(): (number | undefined)[] {
    return this.#nodes.map((nd) => nd.replica?.getView());
  }

  /** The committed block `seq` as replica `i` stored it (its WAL record), for audits and tests. */
  replicaBlock(i: number, seq: number): Uint8Array {
    const s = this.#node(i).storage;
    if (s === undefined) throw new OrderingError('SERVICE_UNAVAILABLE', `replica ${i} is not running`);
    return s.readBlock(seq);
  }

  #node(i: number): Node {
    const node = this.#nodes[i];
    if (node === undefined) throw new OrderingError('BAD_CONFIG', `no replica ${i} (n = ${this.n})`);
    return node;
  }

  #entryNode(): Node | undefined {
    const first = this.#o.entryReplica ?? 0;
    for (let k = 0; k < this.n; k++) {
      const node = this.#nodes[(first + k) % this.n]!;
      if (node.replica !== undefined) return node;
    }
    return undefined;
  }

  #startNode(node: Node): void {
    const o = this.#o;
    const i = node.index;
    const lastConfigIndex = o.lastConfigIndex ?? 0;
    const storage = openReplicaStorage(node.dir, { lastConfigIndex });
    try {
      const app = new FabricBftApp({
        checks: { channelId: o.channelId, absoluteMaxBytes: o.batch.absoluteMaxBytes, deserializer: o.deserializer, msps: o.msps },
        batch: o.batch,
        lastConfigIndex,
        genesisHeaderHash: o.genesisHeaderHash,
        onDecided: (d) => this.#onDecided(d),
      });
      const h = storage.height();
      app.resumeAfter(h > 0 ? storage.readDecision(h) : undefined);
      const signer = o.consenters[i]!.signer;
      const t = o.timings ?? {};
      const options: ReplicaOptions = {
        id: i,
        n: this.n,
        network: this.#net.endpoint(i),
        clock: { nowMs: () => performance.now() },
        crypto: {
          sign: (bytes) => signer.sign(bytes),
          verify: (r, bytes, sig) => {
            const key = this.#keys[r];
            return key !== undefined && verifySignature(key, bytes, sig);
          },
        },
        storage,
        app,
        batchSizeMax: o.batch.maxMessageCount,
        batchBytesMax: o.batch.preferredMaxBytes,
        batchTimeoutMs: o.batch.batchTimeoutMs,
        requestBytesMax: o.batch.absoluteMaxBytes,
        proposalBytesMax: o.batch.preferredMaxBytes + o.batch.absoluteMaxBytes + 1024 * 1024,
        poolSizeMax: o.poolSizeMax ?? 10_000,
        ...(t.requestTimeoutMs !== undefined && { requestTimeoutMs: t.requestTimeoutMs }),
        ...(t.leaderTimeoutMs !== undefined && { leaderTimeoutMs: t.leaderTimeoutMs }),
        ...(t.heartbeatMs !== undefined && { heartbeatMs: t.heartbeatMs }),
        ...(t.viewChangeTimeoutMs !== undefined && { viewChangeTimeoutMs: t.viewChangeTimeoutMs }),
        ...(t.retransmitMs !== undefined && { retransmitMs: t.retransmitMs }),
        ...(o.trace !== undefined && { trace: o.trace }),
      };
      // The transport must accept the replica's messages from its first breath (recovery re-broadcasts).
      this.#net.setUp(i, true);
      node.replica = new Replica(options);
      node.app = app;
      node.storage = storage;
      node.timer = setInterval(() => this.#tick(node), t.tickMs ?? 10);
      node.timer.unref();
    } catch (err) {
      this.#net.setUp(i, false);
      storage.close();
      throw err instanceof BftError ? new OrderingError('STORAGE', `replica ${i} cannot recover: ${err.message}`, { replica: i }, { cause: err }) : err;
    }
  }

  #stopNode(node: Node): void {
    this.#net.setUp(node.index, false);
    if (node.timer !== undefined) clearInterval(node.timer);
    node.storage?.close();
    node.replica = undefined;
    node.app = undefined;
    node.storage = undefined;
    node.timer = undefined;
  }

  #tick(node: Node): void {
    try {
      node.replica?.onTick(performance.now());
    } catch (err) {
      this.#fail(node, err);
    }
  }

  #deliver(to: number, from: number, msg: SignedMessage): void {
    const node = this.#nodes[to]!;
    const replica = node.replica;
    if (replica === undefined) return;
    try {
      // Forwarded requests are checked by every replica (as Fabric's BFT does); a replica that
      // forwards an invalid envelope is faulty, and its message is dropped as a whole.
      if (msg.body.type === 'requests' && !(msg.body as RequestsMsg).requests.every((r) => node.app!.admitForwarded(r))) return;
      replica.onMessage(from, msg);
    } catch (err) {
      this.#fail(node, err);
    }
  }

  /** A replica whose storage fails stops (fail-stop) rather than vote on state it could not persist. */
  #fail(node: Node, err: unknown): void {
    process.emitWarning(`bft: replica ${node.index} stopped: ${(err as Error).message}`);
    this.#stopNode(node);
  }

  #onDecided(d: Decision): void {
    if (d.seq !== this.#next) return; // another replica emitted it already
    this.#emit(d);
  }

  #emit(d: Decision): void {
    const block = common.Block.deserializeBinary(committedBlockBytes(d, this.#o.lastConfigIndex ?? 0));
    this.#next = d.seq + 1;
    deliverBlock(this.#listeners, block);
  }
}
