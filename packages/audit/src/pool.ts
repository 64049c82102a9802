// SPDX-License-Identifier: Apache-2.0
// A small pool of verification workers; blocks go round-robin, meter updates go to all.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BlockAnalysis } from './analyze';
import { AuditError } from './errors';
import type { WorkerChannel, WorkerInit, WorkerRequest, WorkerResponse } from './worker';

export class WorkerPool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (a: BlockAnalysis) => void; reject: (e: Error) => void }>();
  #next = 0;
  #id = 0;
  #failure: Error | undefined;

  constructor(size: number, init: WorkerInit) {
    this.#workers = Array.from({ length: size }, () => {
      const w = new Worker(join(__dirname, 'worker.js'), { workerData: { auditWorker: true, init } });
      w.on('message', (msg: WorkerResponse) => {
        const p = this.#pending.get(msg.id);
        if (p === undefined) return;
        this.#pending.delete(msg.id);
        if ('error' in msg) p.reject(new AuditError('WORKER', `block analysis failed in a worker: ${msg.error}`));
        else p.resolve(msg.analysis);
      });
      w.on('error', (err) => this.#fail(new AuditError('WORKER', `verification worker died: ${err.message}`, undefined, { cause: err })));
      w.on('exit', (code) => {
        if (code !== 0) this.#fail(new AuditError('WORKER', `verification worker exited with code ${code}`));
      });
      return w;
    });
  }

  get size(): number {
    return this.#workers.length;
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** Analyze a block in the next worker. The bytes are copied; the caller keeps its buffer. */
  analyze(bytes: Uint8Array): Promise<BlockAnalysis> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#id++;
    const w = this.#workers[this.#next]!;
    this.#next = (this.#next + 1) % this.#workers.length;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ kind: 'block', id, bytes } satisfies WorkerRequest);
    });
  }

  /** Make every worker use this meter entry for blocks sent from now on. */
  updateMeter(meterId: string, rev: number, json: string | null): void {
    for (const w of this.#workers) w.postMessage({ kind: 'meter', meterId, rev, json } satisfies WorkerRequest);
  }

  /** Make every worker use this channel configuration (MSPs, consenters) for blocks sent from now on. */
  updateChannel(channel: WorkerChannel): void {
    for (const w of this.#workers) w.postMessage({ kind: 'channel', channel } satisfies WorkerRequest);
  }

  /** Make every worker re-execute with this (approved) LR package's software for blocks sent from now on. */
  addLrPackage(bytes: Uint8Array): void {
    for (const w of this.#workers) w.postMessage({ kind: 'lr-package', bytes } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
