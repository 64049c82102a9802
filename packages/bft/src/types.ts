// SPDX-License-Identifier: Apache-2.0
// Public types of the BFT core: messages, certificates and the injected edges (ports).

/** Replica index, 0..n-1. The leader of view v is replica v mod n. */
export type ReplicaId = number;

/** A client request: opaque bytes plus an id used for dedup across the whole decided log. */
export interface Request {
  /** 1..256 bytes of UTF-8 (e.g. a Fabric tx id). */
  readonly id: string;
  readonly data: Uint8Array;
}

/** One replica's commit signature over `Application.commitSigningBytes(...)` (or the default bytes). */
export interface CommitSignature {
  readonly replica: ReplicaId;
  readonly signature: Uint8Array;
}

/** Commit certificate: a quorum (bftQuorum(n)) of distinct replicas signed the commit of `digest` at `seq` in `view`. */
export interface Certificate {
  readonly seq: number;
  readonly view: number;
  /** sha256 over ("mlbft/proposal" ‖ seq ‖ payload), see `bftProposalDigest`. */
  readonly digest: Uint8Array;
  readonly signatures: readonly CommitSignature[];
}

/** A decided proposal: what `onDecided` receives, what storage keeps and what state transfer ships. */
export interface Decision {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly certificate: Certificate;
}

// ---- messages -------------------------------------------------------------------------------

/** Requests forwarded to every replica (batched to amortise signatures). */
export interface RequestsMsg {
  readonly type: 'requests';
  readonly requests: readonly Request[];
}
/** Phase 1: the leader of `view` proposes `payload` at `seq`. */
export interface PrePrepareMsg {
  readonly type: 'preprepare';
  readonly view: number;
  readonly seq: number;
  readonly payload: Uint8Array;
}
/** Phase 2: the sender accepted the pre-prepare with `digest`. */
export interface PrepareMsg {
  readonly type: 'prepare';
  readonly view: number;
  readonly seq: number;
  readonly digest: Uint8Array;
}
/** Phase 3: the sender saw a quorum of prepares; `certSignature` goes into the commit certificate. */
export interface CommitMsg {
  readonly type: 'commit';
  readonly view: number;
  readonly seq: number;
  readonly digest: Uint8Array;
  readonly certSignature: Uint8Array;
}
/** The sender wants to leave `view` (leader silent, request not ordered in time, equivocation). */
export interface ComplainMsg {
  readonly type: 'complain';
  readonly view: number;
}
/** PBFT view change: the sender's decided height (with proof) and its latest prepared certificate above it. */
export interface ViewChangeMsg {
  readonly type: 'viewchange';
  readonly newView: number;
  readonly height: number;
  /** The decision at `height` (absent when height is 0). */
  readonly decision?: Decision;
  /** Prepared certificate for seq height+1, if any. */
  readonly prepared?: PreparedCertificate;
}
/** Leader of `view` installs it with a quorum of signed view changes; receivers recompute what must be re-proposed. */
export interface NewViewMsg {
  readonly type: 'newview';
  readonly view: number;
  readonly viewChanges: readonly SignedMessage<ViewChangeMsg>[];
}
/** Leader liveness beacon; also tells lagging replicas how far the log goes. */
export interface HeartbeatMsg {
  readonly type: 'heartbeat';
  readonly view: number;
  readonly height: number;
}
/** State transfer request: decisions from `fromSeq`, at most `count`. */
export interface FetchMsg {
  readonly type: 'fetch';
  readonly fromSeq: number;
  readonly count: number;
}
/** State transfer reply; each decision is checked against its certificate. */
export interface DecisionsMsg {
  readonly type: 'decisions';
  readonly decisions: readonly Decision[];
}
/** "I am in `view`; send me your NEW-VIEW proof if you are further." */
export interface SyncViewMsg {
  readonly type: 'syncview';
  readonly view: number;
}

export type Message =
  | RequestsMsg
  | PrePrepareMsg
  | PrepareMsg
  | CommitMsg
  | ComplainMsg
  | ViewChangeMsg
  | NewViewMsg
  | HeartbeatMsg
  | FetchMsg
  | DecisionsMsg
  | SyncViewMsg;
export type MessageType = Message['type'];

/** Every message travels signed by its sender over `bftSigningBytes(from, body)`. */
export interface SignedMessage<M extends Message = Message> {
  readonly from: ReplicaId;
  readonly body: M;
  readonly signature: Uint8Array;
}

/** A quorum of signed prepares for the same (view, seq, digest) plus the payload they prepared. */
export interface PreparedCertificate {
  readonly view: number;
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly prepares: readonly SignedMessage<PrepareMsg>[];
}

// ---- injected edges (ports) -----------------------------------------------------------------

/** Outgoing messages. The transport authenticates peers; the replica checks signatures anyway. */
export interface Network {
  send(to: ReplicaId, msg: SignedMessage): void;
}

/** Time source; the replica never reads the OS clock. */
export interface Clock {
  nowMs(): number;
}

/** Signing with this replica's key and verification of any replica's signature. */
export interface Crypto {
  sign(bytes: Uint8Array): Uint8Array;
  verify(replica: ReplicaId, bytes: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Durable storage. A write must be durable before any output the replica produces after it leaves
 * the host (the replica sends votes only after persisting them, so a restart never produces a
 * conflicting vote): either durable when the call returns, or the host holds the replica's messages
 * and decisions until it is (output commit, as the devnet's orderer does).
 */
export interface Storage {
  readState(): PersistedState | undefined;
  writeState(state: PersistedState): void;
  /** Number of decisions stored (they are seq 1..height). */
  height(): number;
  readDecision(seq: number): Decision | undefined;
  /** Appends `decision` with seq === height()+1. */
  appendDecision(decision: Decision): void;
}

/** What a replica persists besides the decided log. */
export interface PersistedState {
  /** Current view (installed). */
  readonly view: number;
  /** View the replica is moving to; > view while a view change is in progress. Never votes below it. */
  readonly targetView: number;
  /** Last pre-prepare/prepare vote: never vote another digest for the same (view, seq). */
  readonly vote?: { readonly view: number; readonly seq: number; readonly digest: Uint8Array; readonly committed: boolean };
  /** Latest prepared certificate (for seq height+1), reported in view changes. */
  readonly prepared?: PreparedCertificate;
  /** Proof of the current view (absent for view 0), served to replicas that lag in views. */
  readonly newViewProof?: SignedMessage<NewViewMsg>;
}

/**
 * The ordered application (the devnet makes the payload a Fabric block).
 * All methods must be deterministic functions of their inputs and of the decided log.
 */
export interface Application {
  /** Leader side: build a payload for `seq` from pooled requests (in order, already deduplicated). */
  buildProposal(seq: number, requests: readonly Request[]): Uint8Array;
  /** Follower side: is `payload` a valid proposal for `seq`? (e.g. block number and client signatures). */
  validateProposal(seq: number, payload: Uint8Array): boolean;
  /** Request ids carried by a payload that passed `validateProposal` (used for dedup and pool cleanup). */
  requestIds(payload: Uint8Array): readonly string[];
  /** Called once per seq, in order, after the decision is persisted. */
  onDecided(decision: Decision): void;
  /**
   * Bytes a replica signs for the commit certificate. Default: `bftCommitSigningBytes(seq, view, digest)`.
   * For Fabric: the block-signature bytes (metadata value ‖ signature header of `signer` ‖ block header),
   * so the certificate's signatures can go straight into the block's SIGNATURES metadata.
   */
  commitSigningBytes?(seq: number, view: number, digest: Uint8Array, payload: Uint8Array, signer: ReplicaId): Uint8Array;
}

/** Sink for the compact one-line-per-event trace (`t=... r1 v0 s5 decide d=ab12cd34`). */
export type TraceSink = (line: string) => void;

/** Counters a replica keeps (for tests, metrics and the simulator). */
export interface ReplicaStats {
  badSignatures: number;
  droppedMessages: number;
  decided: number;
  viewChanges: number;
  complaints: number;
  fetchedDecisions: number;
  poolRefusals: number;
}

/** Result of `Replica.submit`. */
export type SubmitResult = 'queued' | 'pending' | 'decided';
