// SPDX-License-Identifier: Apache-2.0
// BFT ordering service of the devnet: n >= 4 replicas of @metroledger/bft in this process, each
// with its own consenter identity (a different orderer organization), its own write-ahead log and
// its own checks; they talk over an in-process transport. A block reaches the peer as soon as one
// replica decided it, carrying that replica's commit certificate (a quorum of consenter signatures) as
// its SIGNATURES metadata.
//
// Two edges keep slow work off the event loop without changing what each replica checks or when its
// output may leave it:
// - with a `verifier` (worker threads), the signatures of a message bound for a replica (the
//   message's own, and those of the envelopes it forwards) are verified before the replica's turn,
//   in arrival order; the replica's own check then finds the answer;
// - WAL records are written and synced in libuv's thread pool; the replica's messages and decided
//   blocks are held until the writes made before them are durable (output commit, gate.ts).
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import {
  BFT_REPLICAS_MAX,
  BFT_REPLICAS_MIN,
  BftError,
  Replica,
  bftFaultTolerance,
  bftQuorum,
  bftSigningBytes,
  type Decision,
  type ReplicaOptions,
  type Request,
  type RequestsMsg,
  type SignedMessage,
  type Storage,
  type TraceSink,
} from '@metroledger/bft';
import { verifySignature, type Identity } from '@metroledger/identity';
import type { BatchConfig, BlockSigner, ConsenterConfig, SignatureCheck, SignatureVerifier } from '@metroledger/protocol';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { checkBatchConfig } from '../blockcutter.js';
import { OrderingError } from '../errors.js';
import type { OrderingService } from '../solo.js';
import { BAD_ENVELOPE_SIGNATURE, FabricBftApp, inspectEnvelope, type EnvelopeChecks } from './app.js';
import { committedBlockBytes } from './blocks.js';
import { openReplicaStorage, type ReplicaStorage } from './storage.js';
import { InProcessNetwork } from './transport.js';
import { OutputGate } from './gate.js';
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
  readonly msps: EnvelopeChecks['msps'];
  /** Wall clock (ms) for certificate expiry at broadcast. Default Date.now. */
  readonly clock?: () => number;
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
  /**
   * Verifies the signatures of envelopes and of consensus messages before the replica that receives
   * them takes its turn (worker threads in the devnet); every replica still has every one checked.
   * Default: each replica verifies inline, in its turn.
   */
  readonly verifier?: SignatureVerifier;
  /** WAL writes are written and synced in the thread pool, the replica's output held until then. Default true. */
  readonly deferSync?: boolean;
}

/** A message bound for a replica whose signatures are being verified. */
interface Inbound {
  readonly from: number;
  readonly msg: SignedMessage;
  /** Forwarded requests whose envelopes are being checked. */
  readonly envelopes: Request[];
  done: boolean;
  /** False drops the message (a forwarded envelope is invalid). */
  ok: boolean;
}

interface Node {
  readonly index: number;
  readonly dir: string;
  replica?: Replica;
  app?: FabricBftApp;
  storage?: ReplicaStorage;
  timer?: NodeJS.Timeout;
  /** This turn's requests of the replica go out to the others (true), or it stopped first (false). */
  forwarding?: Promise<boolean>;
  /** Bumped when the replica stops: answers for an earlier incarnation are dropped. */
  epoch: number;
  inbox: Inbound[];
  /** Message signatures verified for this replica, by signature object. */
  preverified: WeakMap<Uint8Array, { readonly replica: number; readonly bytes: Uint8Array }>;
  /** Its output, held until the WAL writes before it are durable. */
  gate: OutputGate;
  /** A sync of its WAL is scheduled or under way. */
  syncing: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Stopping waits at most this long for accepted requests to be ordered. */
const DRAIN_MS = 10_000;

/** BFT ordering service (PBFT with bftQuorum(n) quorums over Fabric blocks), n replicas in this process. */
export class BftOrderer implements OrderingService {
  readonly n: number;
  readonly f: number;
  readonly #o: BftOrdererOptions;
  readonly #net: InProcessNetwork;
  readonly #nodes: Node[];
  readonly #keys: KeyObject[];
  readonly #listeners = new Set<(block: common.Block) => void>();
  readonly #byteListeners = new Set<(block: Uint8Array, blockNum: number) => void>();
  readonly #checks: EnvelopeChecks;
  #next: number;
  #running = false;

  constructor(o: BftOrdererOptions) {
    checkBatchConfig(o.batch);
    const n = o.consenters.length;
    if (n < BFT_REPLICAS_MIN || n > BFT_REPLICAS_MAX)
      throw new OrderingError(
        'BAD_CONFIG',
        `BFT ordering needs ${BFT_REPLICAS_MIN}..${BFT_REPLICAS_MAX} consenters (fewer than 4 tolerate no Byzantine one), got ${n}`,
      );
    o.consenters.forEach((c, i) => {
      if (c.config.id !== i + 1) throw new OrderingError('BAD_CONFIG', `consenter ${i} must have id ${i + 1}, has ${c.config.id}`);
    });
    if (!Number.isSafeInteger(o.deliverFrom) || o.deliverFrom < 1)
      throw new OrderingError('BAD_CONFIG', 'deliverFrom must be at least 1 (after the genesis block)');
    const entry = o.entryReplica ?? 0;
    if (!Number.isInteger(entry) || entry < 0 || entry >= n) throw new OrderingError('BAD_CONFIG', `entryReplica must be in 0..${n - 1}`);
    this.#o = o;
    this.n = n;
    this.f = bftFaultTolerance(n);
    this.#keys = o.consenters.map((c) => new X509Certificate(c.config.identityPem).publicKey);
    this.#net = new InProcessNetwork(n);
    this.#net.setReceiver((to, from, msg) => this.#deliver(to, from, msg));
    this.#nodes = o.consenters.map((c, i) => ({
      index: i,
      dir: join(o.dataDir, c.config.host),
      epoch: 0,
      inbox: [],
      preverified: new WeakMap(),
      gate: new OutputGate(),
      syncing: false,
    }));
    this.#checks = {
      channelId: o.channelId,
      absoluteMaxBytes: o.batch.absoluteMaxBytes,
      deserializer: o.deserializer,
      msps: o.msps,
      clock: o.clock ?? Date.now,
    };
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
      throw new OrderingError('BAD_CONFIG', `the orderers' logs end at block ${top} but the ledger already holds block ${this.#next - 1}`, {
        ordererHeight: top,
        ledgerHeight: this.#next,
      });
    }
    while (this.#next <= top) this.#emit(best.storage!.readDecision(this.#next)!);
  }

  /** Waits (bounded) until accepted requests are ordered, then stops every replica. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    const deadline = Date.now() + DRAIN_MS;
    while (
      Date.now() < deadline &&
      this.#nodes.some((nd) => nd.replica !== undefined && (nd.replica.getPoolSize() > 0 || nd.gate.held > 0))
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.#running = false;
    for (const node of this.#nodes) this.#stopNode(node);
  }

  onBlock(listener: (block: common.Block) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * As {@link onBlock}, with the committed block's encoding (shared with the WAL: do not modify or
   * transfer it), for a host that passes blocks on as bytes (another thread) and need not decode them.
   */
  onBlockBytes(listener: (block: Uint8Array, blockNum: number) => void): () => void {
    this.#byteListeners.add(listener);
    return () => void this.#byteListeners.delete(listener);
  }

  async broadcast(envelope: Uint8Array): Promise<void> {
    if (!this.#running) throw new OrderingError('SERVICE_UNAVAILABLE', 'orderer is not running');
    let entry = this.#entryNode();
    if (entry === undefined) throw new OrderingError('SERVICE_UNAVAILABLE', 'no ordering replica is running');
    let txId: string;
    const verifier = this.#o.verifier;
    if (verifier === undefined) txId = entry.app!.admit(envelope);
    else {
      const h = inspectEnvelope(envelope, this.#checks);
      const [ok] = await verifier([{ publicKey: h.creator.publicKey, message: h.payload, signature: h.signature }]);
      if (ok !== true) throw new OrderingError('BAD_REQUEST', BAD_ENVELOPE_SIGNATURE);
      entry = this.#running ? this.#entryNode() : undefined;
      if (entry === undefined) throw new OrderingError('SERVICE_UNAVAILABLE', 'no ordering replica is running');
      txId = h.txId;
      entry.app!.admitChecked(txId, envelope);
    }
    try {
      entry.replica!.submit({ id: txId, data: envelope });
    } catch (err) {
      if (err instanceof BftError && err.code === 'POOL_FULL') {
        throw new OrderingError(
          'BUSY',
          `request pool of replica ${entry.index} is full: retry later`,
          { replica: entry.index },
          { cause: err },
        );
      }
      if (err instanceof BftError && err.code === 'REQUEST_INVALID')
        throw new OrderingError('BAD_REQUEST', err.message, undefined, { cause: err });
      throw err;
    }
    // Acknowledged once forwarded: then it survives a crash of the replica that took it. A replica
    // that stopped before forwarding took it with it: a running one takes it (its id dedups it).
    if (!(await this.#forwarded(entry))) return this.broadcast(envelope);
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

  /** A replica's memory is lost: messages being verified for it, output its WAL had not made durable. */
  #forget(node: Node): void {
    node.epoch++;
    node.inbox = [];
    node.gate = new OutputGate();
    node.preverified = new WeakMap();
    node.syncing = false;
  }

  #startNode(node: Node): void {
    const o = this.#o;
    this.#forget(node); // also after a start that failed half-way
    const i = node.index;
    const lastConfigIndex = o.lastConfigIndex ?? 0;
    const storage = openReplicaStorage(node.dir, { lastConfigIndex, deferSync: o.deferSync !== false });
    try {
      const app = new FabricBftApp({
        checks: this.#checks,
        batch: o.batch,
        lastConfigIndex,
        genesisHeaderHash: o.genesisHeaderHash,
        onDecided: (d) => this.#output(node, () => this.#onDecided(d)),
      });
      const h = storage.height();
      app.resumeAfter(h > 0 ? storage.readDecision(h) : undefined);
      const signer = o.consenters[i]!.signer;
      const t = o.timings ?? {};
      const endpoint = this.#net.endpoint(i);
      // Every write counts; output produced after it waits until it is durable.
      const durable: Storage = {
        readState: () => storage.readState(),
        writeState: (st) => {
          storage.writeState(st);
          this.#wrote(node);
        },
        height: () => storage.height(),
        readDecision: (seq) => storage.readDecision(seq),
        appendDecision: (d) => {
          storage.appendDecision(d);
          this.#wrote(node);
        },
      };
      const options: ReplicaOptions = {
        id: i,
        n: this.n,
        // Forwarded requests carry no state of the replica's: they need not wait for its WAL, and a
        // request acknowledged once forwarded is not held back with the replica's votes.
        network: {
          send: (to, m) => (m.body.type === 'requests' ? endpoint.send(to, m) : this.#output(node, () => endpoint.send(to, m))),
        },
        clock: { nowMs: () => performance.now() },
        crypto: {
          sign: (bytes) => signer.sign(bytes),
          verify: (r, bytes, sig) => {
            const pre = node.preverified.get(sig);
            if (pre !== undefined && pre.replica === r && sameBytes(pre.bytes, bytes)) return true;
            const key = this.#keys[r];
            return key !== undefined && verifySignature(key, bytes, sig);
          },
        },
        storage: durable,
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
      throw err instanceof BftError
        ? new OrderingError('STORAGE', `replica ${i} cannot recover: ${err.message}`, { replica: i }, { cause: err })
        : err;
    }
  }

  #stopNode(node: Node): void {
    this.#net.setUp(node.index, false);
    this.#forget(node);
    if (node.timer !== undefined) clearInterval(node.timer);
    node.storage?.close();
    node.replica = undefined;
    node.app = undefined;
    node.storage = undefined;
    node.timer = undefined;
  }

  /** Forwards this turn's requests of `node` to the other replicas now, not at its next tick. */
  #forwarded(node: Node): Promise<boolean> {
    const epoch = node.epoch;
    node.forwarding ??= new Promise((resolve) =>
      setImmediate(() => {
        node.forwarding = undefined;
        this.#tick(node);
        resolve(node.epoch === epoch && node.replica !== undefined);
      }),
    );
    return node.forwarding;
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
    if (node.replica === undefined) return;
    const verifier = this.#o.verifier;
    if (verifier === undefined) {
      this.#take(node, from, msg);
      return;
    }
    const item: Inbound = { from, msg, envelopes: [], done: false, ok: true };
    node.inbox.push(item);
    const checks: SignatureCheck[] = [];
    const key = msg.from === from ? this.#keys[from] : undefined;
    const signed = key === undefined ? undefined : bftSigningBytes(from, msg.body);
    if (key !== undefined && signed !== undefined) checks.push({ publicKey: key, message: signed, signature: msg.signature });
    if (msg.body.type === 'requests') {
      for (const r of (msg.body as RequestsMsg).requests) {
        if (node.app!.knows(r)) continue;
        try {
          const h = inspectEnvelope(r.data, this.#checks);
          if (h.txId !== r.id) {
            item.ok = false;
            break;
          }
          checks.push({ publicKey: h.creator.publicKey, message: h.payload, signature: h.signature });
          item.envelopes.push(r);
        } catch {
          item.ok = false;
          break;
        }
      }
    }
    if (!item.ok || checks.length === 0) {
      item.done = true;
      this.#drain(node);
      return;
    }
    const epoch = node.epoch;
    Promise.resolve(verifier(checks)).then(
      (results) => {
        if (node.epoch !== epoch) return;
        // A bad message signature is left to the replica's own check (it counts and traces it).
        if (signed !== undefined && results[0] === true) node.preverified.set(msg.signature, { replica: from, bytes: signed });
        if (results.slice(signed === undefined ? 0 : 1).every((ok) => ok)) {
          for (const r of item.envelopes) node.app!.admitChecked(r.id, r.data);
        } else item.ok = false;
        item.done = true;
        this.#drain(node);
      },
      (err: unknown) => {
        if (node.epoch === epoch) this.#fail(node, err);
      },
    );
  }

  /** Hands verified messages to the replica in the order they arrived. */
  #drain(node: Node): void {
    while (node.inbox.length > 0 && node.inbox[0]!.done) {
      const item = node.inbox.shift()!;
      if (node.replica === undefined) return;
      if (item.ok) this.#take(node, item.from, item.msg);
    }
  }

  #take(node: Node, from: number, msg: SignedMessage): void {
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

  /** A WAL write of `node` in this turn: sync it once the turn's writes are all made. */
  #wrote(node: Node): void {
    const durable = this.#o.deferSync === false; // the write synced before returning
    node.gate.wrote(durable);
    if (!durable && !node.syncing) {
      node.syncing = true;
      queueMicrotask(() => this.#sync(node, node.epoch));
    }
  }

  #sync(node: Node, epoch: number): void {
    if (node.epoch !== epoch || node.storage === undefined) return;
    const upTo = node.gate.writes;
    node.storage.sync().then(
      () => {
        if (node.epoch !== epoch) return;
        try {
          node.gate.synced(upTo);
        } catch (err) {
          this.#fail(node, err);
          return;
        }
        if (node.gate.unsynced > 0) this.#sync(node, epoch);
        else node.syncing = false;
      },
      (err: unknown) => {
        if (node.epoch === epoch) this.#fail(node, err);
      },
    );
  }

  /** Output of `node` (a message or a decided block) leaves once the writes before it are durable, in order. */
  #output(node: Node, release: () => void): void {
    node.gate.output(release);
  }

  #onDecided(d: Decision): void {
    if (d.seq !== this.#next) return; // another replica emitted it already
    this.#emit(d);
  }

  #emit(d: Decision): void {
    const bytes = committedBlockBytes(d, this.#o.lastConfigIndex ?? 0);
    this.#next = d.seq + 1;
    for (const listener of this.#byteListeners) {
      try {
        listener(bytes, d.seq);
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
    if (this.#listeners.size > 0) deliverBlock(this.#listeners, common.Block.deserializeBinary(bytes));
  }
}
