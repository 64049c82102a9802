// SPDX-License-Identifier: Apache-2.0
// The replica state machine: PBFT three-phase agreement (pre-prepare, prepare, commit) with
// quorums of bftQuorum(n) = ceil((n+f+1)/2), SmartBFT-style complaints and leader rotation, PBFT
// view change, certificate-verified state transfer and a persisted vote log. No I/O and no clock
// reads: every edge is injected, so the simulator can run it deterministically.
import { bftProposalDigest, bftSigningBytes, bytesEqual, hex } from './codec';
import { BftError, assert } from './errors';
import type {
  Application,
  Clock,
  CommitMsg,
  ComplainMsg,
  Crypto,
  Decision,
  DecisionsMsg,
  FetchMsg,
  HeartbeatMsg,
  Message,
  Network,
  NewViewMsg,
  PersistedState,
  PreparedCertificate,
  PrepareMsg,
  PrePrepareMsg,
  ReplicaId,
  ReplicaStats,
  Request,
  RequestsMsg,
  SignedMessage,
  Storage,
  SubmitResult,
  SyncViewMsg,
  TraceSink,
  ViewChangeMsg,
} from './types';
import { BFT_REPLICAS_MAX, BFT_REPLICAS_MIN, bftFaultTolerance, bftQuorum } from './quorum';
import { bftLeaderOf, commitBytesFor, verifyDecision, verifyPreparedCertificate, verifySignedMessage } from './verify';

/** Options of a replica. Every field documents its default; out-of-range values throw BftError('BAD_CONFIG'). */
export interface ReplicaOptions {
  /** This replica's index, 0..n-1. */
  readonly id: ReplicaId;
  /** Cluster size, 4..1024: tolerates f = floor((n-1)/3) Byzantine replicas (any n, not only 3f+1). */
  readonly n: number;
  readonly network: Network;
  readonly clock: Clock;
  readonly crypto: Crypto;
  readonly storage: Storage;
  readonly app: Application;
  /** One line per event; default: none. */
  readonly trace?: TraceSink;
  /** Requests per proposal. Default 100. */
  readonly batchSizeMax?: number;
  /** Request bytes per proposal. Default 1 MiB. */
  readonly batchBytesMax?: number;
  /** The leader proposes a partial batch once its oldest request waited this long. Default 50 ms. */
  readonly batchTimeoutMs?: number;
  /** Pending requests held by this replica; beyond it `submit` throws BftError('POOL_FULL'). Default 10,000. */
  readonly poolSizeMax?: number;
  /** Largest request (data bytes). Default 256 KiB. */
  readonly requestBytesMax?: number;
  /** Largest proposal payload accepted from a leader. Default 8 MiB. */
  readonly proposalBytesMax?: number;
  /** A pending request not ordered within this time makes the replica complain. Default 4,000 ms. */
  readonly requestTimeoutMs?: number;
  /** No word (heartbeat or proposal) from the leader for this long makes a follower complain. Default 2,000 ms. */
  readonly leaderTimeoutMs?: number;
  /** Leader heartbeat period. Default 500 ms. */
  readonly heartbeatMs?: number;
  /** First view-change timeout; doubles on each failed attempt. Default 2,000 ms. */
  readonly viewChangeTimeoutMs?: number;
  /** Cap of the exponential backoff. Default 16,000 ms. */
  readonly viewChangeTimeoutMaxMs?: number;
  /** Re-send own votes / view change / complaint of an unfinished step this often (lossy networks). Default 500 ms. */
  readonly retransmitMs?: number;
  /** Decisions per state-transfer reply. Default 64. */
  readonly fetchBatchMax?: number;
  /** A state-transfer request unanswered this long is retried at another replica. Default 1,000 ms. */
  readonly fetchTimeoutMs?: number;
  /** Forwarded requests per message. Default 256. */
  readonly forwardBatchMax?: number;
  /**
   * TEST ONLY: replaces the quorum (bftQuorum(n)). Exists so the simulator can prove its checkers catch an
   * unsafe protocol; never set it elsewhere.
   */
  readonly unsafeQuorumForTesting?: number;
}

/** Slots kept ahead of the next sequence (messages further ahead trigger state transfer instead). */
const LOOKAHEAD = 4;

interface Slot {
  readonly seq: number;
  /** The accepted proposal (from the leader's pre-prepare or mandated by the NEW-VIEW). */
  proposal?: { digest: Uint8Array; payload: Uint8Array; mandated: boolean };
  /** Pre-prepare waiting for the previous seq to be decided. */
  early?: SignedMessage<PrePrepareMsg>;
  /** Payloads known by digest (hex), to build the decision once commits arrive. */
  readonly payloads: Map<string, Uint8Array>;
  readonly prepares: Map<string, Map<ReplicaId, SignedMessage<PrepareMsg>>>;
  readonly commits: Map<string, Map<ReplicaId, SignedMessage<CommitMsg>>>;
  /** Who voted what in this slot (first vote wins, so a Byzantine replica cannot fill memory). */
  readonly prepared: Set<ReplicaId>;
  readonly committed: Set<ReplicaId>;
  sent: SignedMessage[];
  acceptedAtMs: number;
}

interface PoolEntry {
  readonly request: Request;
  firstSeenMs: number;
}

const ID_BYTES_MAX = 256;
/** The wire codec cannot carry a lone surrogate (UTF-8 has none), so such an id is refused at submit. */
const LONE_SURROGATE = /\p{Surrogate}/u;

export class Replica {
  readonly id: ReplicaId;
  readonly n: number;
  readonly f: number;
  readonly quorum: number;
  readonly stats: ReplicaStats = {
    badSignatures: 0,
    droppedMessages: 0,
    decided: 0,
    viewChanges: 0,
    complaints: 0,
    fetchedDecisions: 0,
    poolRefusals: 0,
  };

  private readonly net: Network;
  private readonly clock: Clock;
  private readonly crypto: Crypto;
  private readonly storage: Storage;
  private readonly app: Application;
  private readonly traceSink: TraceSink | undefined;
  private readonly cfg: Required<
    Omit<ReplicaOptions, 'id' | 'n' | 'network' | 'clock' | 'crypto' | 'storage' | 'app' | 'trace' | 'unsafeQuorumForTesting'>
  >;

  // --- persisted (mirrors of PersistedState) ---
  private view = 0;
  private targetView = 0;
  private vote: PersistedState['vote'];
  private prepared: PreparedCertificate | undefined;
  private newViewProof: SignedMessage<NewViewMsg> | undefined;
  // --- volatile ---
  private height: number;
  private readonly decidedIds = new Set<string>();
  private readonly pool = new Map<string, PoolEntry>();
  private forwardBuffer: Request[] = [];
  private slots = new Map<number, Slot>();
  /** Seq mandated by the current view's NEW-VIEW; fresh proposals start above `viewStartSeq`. */
  private viewStartSeq = 0;
  private complaints = new Set<ReplicaId>();
  private ownComplaint: SignedMessage<ComplainMsg> | undefined;
  /** Latest view change of each replica (highest newView), bounding memory to n messages. */
  private readonly viewChanges = new Map<ReplicaId, SignedMessage<ViewChangeMsg>>();
  private ownViewChange: SignedMessage<ViewChangeMsg> | undefined;
  private viewChangeTimerStartMs: number | undefined;
  private viewChangeAttempts = 0;
  private lastLeaderContactMs: number;
  private lastHeartbeatMs = -Infinity;
  private lastRetransmitMs: number;
  private lastViewSyncMs = -Infinity;
  private reforwardedInView = -1;
  private readonly peerHeights = new Map<ReplicaId, number>();
  private readonly lastHelpMs = new Map<ReplicaId, number>();
  private fetchOutstanding: { to: ReplicaId; sentAtMs: number } | undefined;
  private fetchRotation = 0;

  constructor(opts: ReplicaOptions) {
    const n = opts.n;
    if (!Number.isInteger(n) || n < BFT_REPLICAS_MIN || n > BFT_REPLICAS_MAX)
      throw new BftError('BAD_CONFIG', `n must be an integer in ${BFT_REPLICAS_MIN}..${BFT_REPLICAS_MAX}, got ${n}`);
    if (!Number.isInteger(opts.id) || opts.id < 0 || opts.id >= n) throw new BftError('BAD_CONFIG', `id must be in 0..${n - 1}`);
    this.id = opts.id;
    this.n = n;
    this.f = bftFaultTolerance(n);
    this.quorum = opts.unsafeQuorumForTesting ?? bftQuorum(n);
    if (!Number.isInteger(this.quorum) || this.quorum < 1 || this.quorum > n) throw new BftError('BAD_CONFIG', 'quorum out of range');
    this.net = opts.network;
    this.clock = opts.clock;
    this.crypto = opts.crypto;
    this.storage = opts.storage;
    this.app = opts.app;
    this.traceSink = opts.trace;
    this.cfg = {
      batchSizeMax: opts.batchSizeMax ?? 100,
      batchBytesMax: opts.batchBytesMax ?? 1024 * 1024,
      batchTimeoutMs: opts.batchTimeoutMs ?? 50,
      poolSizeMax: opts.poolSizeMax ?? 10_000,
      requestBytesMax: opts.requestBytesMax ?? 256 * 1024,
      proposalBytesMax: opts.proposalBytesMax ?? 8 * 1024 * 1024,
      requestTimeoutMs: opts.requestTimeoutMs ?? 4_000,
      leaderTimeoutMs: opts.leaderTimeoutMs ?? 2_000,
      heartbeatMs: opts.heartbeatMs ?? 500,
      viewChangeTimeoutMs: opts.viewChangeTimeoutMs ?? 2_000,
      viewChangeTimeoutMaxMs: opts.viewChangeTimeoutMaxMs ?? 16_000,
      retransmitMs: opts.retransmitMs ?? 500,
      fetchBatchMax: opts.fetchBatchMax ?? 64,
      fetchTimeoutMs: opts.fetchTimeoutMs ?? 1_000,
      forwardBatchMax: opts.forwardBatchMax ?? 256,
    };
    for (const [k, v] of Object.entries(this.cfg)) {
      if (!Number.isFinite(v) || v <= 0) throw new BftError('BAD_CONFIG', `${k} must be a positive number`);
    }
    if (this.cfg.viewChangeTimeoutMaxMs < this.cfg.viewChangeTimeoutMs)
      throw new BftError('BAD_CONFIG', 'viewChangeTimeoutMaxMs < viewChangeTimeoutMs');

    // Recovery: decided log first (dedup set), then the vote log.
    this.height = this.storage.height();
    for (let s = 1; s <= this.height; s++) {
      const d = this.storage.readDecision(s);
      if (!d || d.seq !== s) throw new BftError('STORAGE_CORRUPT', `decision ${s} missing or misnumbered`);
      for (const id of this.app.requestIds(d.payload)) this.decidedIds.add(id);
    }
    const now = this.clock.nowMs();
    this.lastLeaderContactMs = now;
    this.lastRetransmitMs = now;
    const st = this.storage.readState();
    if (st) {
      if (st.targetView < st.view) throw new BftError('STORAGE_CORRUPT', 'targetView below view');
      this.view = st.view;
      this.targetView = st.targetView;
      this.vote = st.vote;
      this.prepared = st.prepared && st.prepared.seq > this.height ? st.prepared : undefined;
      if (st.newViewProof && st.newViewProof.body.view === st.view) this.adoptNewView(st.newViewProof, false);
      this.targetView = st.targetView; // adoptNewView resets it; a promised view change survives the restart
      if (this.targetView > this.view) {
        this.ownViewChange = this.makeViewChange(this.targetView);
        this.viewChanges.set(this.id, this.ownViewChange);
        this.broadcast(this.ownViewChange);
      } else {
        const slot = this.slots.get(this.height + 1);
        if (slot?.proposal?.mandated) this.acceptProposal(slot, undefined);
      }
      this.trace('restart', `h=${this.height}`);
    }
  }

  // ---- public surface -----------------------------------------------------------------------

  /** Current view (installed). */
  getView(): number {
    return this.view;
  }
  /** True while a view change is in progress. */
  inViewChange(): boolean {
    return this.targetView > this.view;
  }
  /** Number of decided proposals (seq 1..height). */
  getHeight(): number {
    return this.height;
  }
  /** Requests waiting to be ordered at this replica. */
  getPoolSize(): number {
    return this.pool.size;
  }
  leaderOf(view: number): ReplicaId {
    return bftLeaderOf(view, this.n);
  }
  isLeader(): boolean {
    return !this.inViewChange() && this.leaderOf(this.view) === this.id;
  }
  /** Whether a request id is in the decided log. */
  isDecided(requestId: string): boolean {
    return this.decidedIds.has(requestId);
  }

  /**
   * Accepts a client request and forwards it to every replica.
   * @returns 'queued' (new), 'pending' (already waiting, re-forwarded) or 'decided' (already ordered).
   * @throws BftError('POOL_FULL') when the pool is full (retryable), BftError('REQUEST_INVALID') for a bad request.
   */
  submit(request: Request): SubmitResult {
    this.checkRequest(request, true);
    if (this.decidedIds.has(request.id)) return 'decided';
    if (this.pool.has(request.id)) {
      this.queueForward(request);
      return 'pending';
    }
    if (this.pool.size >= this.cfg.poolSizeMax) {
      this.stats.poolRefusals++;
      throw new BftError('POOL_FULL', `request pool is full (${this.cfg.poolSizeMax})`, { poolSizeMax: this.cfg.poolSizeMax });
    }
    this.pool.set(request.id, { request, firstSeenMs: this.clock.nowMs() });
    this.queueForward(request);
    if (this.isLeader()) this.tryPropose();
    return 'queued';
  }

  /** Handles a message received from replica `from` (the transport's authenticated sender). */
  onMessage(from: ReplicaId, msg: SignedMessage): void {
    if (msg.from !== from || !verifySignedMessage(this.crypto, this.n, msg)) {
      this.stats.badSignatures++;
      this.trace('drop-badsig', `from=${from}`);
      return;
    }
    const b = msg.body;
    switch (b.type) {
      case 'requests':
        return this.onRequests(b);
      case 'preprepare':
        return this.onPrePrepare(msg as SignedMessage<PrePrepareMsg>);
      case 'prepare':
        return this.onPrepare(msg as SignedMessage<PrepareMsg>);
      case 'commit':
        return this.onCommit(msg as SignedMessage<CommitMsg>);
      case 'complain':
        return this.onComplain(from, b);
      case 'viewchange':
        return this.onViewChange(msg as SignedMessage<ViewChangeMsg>);
      case 'newview':
        return this.onNewView(msg as SignedMessage<NewViewMsg>);
      case 'heartbeat':
        return this.onHeartbeat(from, b);
      case 'fetch':
        return this.onFetch(from, b);
      case 'decisions':
        return this.onDecisions(from, b);
      case 'syncview':
        return this.onSyncView(from, b);
    }
  }

  /** Drives timers: batching, heartbeats, complaints, view-change backoff, retransmission, fetch retry. */
  onTick(nowMs: number): void {
    this.flushForward();
    const retransmit = nowMs - this.lastRetransmitMs >= this.cfg.retransmitMs;
    if (retransmit) this.lastRetransmitMs = nowMs;
    if (this.fetchOutstanding && nowMs - this.fetchOutstanding.sentAtMs >= this.cfg.fetchTimeoutMs) {
      this.fetchOutstanding = undefined;
    }
    if (!this.fetchOutstanding && this.peerHeights.size > 0) this.maybeFetch();
    if (this.inViewChange()) {
      if (retransmit && this.ownViewChange) this.broadcast(this.ownViewChange);
      if (this.viewChangeTimerStartMs !== undefined) {
        const timeout = Math.min(this.cfg.viewChangeTimeoutMaxMs, this.cfg.viewChangeTimeoutMs * 2 ** this.viewChangeAttempts);
        if (nowMs - this.viewChangeTimerStartMs >= timeout) {
          this.viewChangeAttempts++;
          this.trace('vc-timeout', `attempt=${this.viewChangeAttempts}`);
          this.startViewChange(this.targetView + 1);
        }
      }
      return;
    }
    if (this.isLeader()) {
      this.tryPropose();
      if (nowMs - this.lastHeartbeatMs >= this.cfg.heartbeatMs) {
        this.lastHeartbeatMs = nowMs;
        this.broadcast(this.sign({ type: 'heartbeat', view: this.view, height: this.height }));
      }
    } else if (nowMs - this.lastLeaderContactMs >= this.cfg.leaderTimeoutMs) {
      this.complain('leader-silent');
    }
    const oldest = this.pool.values().next().value as PoolEntry | undefined;
    if (oldest) {
      const age = nowMs - oldest.firstSeenMs;
      if (age >= this.cfg.requestTimeoutMs) this.complain('request-timeout');
      else if (age >= this.cfg.requestTimeoutMs / 2 && this.reforwardedInView !== this.view && !this.isLeader()) {
        // SmartBFT: first hand stale requests to the leader directly, complain only if that fails too.
        this.reforwardedInView = this.view;
        const batch: Request[] = [];
        for (const e of this.pool.values()) {
          if (batch.length >= this.cfg.forwardBatchMax) break;
          batch.push(e.request);
        }
        this.net.send(this.leaderOf(this.view), this.sign({ type: 'requests', requests: batch }));
      }
    }
    const slot = this.slots.get(this.height + 1);
    if (slot?.proposal && nowMs - slot.acceptedAtMs >= this.cfg.requestTimeoutMs) this.complain('proposal-stuck');
    if (retransmit) {
      if (slot) for (const m of slot.sent) this.broadcast(m);
      if (this.ownComplaint) this.broadcast(this.ownComplaint);
    }
  }

  // ---- requests -----------------------------------------------------------------------------

  private checkRequest(r: Request, throwing: boolean): boolean {
    const ok =
      typeof r.id === 'string' &&
      r.id.length > 0 &&
      r.id.length <= ID_BYTES_MAX &&
      !LONE_SURROGATE.test(r.id) &&
      r.data instanceof Uint8Array &&
      r.data.length <= this.cfg.requestBytesMax;
    if (!ok && throwing)
      throw new BftError(
        'REQUEST_INVALID',
        'request id must be 1..256 characters of well-formed UTF-16 and data at most requestBytesMax bytes',
      );
    return ok;
  }

  private queueForward(r: Request): void {
    this.forwardBuffer.push(r);
    if (this.forwardBuffer.length >= this.cfg.forwardBatchMax) this.flushForward();
  }

  private flushForward(): void {
    if (this.forwardBuffer.length === 0) return;
    const requests = this.forwardBuffer;
    this.forwardBuffer = [];
    this.broadcast(this.sign({ type: 'requests', requests }));
  }

  private onRequests(m: RequestsMsg): void {
    if (m.requests.length > this.cfg.forwardBatchMax) {
      this.stats.droppedMessages++;
      return;
    }
    const now = this.clock.nowMs();
    for (const r of m.requests) {
      if (!this.checkRequest(r, false)) {
        this.stats.droppedMessages++;
        continue;
      }
      if (this.decidedIds.has(r.id) || this.pool.has(r.id)) continue;
      if (this.pool.size >= this.cfg.poolSizeMax) {
        this.stats.poolRefusals++;
        continue;
      }
      this.pool.set(r.id, { request: r, firstSeenMs: now });
    }
    if (this.isLeader()) this.tryPropose();
  }

  // ---- normal case --------------------------------------------------------------------------

  private tryPropose(): void {
    if (!this.isLeader() || this.pool.size === 0) return;
    const seq = this.height + 1;
    if (seq <= this.viewStartSeq) return; // the NEW-VIEW's mandated proposal must be decided first
    const existing = this.slots.get(seq);
    if (existing?.proposal) return; // window of one proposal in flight
    if (this.vote && this.vote.view === this.view && this.vote.seq === seq) return; // proposed before a restart; lost payload
    const oldest = this.pool.values().next().value as PoolEntry;
    if (this.pool.size < this.cfg.batchSizeMax && this.clock.nowMs() - oldest.firstSeenMs < this.cfg.batchTimeoutMs) return;
    const batch: Request[] = [];
    let bytes = 0;
    for (const e of this.pool.values()) {
      if (batch.length >= this.cfg.batchSizeMax) break;
      if (batch.length > 0 && bytes + e.request.data.length > this.cfg.batchBytesMax) break;
      batch.push(e.request);
      bytes += e.request.data.length;
    }
    const payload = this.app.buildProposal(seq, batch);
    const pp = this.sign({ type: 'preprepare', view: this.view, seq, payload });
    const slot = this.slotFor(seq);
    const digest = bftProposalDigest(seq, payload);
    slot.payloads.set(hex(digest, 64), payload);
    slot.proposal = { digest, payload, mandated: false };
    this.trace('propose', `d=${hex(digest)} reqs=${batch.length}`);
    this.acceptProposal(slot, pp);
  }

  private onPrePrepare(m: SignedMessage<PrePrepareMsg>): void {
    const b = m.body;
    if (b.view > this.targetView) {
      this.requestViewSync(m.from);
      return;
    }
    if (b.view !== this.view || this.inViewChange() || m.from !== this.leaderOf(b.view)) return;
    this.lastLeaderContactMs = this.clock.nowMs();
    this.noteHeight(m.from, b.seq - 1);
    this.helpLaggard(m.from, b.seq - 1);
    if (b.seq <= this.height || b.seq <= this.viewStartSeq || b.seq > this.height + LOOKAHEAD) return;
    if (b.payload.length > this.cfg.proposalBytesMax) {
      this.stats.droppedMessages++;
      this.complain('proposal-too-large');
      return;
    }
    const slot = this.slotFor(b.seq);
    const digest = bftProposalDigest(b.seq, b.payload);
    const known = slot.proposal?.digest ?? (slot.early && bftProposalDigest(b.seq, slot.early.body.payload));
    if (known) {
      if (!bytesEqual(known, digest)) {
        this.trace('equivocation', `d=${hex(digest)} vs ${hex(known)}`);
        this.complain('leader-equivocated');
      }
      return;
    }
    if (b.seq > this.height + 1) {
      slot.early = m;
      return;
    }
    this.considerPrePrepare(slot, m);
  }

  /** Validates a leader's proposal for the next seq and, if sound, votes for it. */
  private considerPrePrepare(slot: Slot, m: SignedMessage<PrePrepareMsg>): void {
    assert(slot.seq === this.height + 1, 'pre-prepare considered out of order');
    const { seq, payload } = m.body;
    const digest = bftProposalDigest(seq, payload);
    if (!this.proposalIsValid(seq, payload)) {
      this.trace('bad-proposal', `d=${hex(digest)}`);
      this.complain('bad-proposal');
      return;
    }
    slot.payloads.set(hex(digest, 64), payload);
    slot.proposal = { digest, payload, mandated: false };
    this.acceptProposal(slot, undefined);
  }

  private proposalIsValid(seq: number, payload: Uint8Array): boolean {
    if (!this.app.validateProposal(seq, payload)) return false;
    const ids = this.app.requestIds(payload);
    if (ids.length === 0 || ids.length > this.cfg.batchSizeMax) return false;
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id) || this.decidedIds.has(id)) return false; // ordered once across the whole log
      seen.add(id);
    }
    return true;
  }

  /**
   * Votes (prepare) for the slot's proposal, after persisting the vote. `prePrepare` is the leader's
   * own pre-prepare to send first.
   */
  private acceptProposal(slot: Slot, prePrepare: SignedMessage<PrePrepareMsg> | undefined): void {
    const p = slot.proposal;
    assert(p && slot.seq === this.height + 1 && !this.inViewChange(), 'accepting a proposal out of order');
    const v = this.vote;
    if (v && v.view === this.view && v.seq === slot.seq) {
      if (!bytesEqual(v.digest, p.digest)) {
        this.trace('refuse-conflicting-vote', `d=${hex(p.digest)}`);
        slot.proposal = undefined;
        return;
      }
    } else {
      this.vote = { view: this.view, seq: slot.seq, digest: p.digest, committed: false };
      this.persist(); // before any vote leaves this replica
    }
    slot.acceptedAtMs = this.clock.nowMs();
    if (prePrepare) {
      slot.sent.push(prePrepare);
      this.broadcast(prePrepare);
    }
    const prepare = this.sign({ type: 'prepare', view: this.view, seq: slot.seq, digest: p.digest });
    slot.sent.push(prepare);
    this.trace('prepare', `d=${hex(p.digest)}${p.mandated ? ' mandated' : ''}`);
    this.broadcast(prepare);
    this.recordPrepare(slot, prepare);
  }

  private onPrepare(m: SignedMessage<PrepareMsg>): void {
    const b = m.body;
    if (b.view > this.targetView) {
      this.requestViewSync(m.from);
      return;
    }
    this.noteHeight(m.from, b.seq - 1);
    this.helpLaggard(m.from, b.seq - 1);
    if (b.view !== this.view || this.inViewChange() || b.seq <= this.height || b.seq > this.height + LOOKAHEAD) return;
    this.recordPrepare(this.slotFor(b.seq), m);
  }

  private recordPrepare(slot: Slot, m: SignedMessage<PrepareMsg>): void {
    if (slot.prepared.has(m.from)) return;
    slot.prepared.add(m.from);
    const key = hex(m.body.digest, 64);
    let votes = slot.prepares.get(key);
    if (!votes) {
      votes = new Map();
      slot.prepares.set(key, votes);
    }
    votes.set(m.from, m);
    this.checkPrepared(slot);
  }

  private checkPrepared(slot: Slot): void {
    const p = slot.proposal;
    const v = this.vote;
    if (!p || this.inViewChange() || slot.seq !== this.height + 1 || !v || v.view !== this.view || v.seq !== slot.seq) return;
    if (!bytesEqual(v.digest, p.digest) || slot.committed.has(this.id)) return;
    const votes = slot.prepares.get(hex(p.digest, 64));
    // Two quorums share a correct replica, and it prepares one digest per (view, seq): no other
    // digest can be prepared in this view and slot.
    if (!votes || votes.size < this.quorum) return;
    this.prepared = { view: this.view, seq: slot.seq, payload: p.payload, prepares: [...votes.values()].slice(0, this.quorum) };
    this.vote = { ...v, committed: true };
    this.persist();
    const certSignature = this.crypto.sign(commitBytesFor(this.app, slot.seq, this.view, p.digest, p.payload, this.id));
    const commit = this.sign({ type: 'commit', view: this.view, seq: slot.seq, digest: p.digest, certSignature });
    slot.sent.push(commit);
    this.trace('commit', `d=${hex(p.digest)}`);
    this.broadcast(commit);
    this.recordCommit(slot, commit);
  }

  private onCommit(m: SignedMessage<CommitMsg>): void {
    const b = m.body;
    if (b.view > this.targetView) {
      this.requestViewSync(m.from);
      return;
    }
    this.noteHeight(m.from, b.seq - 1);
    this.helpLaggard(m.from, b.seq - 1);
    // Commits of the installed view still count during a view change: a certificate is a proof.
    if (b.view !== this.view || b.seq <= this.height || b.seq > this.height + LOOKAHEAD) return;
    this.recordCommit(this.slotFor(b.seq), m);
  }

  private recordCommit(slot: Slot, m: SignedMessage<CommitMsg>): void {
    if (slot.committed.has(m.from)) return;
    slot.committed.add(m.from);
    const key = hex(m.body.digest, 64);
    let votes = slot.commits.get(key);
    if (!votes) {
      votes = new Map();
      slot.commits.set(key, votes);
    }
    votes.set(m.from, m);
    if (votes.size >= this.quorum) this.checkCommitted(slot, key);
  }

  private checkCommitted(slot: Slot, key: string): void {
    if (slot.seq !== this.height + 1) return;
    const votes = slot.commits.get(key);
    if (!votes || votes.size < this.quorum) return;
    const payload = slot.payloads.get(key);
    if (!payload) {
      // A quorum committed a proposal this replica never saw: fetch the decision.
      for (const r of votes.keys()) this.noteHeight(r, slot.seq);
      return;
    }
    const first = votes.values().next().value as SignedMessage<CommitMsg>;
    const digest = first.body.digest;
    const view = first.body.view;
    const signatures = [];
    for (const [r, c] of votes) {
      const bytes = commitBytesFor(this.app, slot.seq, view, digest, payload, r);
      if (this.crypto.verify(r, bytes, c.body.certSignature)) signatures.push({ replica: r, signature: c.body.certSignature });
      else {
        this.stats.badSignatures++;
        votes.delete(r);
        this.trace('drop-badcertsig', `from=${r}`);
      }
    }
    // A quorum of commits is the certificate: any other quorum (a NEW-VIEW's view changes) shares a
    // correct replica that committed, hence prepared, this digest, so later views re-propose it.
    if (signatures.length < this.quorum) return;
    signatures.sort((a, b) => a.replica - b.replica);
    this.decide({ seq: slot.seq, payload, certificate: { seq: slot.seq, view, digest, signatures } }, 'agreed');
  }

  private decide(d: Decision, how: 'agreed' | 'fetched' | 'viewchange'): void {
    assert(d.seq === this.height + 1, 'decision out of order');
    this.storage.appendDecision(d);
    this.height = d.seq;
    for (const id of this.app.requestIds(d.payload)) {
      this.decidedIds.add(id);
      this.pool.delete(id);
    }
    if (this.prepared && this.prepared.seq <= this.height) this.prepared = undefined;
    this.slots.delete(d.seq);
    this.stats.decided++;
    if (how === 'fetched') this.stats.fetchedDecisions++;
    this.trace('decide', `d=${hex(d.certificate.digest)} by=${how}`);
    this.app.onDecided(d);
    this.advance();
  }

  /** After the log grew: open the next slot (buffered or mandated proposal, early votes) and propose. */
  private advance(): void {
    const seq = this.height + 1;
    for (const s of this.slots.keys()) if (s < seq) this.slots.delete(s);
    const slot = this.slots.get(seq);
    if (slot && !this.inViewChange()) {
      slot.acceptedAtMs = this.clock.nowMs();
      if (slot.proposal?.mandated) this.acceptProposal(slot, undefined);
      else if (slot.early) {
        const e = slot.early;
        slot.early = undefined;
        this.considerPrePrepare(slot, e);
      }
      for (const key of slot.commits.keys()) {
        if (this.height + 1 !== seq) break;
        this.checkCommitted(slot, key);
      }
    }
    if (this.height + 1 === seq) this.maybeFetch();
    if (this.isLeader()) this.tryPropose();
  }

  private slotFor(seq: number): Slot {
    let slot = this.slots.get(seq);
    if (!slot) {
      slot = {
        seq,
        payloads: new Map(),
        prepares: new Map(),
        commits: new Map(),
        prepared: new Set(),
        committed: new Set(),
        sent: [],
        acceptedAtMs: this.clock.nowMs(),
      };
      this.slots.set(seq, slot);
    }
    return slot;
  }

  // ---- complaints and view change -----------------------------------------------------------

  private complain(reason: string): void {
    if (this.inViewChange() || this.ownComplaint) return;
    this.stats.complaints++;
    this.trace('complain', reason);
    this.ownComplaint = this.sign({ type: 'complain', view: this.view });
    this.broadcast(this.ownComplaint);
    this.onComplain(this.id, this.ownComplaint.body);
  }

  private onComplain(from: ReplicaId, m: ComplainMsg): void {
    if (m.view !== this.view || this.inViewChange()) return;
    this.complaints.add(from);
    // f+1 complaints include a correct replica, so f Byzantine replicas cannot depose a good leader;
    // the n-f >= f+1 correct replicas can depose a bad one on their own.
    if (this.complaints.size >= this.f + 1) this.startViewChange(this.view + 1);
  }

  private makeViewChange(newView: number): SignedMessage<ViewChangeMsg> {
    const decision = this.height > 0 ? this.storage.readDecision(this.height) : undefined;
    const prepared = this.prepared && this.prepared.seq === this.height + 1 ? this.prepared : undefined;
    return this.sign({ type: 'viewchange', newView, height: this.height, ...(decision && { decision }), ...(prepared && { prepared }) });
  }

  private startViewChange(newView: number): void {
    if (newView <= this.targetView) return;
    this.targetView = newView;
    this.persist(); // the promise not to vote below newView survives a crash
    this.stats.viewChanges++;
    this.complaints.clear();
    this.ownComplaint = undefined;
    this.viewChangeTimerStartMs = undefined;
    this.trace('viewchange', `to=${newView}`);
    this.ownViewChange = this.makeViewChange(newView);
    this.viewChanges.set(this.id, this.ownViewChange);
    this.broadcast(this.ownViewChange);
    this.afterViewChangeRecorded();
  }

  private validViewChange(m: SignedMessage<ViewChangeMsg>): boolean {
    const b = m.body;
    const vopts = { n: this.n, crypto: this.crypto, app: this.app, quorum: this.quorum };
    if (b.height > 0 && (!b.decision || b.decision.seq !== b.height || !verifyDecision(b.decision, vopts))) return false;
    if (b.height === 0 && b.decision) return false;
    if (b.prepared && (b.prepared.seq !== b.height + 1 || b.prepared.view >= b.newView || !verifyPreparedCertificate(b.prepared, vopts)))
      return false;
    return true;
  }

  private onViewChange(m: SignedMessage<ViewChangeMsg>): void {
    const b = m.body;
    if (!this.validViewChange(m)) {
      this.stats.droppedMessages++;
      this.trace('drop-badvc', `from=${m.from}`);
      return;
    }
    this.noteDecision(m.from, b.height, b.decision);
    this.helpLaggard(m.from, b.height);
    if (b.newView <= this.view) {
      // The sender lags in views: show it how this view was installed.
      if (this.newViewProof && this.newViewProof.body.view === this.view) this.net.send(m.from, this.newViewProof);
      return;
    }
    const prev = this.viewChanges.get(m.from);
    if (prev && prev.body.newView >= b.newView) return;
    this.viewChanges.set(m.from, m);
    // PBFT join rule: when f+1 replicas want views above ours, move to the highest view f+1 of them want
    // (at least one of those f+1 is correct, so Byzantine replicas alone cannot drag a replica ahead).
    const above = [...this.viewChanges.values()]
      .map((x) => x.body.newView)
      .filter((v) => v > this.targetView)
      .sort((x, y) => y - x);
    if (above.length >= this.f + 1) this.startViewChange(above[this.f]!);
    else this.afterViewChangeRecorded();
  }

  private afterViewChangeRecorded(): void {
    if (!this.inViewChange()) return;
    const t = this.targetView;
    const forTarget = [...this.viewChanges.values()].filter((x) => x.body.newView === t);
    const atLeast = [...this.viewChanges.values()].filter((x) => x.body.newView >= t).length;
    // Backoff timer runs only once a quorum is in the change, so a lone replica does not run ahead
    // (a quorum <= n-f, so the correct replicas alone start it).
    if (atLeast >= this.quorum && this.viewChangeTimerStartMs === undefined) this.viewChangeTimerStartMs = this.clock.nowMs();
    if (this.leaderOf(t) === this.id && forTarget.length >= this.quorum) {
      forTarget.sort((x, y) => x.from - y.from);
      const nv = this.sign({ type: 'newview', view: t, viewChanges: forTarget.slice(0, this.quorum) });
      this.trace(
        'newview-send',
        `vcs=${forTarget
          .slice(0, this.quorum)
          .map((x) => x.from)
          .join(',')}`,
      );
      this.broadcast(nv);
      this.onNewView(nv);
    }
  }

  private onNewView(m: SignedMessage<NewViewMsg>): void {
    const b = m.body;
    if (m.from !== this.leaderOf(b.view) || b.view < this.targetView || (b.view === this.view && !this.inViewChange())) return;
    const seen = new Set<ReplicaId>();
    for (const vc of b.viewChanges) {
      if (vc.body.newView !== b.view || seen.has(vc.from)) {
        this.stats.droppedMessages++;
        return;
      }
      // Own view changes are checked too: a Byzantine leader could forge one "from" this replica.
      if (!verifySignedMessage(this.crypto, this.n, vc) || !this.validViewChange(vc)) {
        this.stats.droppedMessages++;
        this.trace('drop-badnewview', `from=${m.from}`);
        return;
      }
      seen.add(vc.from);
    }
    // A quorum of view changes: it shares a correct replica with the quorum behind any decision, so
    // the highest decided height or the prepared proposal above it is among them (PBFT).
    if (seen.size < this.quorum) {
      this.stats.droppedMessages++;
      return;
    }
    this.adoptNewView(m, true);
  }

  /**
   * Installs the view proven by `m`: from its view changes, the highest decided seq h and the
   * prepared proposal for h+1 with the highest view (PBFT), which must be re-proposed.
   */
  private adoptNewView(m: SignedMessage<NewViewMsg>, fresh: boolean): void {
    const b = m.body;
    let top: SignedMessage<ViewChangeMsg> = b.viewChanges[0]!;
    for (const vc of b.viewChanges) if (vc.body.height > top.body.height) top = vc;
    const maxHeight = top.body.height;
    let mandated: PreparedCertificate | undefined;
    for (const vc of b.viewChanges) {
      const p = vc.body.prepared;
      if (p && p.seq === maxHeight + 1 && (!mandated || p.view > mandated.view)) mandated = p;
    }
    this.view = b.view;
    this.targetView = b.view;
    this.newViewProof = m;
    this.viewStartSeq = maxHeight + (mandated ? 1 : 0);
    this.slots = new Map();
    this.complaints.clear();
    this.ownComplaint = undefined;
    this.ownViewChange = undefined;
    this.viewChangeTimerStartMs = undefined;
    for (const [r, vc] of this.viewChanges) if (vc.body.newView <= b.view) this.viewChanges.delete(r);
    const now = this.clock.nowMs();
    this.lastLeaderContactMs = now;
    this.reforwardedInView = -1;
    if (fresh) {
      this.viewChangeAttempts = 0;
      this.persist();
      for (const e of this.pool.values()) e.firstSeenMs = now; // give the new leader a full request timeout
      this.trace('newview', `h=${maxHeight}${mandated ? ` mandated=${hex(bftProposalDigest(mandated.seq, mandated.payload))}` : ''}`);
    }
    if (mandated && mandated.seq > this.height) {
      const slot = this.slotFor(mandated.seq);
      const digest = bftProposalDigest(mandated.seq, mandated.payload);
      slot.payloads.set(hex(digest, 64), mandated.payload);
      slot.proposal = { digest, payload: mandated.payload, mandated: true };
    }
    if (!fresh) return; // restart: the constructor finishes recovery
    this.noteDecision(top.from, maxHeight, top.body.decision);
    const slot = this.slots.get(this.height + 1);
    if (slot?.proposal?.mandated && !this.inViewChange()) this.acceptProposal(slot, undefined);
    if (this.isLeader()) this.tryPropose();
  }

  private requestViewSync(to: ReplicaId): void {
    const now = this.clock.nowMs();
    if (now - this.lastViewSyncMs < this.cfg.retransmitMs) return;
    this.lastViewSyncMs = now;
    this.net.send(to, this.sign({ type: 'syncview', view: this.view }));
  }

  private onSyncView(from: ReplicaId, m: SyncViewMsg): void {
    if (this.view > m.view && this.newViewProof && this.newViewProof.body.view === this.view) this.net.send(from, this.newViewProof);
  }

  private onHeartbeat(from: ReplicaId, m: HeartbeatMsg): void {
    if (m.view > this.targetView) {
      this.requestViewSync(from);
      return;
    }
    if (m.view === this.view && from === this.leaderOf(m.view)) this.lastLeaderContactMs = this.clock.nowMs();
    this.noteHeight(from, m.height);
    this.helpLaggard(from, m.height);
  }

  // ---- state transfer -----------------------------------------------------------------------

  /** `from` claims to have decided up to `h` (possibly a lie: it only costs a fetch). */
  private noteHeight(from: ReplicaId, h: number): void {
    if (h <= this.height) return;
    if ((this.peerHeights.get(from) ?? 0) < h) this.peerHeights.set(from, h);
    this.maybeFetch();
  }

  private noteDecision(from: ReplicaId, h: number, d: Decision | undefined): void {
    if (d && h === this.height + 1)
      this.decide(d, 'viewchange'); // already verified by the caller
    else this.noteHeight(from, h);
  }

  private maybeFetch(): void {
    if (this.fetchOutstanding) return;
    for (const [r, h] of this.peerHeights) if (h <= this.height) this.peerHeights.delete(r);
    const ahead = [...this.peerHeights]
      .filter(([r, h]) => h > this.height && r !== this.id)
      .map(([r]) => r)
      .sort((a, b) => a - b);
    if (ahead.length === 0) return;
    // Votes may still be in flight for the very next seq; fetch only when clearly behind or stuck.
    const best = Math.max(...ahead.map((r) => this.peerHeights.get(r)!));
    const slot = this.slots.get(this.height + 1);
    if (best === this.height + 1 && slot?.proposal && this.clock.nowMs() - slot.acceptedAtMs < this.cfg.fetchTimeoutMs) return;
    const to = ahead[this.fetchRotation++ % ahead.length]!;
    this.fetchOutstanding = { to, sentAtMs: this.clock.nowMs() };
    this.trace('fetch', `from=${to} at=${this.height + 1}`);
    this.net.send(to, this.sign({ type: 'fetch', fromSeq: this.height + 1, count: this.cfg.fetchBatchMax }));
  }

  /**
   * `from` is voting or leading at a seq this replica already decided (e.g. a new leader re-proposing
   * what the others decided meanwhile): push the decisions it lacks, since it may have no reason
   * to ask (nobody else is ahead of it in its view). Rate-limited per peer.
   */
  private helpLaggard(from: ReplicaId, theirHeight: number): void {
    if (theirHeight >= this.height || from === this.id) return;
    const now = this.clock.nowMs();
    if (now - (this.lastHelpMs.get(from) ?? -Infinity) < this.cfg.retransmitMs) return;
    this.lastHelpMs.set(from, now);
    this.trace('help', `to=${from} at=${theirHeight + 1}`);
    this.onFetch(from, { type: 'fetch', fromSeq: theirHeight + 1, count: this.cfg.fetchBatchMax });
  }

  private onFetch(from: ReplicaId, m: FetchMsg): void {
    if (m.fromSeq < 1 || m.fromSeq > this.height) return;
    const last = Math.min(this.height, m.fromSeq + Math.min(m.count, this.cfg.fetchBatchMax) - 1);
    const decisions: Decision[] = [];
    let bytes = 0;
    for (let s = m.fromSeq; s <= last && bytes < this.cfg.proposalBytesMax; s++) {
      const d = this.storage.readDecision(s);
      if (!d) break;
      decisions.push(d);
      bytes += d.payload.length;
    }
    this.net.send(from, this.sign({ type: 'decisions', decisions }));
  }

  private onDecisions(from: ReplicaId, m: DecisionsMsg): void {
    if (this.fetchOutstanding?.to === from) this.fetchOutstanding = undefined;
    if (m.decisions.length > this.cfg.fetchBatchMax) {
      this.stats.droppedMessages++;
      return;
    }
    const vopts = { n: this.n, crypto: this.crypto, app: this.app, quorum: this.quorum };
    for (const d of m.decisions) {
      if (d.seq <= this.height) continue;
      if (d.seq !== this.height + 1) break;
      if (!verifyDecision(d, vopts)) {
        this.stats.droppedMessages++;
        this.trace('drop-badcert', `from=${from} s=${d.seq}`);
        this.peerHeights.delete(from);
        break;
      }
      this.decide(d, 'fetched');
    }
    this.maybeFetch();
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private sign<M extends Message>(body: M): SignedMessage<M> {
    return { from: this.id, body, signature: this.crypto.sign(bftSigningBytes(this.id, body)) };
  }

  private broadcast(m: SignedMessage): void {
    for (let r = 0; r < this.n; r++) if (r !== this.id) this.net.send(r, m);
  }

  private persist(): void {
    this.storage.writeState({
      view: this.view,
      targetView: this.targetView,
      ...(this.vote && { vote: this.vote }),
      ...(this.prepared && { prepared: this.prepared }),
      ...(this.newViewProof && { newViewProof: this.newViewProof }),
    });
  }

  private trace(event: string, detail: string): void {
    if (!this.traceSink) return;
    const vc = this.targetView > this.view ? `>${this.targetView}` : '';
    this.traceSink(`${this.clock.nowMs()} r${this.id} v${this.view}${vc} h${this.height} ${event} ${detail}`);
  }
}
