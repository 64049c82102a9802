// SPDX-License-Identifier: Apache-2.0
// Signature checks in worker threads. Each transaction costs the devnet about seven ECDSA
// verifications (the proposal at each endorser, the envelope at the orderer, the creator and the
// endorsements at commit), all on the one event-loop thread that also runs gRPC, chaincodes and
// the ledger; a pool moves them to other cores. Checks arriving in the same turn of the event loop
// travel as one message: the messages and signatures packed into one transferred buffer (a view of
// a larger buffer would otherwise be cloned whole), the public keys sent once per worker.
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SignatureCheck, SignatureVerifier } from '@metroledger/protocol';
import { committerError } from '../committer/errors.js';
import type { VerifyRequest, VerifyResponse } from './worker.js';

export interface SignatureVerifierPoolOptions {
  /** Worker threads; default: available cores − 1, at least 1, at most 4. */
  readonly threads?: number;
  /** A turn's checks beyond this many go to the next worker. Default 64. */
  readonly maxBatch?: number;
}

interface Pending {
  readonly resolve: (ok: readonly boolean[]) => void;
  readonly reject: (err: Error) => void;
}

interface WorkerSlot {
  readonly worker: Worker;
  /** Key ids this worker has been sent. */
  readonly known: Set<number>;
  inFlight: number;
}

interface Queued {
  readonly check: SignatureCheck;
  readonly resolve: (ok: boolean) => void;
  readonly reject: (err: Error) => void;
}

/**
 * A pool of verification threads with the same answers as @metroledger/identity's
 * `verifySignature` (strict DER, low-S, Ed25519): the workers run that very function.
 */
export class SignatureVerifierPool {
  readonly #slots: WorkerSlot[];
  readonly #maxBatch: number;
  readonly #pending = new Map<number, Pending>();
  readonly #keyIds = new WeakMap<KeyObject, number>();
  readonly #keyDer = new Map<number, Uint8Array>();
  #queue: Queued[] = [];
  #flushScheduled = false;
  #nextRequest = 0;
  #nextKey = 0;
  #failure: Error | undefined;
  #closed = false;

  constructor(options: SignatureVerifierPoolOptions = {}) {
    const threads = options.threads ?? Math.min(4, Math.max(1, availableParallelism() - 1));
    this.#maxBatch = options.maxBatch ?? 64;
    this.#slots = Array.from({ length: threads }, () => {
      const worker = new Worker(join(__dirname, 'worker.js'));
      worker.on('message', (msg: VerifyResponse) => this.#answer(msg));
      worker.on('error', (err) =>
        this.#fail(committerError('VERIFIER_FAILED', `signature verification worker failed: ${err.message}`, undefined, err)),
      );
      worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(committerError('VERIFIER_FAILED', `signature verification worker exited with code ${code}`));
      });
      worker.unref();
      return { worker, known: new Set<number>(), inFlight: 0 };
    });
  }

  get threads(): number {
    return this.#slots.length;
  }

  /** As a committer's `signatureVerifier`: one boolean per check, in order. */
  readonly verifier: SignatureVerifier = (checks) => Promise.all(checks.map((c) => this.verify(c.publicKey, c.message, c.signature)));

  /** Verifies DER `signature` over SHA-256(`message`) (Ed25519: over `message`); false for anything malformed. */
  verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(committerError('CLOSED', 'signature verifier pool is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ check: { publicKey, message, signature }, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #keyId(key: KeyObject): number {
    let id = this.#keyIds.get(key);
    if (id === undefined) {
      id = this.#nextKey++;
      this.#keyIds.set(key, id);
      this.#keyDer.set(id, key.export({ type: 'spki', format: 'der' }));
    }
    return id;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += this.#maxBatch) this.#send(queue.slice(i, i + this.#maxBatch));
  }

  #send(batch: Queued[]): void {
    // the least busy worker
    let slot = this.#slots[0]!;
    for (const s of this.#slots) if (s.inFlight < slot.inFlight) slot = s;
    let size = 0;
    for (const q of batch) size += q.check.message.length + q.check.signature.length;
    const data = new Uint8Array(size);
    const layout = new Uint32Array(batch.length * 3);
    const newKeys: [number, Uint8Array][] = [];
    let at = 0;
    batch.forEach((q, i) => {
      let key: number;
      try {
        key = this.#keyId(q.check.publicKey);
      } catch {
        key = -1; // not exportable: no valid signature can be made with it
      }
      if (key >= 0 && !slot.known.has(key)) {
        slot.known.add(key);
        newKeys.push([key, this.#keyDer.get(key)!]);
      }
      data.set(q.check.message, at);
      data.set(q.check.signature, at + q.check.message.length);
      layout[i * 3] = key >>> 0;
      layout[i * 3 + 1] = q.check.message.length;
      layout[i * 3 + 2] = q.check.signature.length;
      at += q.check.message.length + q.check.signature.length;
    });
    const id = this.#nextRequest++;
    // A worker with checks under way keeps the process alive (their callers wait); an idle one does not.
    if (slot.inFlight++ === 0) slot.worker.ref();
    const done = (): void => {
      if (--slot.inFlight === 0) slot.worker.unref();
    };
    this.#pending.set(id, {
      resolve: (ok) => {
        done();
        batch.forEach((q, i) => q.resolve(ok[i] === true));
      },
      reject: (err) => {
        done();
        for (const q of batch) q.reject(err);
      },
    });
    const request: VerifyRequest = { id, newKeys, layout, data };
    slot.worker.postMessage(request, [data.buffer, layout.buffer]);
  }

  #answer(msg: VerifyResponse): void {
    const p = this.#pending.get(msg.id);
    if (p === undefined) return;
    this.#pending.delete(msg.id);
    p.resolve(Array.from(msg.ok, (b) => b === 1));
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    const queue = this.#queue;
    this.#queue = [];
    for (const q of queue) q.reject(err);
  }

  /** Fails pending checks with CLOSED and stops the workers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(committerError('CLOSED', 'signature verifier pool is closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
