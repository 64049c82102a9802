// SPDX-License-Identifier: Apache-2.0
// Endorsement in worker threads. Each thread hosts every endorsing peer (its identity, its
// installed chaincodes, its Endorser: worker.ts); a proposal goes to the least busy thread, with
// the client's proposal bytes and signature in one transferred buffer, and its response comes back
// the same way. The thread checks the proposal (creator, signature), runs the chaincode (the LR
// computation and the meter-signature check included) and signs: the work that made the event
// loop the devnet's limit.
//
// The world state stays in this thread's LevelDB. Each endorsement thread reads it through a cache
// (cached-state.ts): a miss is answered from here (a synchronous LevelDB lookup), and the key joins
// the set of keys some thread has read; after every commit, before anyone can learn of it
// (Ledger.onApplied), the new values of those keys go to every thread. Messages between two threads
// keep their order, so a proposal a client sends after learning of a commit is simulated on a
// state that includes it, as on the event loop. Simulations read the state each endorsement thread
// last heard of, never a state older than the last commit anyone was told of.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EndorsingPeer } from '@metroledger/gateway';
import type { StateUpdate } from '@metroledger/ledger';
import { PeerError, type FingerprintIncident, type PeerErrorCode } from '@metroledger/peer';
import type { ParsedProposal, ProposalResponseParts, VersionedValue } from '@metroledger/protocol';
import { DevnetError } from '../errors.js';
import type {
  ApprovalEntry,
  EndorseRequest,
  EndorseResult,
  EndorseWorkerData,
  FromEndorseWorker,
  PeerSpec,
  ToEndorseWorker,
  WireError,
} from './messages.js';
import { encodeEntries, unpack, type StateEntry } from './wire.js';

/** What the pool reads of the ledger. */
export interface EndorsementLedger {
  readonly state: {
    getNow(namespace: string, key: string): VersionedValue | undefined;
    range(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string } & VersionedValue>;
  };
  getTx(txId: string): Promise<unknown>;
  /** Called with each commit's writes before anyone can learn of the commit. */
  onApplied(listener: (blockNum: number, updates: readonly StateUpdate[]) => void): () => void;
}

export interface EndorsementThreadsOptions {
  readonly threads: number;
  readonly channelId: string;
  readonly msps: EndorseWorkerData['msps'];
  readonly peers: readonly PeerSpec[];
  readonly approvals: readonly ApprovalEntry[];
  readonly ledger: EndorsementLedger;
  /** A peer's fingerprint guard refused its package (once per episode, across threads). */
  readonly onIncident?: (peer: PeerSpec, incident: FingerprintIncident) => void;
}

/** A chaincode as loaded on a peer (its version as the module states it). */
export interface LoadedChaincode {
  readonly peer: PeerSpec;
  readonly name: string;
  readonly version: string;
}

interface Slot {
  readonly worker: Worker;
  inFlight: number;
  queued: EndorseRequest[];
  transfer: ArrayBuffer[];
}

interface Pending {
  readonly slot: Slot;
  readonly resolve: (r: ProposalResponseParts) => void;
  readonly reject: (e: Error) => void;
}

const PEER_CODES = new Set<string>(['MALFORMED_PROPOSAL', 'CHANNEL_NOT_FOUND', 'ACCESS_DENIED', 'DUPLICATE_TXID']);

function errorOf(e: WireError): Error {
  if (e.name === 'PeerError' && e.code !== undefined && PEER_CODES.has(e.code))
    return new PeerError(e.code as PeerErrorCode, e.message, e.details);
  return Object.assign(new Error(e.message), e.code !== undefined ? { code: e.code } : {});
}

/** The endorsing peers of the devnet, each running in every endorsement thread. */
export class EndorsementThreads {
  readonly #o: EndorsementThreadsOptions;
  readonly #slots: Slot[];
  readonly #pending = new Map<number, Pending>();
  /** Keys some thread has read: their writes are sent to every thread after each commit. */
  readonly #read = new Set<string>();
  readonly #episodes = new Map<string, string>();
  readonly #lagging = new Map<number, { lag: number; left: number }>();
  readonly #offApplied: () => void;
  #nextId = 0;
  #nextLag = 1;
  #failure: Error | undefined;
  #closed = false;

  constructor(o: EndorsementThreadsOptions) {
    if (!Number.isInteger(o.threads) || o.threads < 1)
      throw new DevnetError('BAD_CONFIG', `endorsement threads must be at least 1, not ${o.threads}`);
    this.#o = o;
    const data: EndorseWorkerData = { channelId: o.channelId, msps: o.msps, peers: o.peers, approvals: o.approvals };
    this.#slots = Array.from({ length: o.threads }, () => {
      const slot: Slot = { worker: new Worker(join(__dirname, 'worker.js'), { workerData: data }), inFlight: 0, queued: [], transfer: [] };
      slot.worker.on('message', (m: FromEndorseWorker) => this.#onMessage(slot, m));
      slot.worker.on('error', (err) => this.#fail(new Error(`an endorsement thread failed: ${err.message}`, { cause: err })));
      slot.worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(new Error(`an endorsement thread exited (code ${code})`));
      });
      return slot;
    });
    this.#offApplied = o.ledger.onApplied((_, updates) => this.#applied(updates));
  }

  get threads(): number {
    return this.#slots.length;
  }

  #ready: Promise<LoadedChaincode[]> | undefined;
  #onReady = new Map<Slot, { resolve: (loaded: LoadedChaincode[]) => void; reject: (e: Error) => void }>();

  /** Resolves once every thread has loaded every peer's chaincodes. @throws DevnetError CHAINCODE_LOAD */
  start(): Promise<LoadedChaincode[]> {
    this.#ready ??= Promise.all(
      this.#slots.map((slot) => new Promise<LoadedChaincode[]>((resolve, reject) => this.#onReady.set(slot, { resolve, reject }))),
    ).then((all) => all[0] ?? []);
    return this.#ready;
  }

  /** The endorsing peer `i` of the options' peers, as the gateway asks it. */
  peer(i: number): EndorsingPeer {
    const spec = this.#o.peers[i];
    if (spec === undefined) throw new DevnetError('BAD_CONFIG', `no endorsing peer ${i}`);
    const names = new Set(spec.chaincodes.map((c) => c.name));
    return {
      mspId: spec.mspId,
      address: spec.address,
      hasChaincode: (name) => names.has(name),
      processProposal: (p) => this.#endorse(i, p),
    };
  }

  /** The approvals the fingerprint guards compare installed packages with (after each registry change). */
  setApprovals(approvals: readonly ApprovalEntry[]): void {
    this.#broadcast({ t: 'approvals', approvals });
  }

  /** Fault injection: peer `i` simulates its next `proposals` proposals on a stale view (LaggingState). */
  lag(i: number, proposals: number): void {
    if (proposals <= 0) this.#lagging.delete(i);
    else this.#lagging.set(i, { lag: this.#nextLag++, left: proposals });
  }

  async #endorse(peer: number, p: ParsedProposal): Promise<ProposalResponseParts> {
    if (this.#failure !== undefined) throw this.#failure;
    const txCommitted = (await this.#o.ledger.getTx(p.txId)) !== undefined;
    const lagging = this.#lagging.get(peer);
    let lag: number | undefined;
    if (lagging !== undefined) {
      lag = lagging.lag;
      if (--lagging.left <= 0) this.#lagging.delete(peer);
    }
    // a lagging peer's stale view lives in the first thread
    const slot = lag !== undefined ? this.#slots[0]! : this.#leastBusy();
    const bytes = new Uint8Array(p.proposalBytes.length + p.signature.length);
    bytes.set(p.proposalBytes, 0);
    bytes.set(p.signature, p.proposalBytes.length);
    const id = this.#nextId++;
    const request: EndorseRequest = {
      id,
      peer,
      bytes,
      proposalLength: p.proposalBytes.length,
      txCommitted,
      ...(lag !== undefined && { lag }),
    };
    return new Promise<ProposalResponseParts>((resolve, reject) => {
      this.#pending.set(id, { slot, resolve, reject });
      slot.inFlight++;
      if (slot.queued.length === 0) queueMicrotask(() => this.#flush(slot));
      slot.queued.push(request);
      slot.transfer.push(bytes.buffer);
    });
  }

  #leastBusy(): Slot {
    let best = this.#slots[0]!;
    for (const s of this.#slots) if (s.inFlight < best.inFlight) best = s;
    return best;
  }

  #flush(slot: Slot): void {
    const requests = slot.queued;
    const transfer = slot.transfer;
    slot.queued = [];
    slot.transfer = [];
    if (requests.length > 0) slot.worker.postMessage({ t: 'endorse', requests } satisfies ToEndorseWorker, transfer);
  }

  #onMessage(slot: Slot, m: FromEndorseWorker): void {
    switch (m.t) {
      case 'endorsed':
        for (const r of m.results) this.#settle(r);
        return;
      case 'get':
        return this.#answerKeys(slot, m.keys);
      case 'range':
        void this.#answerRange(slot, m.id, m.ns, m.start, m.end, m.limit);
        return;
      case 'incident':
        return this.#incident(m.peer, m.incident);
      case 'episodeEnd':
        this.#episodes.delete(`${m.peer}\u0000${m.chaincode}`);
        return;
      case 'ready':
        this.#onReady.get(slot)?.resolve(m.loaded.map((l) => ({ peer: this.#o.peers[l.peer]!, name: l.name, version: l.version })));
        return;
      case 'loadFailed':
        this.#onReady.get(slot)?.reject(new DevnetError('CHAINCODE_LOAD', m.error.message, m.error.details));
        return;
    }
  }

  #settle(r: EndorseResult): void {
    const p = this.#pending.get(r.id);
    if (p === undefined) return;
    this.#pending.delete(r.id);
    p.slot.inFlight--;
    if (r.error !== undefined || r.ok === undefined) {
      p.reject(errorOf(r.error ?? { message: 'endorsement thread answered nothing' }));
      return;
    }
    const [payload, prpBytes, endorser, signature] = unpack(r.ok.packed);
    p.resolve({
      status: r.ok.status,
      message: r.ok.message,
      payload: payload!,
      prpBytes: prpBytes!,
      endorsement: endorser !== undefined && signature !== undefined ? { endorser, signature } : undefined,
    });
  }

  /** Misses of one thread: answered now (the reads and the answer in this turn), and remembered. */
  #answerKeys(slot: Slot, keys: readonly (readonly [string, string])[]): void {
    const entries: StateEntry[] = [];
    const failed: [string, string, string][] = [];
    for (const [ns, key] of keys) {
      let v: VersionedValue | undefined;
      try {
        v = this.#o.ledger.state.getNow(ns, key);
      } catch (err) {
        failed.push([ns, key, (err as Error).message]); // e.g. a key the state cannot hold (BAD_KEY)
        continue;
      }
      this.#read.add(`${ns}\u0000${key}`);
      entries.push({ ns, key, value: v?.value, blockNum: v?.version.blockNum ?? 0, txNum: v?.version.txNum ?? 0 });
    }
    const bytes = encodeEntries(entries);
    slot.worker.postMessage({ t: 'state', entries: bytes, ...(failed.length > 0 && { failed }) } satisfies ToEndorseWorker, [bytes.buffer]);
  }

  async #answerRange(slot: Slot, id: number, ns: string, start: string, end: string, limit: number): Promise<void> {
    const entries: StateEntry[] = [];
    let done = true;
    try {
      for await (const kv of this.#o.ledger.state.range(ns, start, end)) {
        if (entries.length >= limit) {
          done = false;
          break;
        }
        entries.push({ ns, key: kv.key, value: kv.value, blockNum: kv.version.blockNum, txNum: kv.version.txNum });
      }
    } catch (err) {
      slot.worker.postMessage({
        t: 'range',
        id,
        entries: encodeEntries([]),
        done: true,
        error: (err as Error).message,
      } satisfies ToEndorseWorker);
      return;
    }
    const bytes = encodeEntries(entries);
    slot.worker.postMessage({ t: 'range', id, entries: bytes, done } satisfies ToEndorseWorker, [bytes.buffer]);
  }

  /** A commit's writes to keys some thread has read, to every thread, in commit order. */
  #applied(updates: readonly StateUpdate[]): void {
    const entries: StateEntry[] = [];
    for (const u of updates) {
      if (!this.#read.has(`${u.ns}\u0000${u.key}`)) continue;
      entries.push({
        ns: u.ns,
        key: u.key,
        value: u.isDelete ? undefined : (u.value ?? new Uint8Array(0)),
        blockNum: u.version.blockNum,
        txNum: u.version.txNum,
      });
    }
    if (entries.length > 0) this.#broadcast({ t: 'state', entries: encodeEntries(entries) });
  }

  #incident(peer: number, incident: FingerprintIncident): void {
    const key = `${peer}\u0000${incident.chaincodeName}`;
    const episode = `${incident.kind}\n${incident.expectedPackageId}\n${incident.foundPackageId}`;
    if (this.#episodes.get(key) === episode) return; // another thread reported this episode already
    this.#episodes.set(key, episode);
    this.#o.onIncident?.(this.#o.peers[peer]!, incident);
  }

  #broadcast(m: ToEndorseWorker): void {
    for (const s of this.#slots) s.worker.postMessage(m);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    for (const r of this.#onReady.values()) r.reject(err);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#offApplied();
    this.#fail(new Error('the endorsement threads are closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
