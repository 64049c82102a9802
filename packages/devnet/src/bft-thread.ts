// SPDX-License-Identifier: Apache-2.0
// The BFT ordering service in a thread of its own (bft-worker.ts runs BftOrderer there). Its n
// replicas, their consensus messages, signatures, write-ahead logs and envelope checks then use
// another core than the event loop that serves gRPC, runs the gateway and commits blocks. What
// crosses the thread boundary is one envelope per Submit (one message per turn of the event loop,
// whatever the number of envelopes) and one committed block per decision; the replicas check and
// decide exactly as in-process (the same BftOrderer, the same checks, the same WAL).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { common } from '@hyperledger/fabric-protos';
import { bftFaultTolerance } from '@metroledger/bft';
import type { MspConfig } from '@metroledger/identity';
import { OrderingError, type BftTimings, type OrderingErrorCode, type OrderingService } from '@metroledger/ordering';
import type { BatchConfig, ConsenterConfig } from '@metroledger/protocol';

/** A consenter with the key material its replica signs with (PEM: the worker builds its own key objects). */
export interface ThreadConsenter {
  readonly config: ConsenterConfig;
  readonly mspId: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** What the ordering thread is started with (structured-cloned into it). */
export interface BftThreadOptions {
  readonly channelId: string;
  readonly batch: BatchConfig;
  readonly consenters: readonly ThreadConsenter[];
  /** Each replica's WAL under `<dataDir>/<consenter host>/`. */
  readonly dataDir: string;
  readonly genesisHeaderHash: Uint8Array;
  /** The ledger's height: earlier decided blocks are not emitted again. */
  readonly deliverFrom: number;
  /** The channel's MSPs: envelope creators must be valid members. */
  readonly msps: readonly MspConfig[];
  readonly replicasDown?: readonly number[];
  readonly timings?: BftTimings;
  /** Signature-verification threads of the ordering thread; 0: each replica verifies inline, in its turn. */
  readonly verifyThreads: number;
}

/** Requests to the ordering thread. */
export type BftThreadRequest =
  | { readonly t: 'call'; readonly id: number; readonly op: BftThreadOp; readonly args: readonly number[] }
  | { readonly t: 'broadcast'; readonly ids: readonly number[]; readonly envelopes: readonly Uint8Array[] };

export type BftThreadOp =
  'start' | 'stop' | 'stopReplica' | 'startReplica' | 'isReplicaRunning' | 'replicaHeights' | 'replicaViews' | 'replicaBlock';

/** An error as it crosses the thread boundary. */
export interface ThreadError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** Messages from the ordering thread. */
export type BftThreadEvent =
  | { readonly t: 'block'; readonly num: number; readonly bytes: Uint8Array }
  | { readonly t: 'done'; readonly results: readonly { readonly id: number; readonly value?: unknown; readonly error?: ThreadError }[] };

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

const ORDERING_CODES = new Set<string>(['BAD_REQUEST', 'SERVICE_UNAVAILABLE', 'BUSY', 'BAD_CONFIG', 'STORAGE']);

/** The error the ordering thread reported, as the OrderingError it was (other errors as plain Errors). */
export function errorFromThread(e: ThreadError): Error {
  if (e.code !== undefined && ORDERING_CODES.has(e.code)) {
    const prefix = `${e.code}: `;
    return new OrderingError(
      e.code as OrderingErrorCode,
      e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message,
      e.details,
    );
  }
  return new Error(e.message);
}

/**
 * The BFT ordering service in its own thread, as the devnet's gateway and committer see an
 * OrderingService; replica control (for tests, demos and measurements) answers asynchronously.
 */
export class ThreadedBftOrderer implements OrderingService {
  readonly n: number;
  readonly f: number;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(block: common.Block) => void>();
  #nextId = 0;
  #height: number;
  #failure: Error | undefined;
  #exited = false;
  #queued: { id: number; envelope: Uint8Array }[] = [];
  #flushScheduled = false;

  constructor(options: BftThreadOptions) {
    this.n = options.consenters.length;
    this.f = bftFaultTolerance(this.n);
    this.#height = options.deliverFrom;
    this.#worker = new Worker(join(__dirname, 'bft-worker.js'), { workerData: options });
    this.#worker.on('message', (m: BftThreadEvent) => this.#onMessage(m));
    this.#worker.on('error', (err) =>
      this.#fail(new OrderingError('SERVICE_UNAVAILABLE', `the ordering thread failed: ${err.message}`, undefined, { cause: err })),
    );
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      this.#fail(new OrderingError('SERVICE_UNAVAILABLE', `the ordering thread exited (code ${code})`));
    });
  }

  /** Number of the next block this service will hand to its listeners. */
  get height(): number {
    return this.#height;
  }

  start(): Promise<void> {
    return this.#call('start') as Promise<void>;
  }

  /** Orders what was accepted (bounded wait), stops every replica and ends the thread. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    try {
      await this.#call('stop');
    } finally {
      await this.#worker.terminate();
    }
  }

  onBlock(listener: (block: common.Block) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  broadcast(envelope: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const done = this.#expect(id) as Promise<void>;
    // This turn's envelopes travel together (one message, one wake-up of the ordering thread).
    this.#queued.push({ id, envelope });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return done;
  }

  stopReplica(i: number): Promise<void> {
    return this.#call('stopReplica', i) as Promise<void>;
  }

  startReplica(i: number): Promise<void> {
    return this.#call('startReplica', i) as Promise<void>;
  }

  isReplicaRunning(i: number): Promise<boolean> {
    return this.#call('isReplicaRunning', i) as Promise<boolean>;
  }

  replicaHeights(): Promise<(number | undefined)[]> {
    return this.#call('replicaHeights') as Promise<(number | undefined)[]>;
  }

  replicaViews(): Promise<(number | undefined)[]> {
    return this.#call('replicaViews') as Promise<(number | undefined)[]>;
  }

  replicaBlock(i: number, seq: number): Promise<Uint8Array> {
    return this.#call('replicaBlock', i, seq) as Promise<Uint8Array>;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length === 0 || this.#failure !== undefined) return;
    const request: BftThreadRequest = { t: 'broadcast', ids: queued.map((q) => q.id), envelopes: queued.map((q) => q.envelope) };
    this.#worker.postMessage(request);
  }

  #call(op: BftThreadOp, ...args: number[]): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const done = this.#expect(id);
    const request: BftThreadRequest = { t: 'call', id, op, args };
    this.#worker.postMessage(request);
    return done;
  }

  #expect(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  #onMessage(m: BftThreadEvent): void {
    if (m.t === 'block') {
      this.#height = m.num + 1;
      const block = common.Block.deserializeBinary(m.bytes);
      for (const listener of this.#listeners) {
        try {
          listener(block);
        } catch (err) {
          process.nextTick(() => {
            throw err;
          });
        }
      }
      return;
    }
    for (const r of m.results) {
      const p = this.#pending.get(r.id);
      if (p === undefined) continue;
      this.#pending.delete(r.id);
      if (r.error !== undefined) p.reject(errorFromThread(r.error));
      else p.resolve(r.value);
    }
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
