// SPDX-License-Identifier: Apache-2.0
// Signed readings for the load, made by the meter model before the timed window: the model costs
// about 0.4–0.7 ms of CPU per reading (signal synthesis dominates), which would otherwise compete
// with the network for the same two cores and cap the load generator. Each meter's readings follow
// its sequence one by one; every reading is freshly synthesised (no two carry the same raw data).
// Generated readings that a point did not use are discarded and their sequence numbers reused by
// the next point's new readings, so the ledger sees each meter's sequence without gaps.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PlannedMeter } from '@metroledger/scenario';
import { generateBase64Readings, type GenerationJob } from './synthesis';

export interface BenchMeter {
  readonly plan: PlannedMeter;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** Pre-generated readings, per meter, in sequence order (canonical signed bytes as base64). */
export class ReadingPool {
  readonly #meters: readonly BenchMeter[];
  readonly #faultShare: number;
  readonly #seed: string;
  /** Next sequence number to hand out, per meter. */
  readonly #nextSequence: number[];
  #queues: string[][];
  #heads: number[];
  /** Readings made during a timed window because the pool ran dry. */
  generatedOnDemand = 0;

  constructor(meters: readonly BenchMeter[], opts: { faultShare: number; seed: string }) {
    this.#meters = meters;
    this.#faultShare = opts.faultShare;
    this.#seed = opts.seed;
    this.#nextSequence = meters.map(() => 1);
    this.#queues = meters.map(() => []);
    this.#heads = meters.map(() => 0);
  }

  get meterCount(): number {
    return this.#meters.length;
  }

  meterId(m: number): string {
    return this.#meters[m]!.plan.meterId;
  }

  /**
   * Replaces the pool: `counts[m]` new readings for meter m, continuing its sequence after the
   * last reading handed out. Runs the meter model on worker threads (the network is idle meanwhile).
   */
  async refill(counts: readonly number[], threads = Math.max(1, availableParallelism())): Promise<void> {
    const captureBaseMs = Date.now();
    const jobs: GenerationJob[] = [];
    counts.forEach((count, m) => {
      if (count <= 0) return;
      const meter = this.#meters[m]!;
      jobs.push({
        index: m,
        meterId: meter.plan.meterId,
        geometry: meter.plan.geometry,
        speedLimitKmh: meter.plan.speedLimitKmh,
        privateKeyPem: meter.privateKeyPem,
        firstSequence: this.#nextSequence[m]!,
        count,
        captureBaseMs,
        faultShare: this.#faultShare,
        seed: this.#seed,
      });
    });
    this.#queues = this.#meters.map(() => []);
    this.#heads = this.#meters.map(() => 0);
    const total = jobs.reduce((a, j) => a + j.count, 0);
    const workers = Math.min(threads, Math.max(1, Math.ceil(total / 500)));
    const parts: GenerationJob[][] = Array.from({ length: workers }, () => []);
    jobs.forEach((j, i) => parts[i % workers]!.push(j));
    const results = workers === 1 ? [generateBase64Readings(parts[0]!)] : await Promise.all(parts.map(runWorker));
    for (const part of results) for (const [m, readings] of part) this.#queues[m] = readings;
  }

  /** The next reading of meter `m` (base64 of the canonical signed bytes) and its sequence. */
  next(m: number): { readonly base64: string; readonly sequence: number } {
    const sequence = this.#nextSequence[m]!++;
    const queue = this.#queues[m]!;
    const head = this.#heads[m]!;
    if (head < queue.length) {
      this.#heads[m] = head + 1;
      const base64 = queue[head]!;
      queue[head] = ''; // let it be collected
      return { base64, sequence };
    }
    this.generatedOnDemand++;
    const meter = this.#meters[m]!;
    const [reading] = generateBase64Readings([
      {
        index: m,
        meterId: meter.plan.meterId,
        geometry: meter.plan.geometry,
        speedLimitKmh: meter.plan.speedLimitKmh,
        privateKeyPem: meter.privateKeyPem,
        firstSequence: sequence,
        count: 1,
        captureBaseMs: Date.now(),
        faultShare: this.#faultShare,
        seed: this.#seed,
      },
    ]).get(m)!;
    return { base64: reading!, sequence };
  }

  /** Readings still unused in the pool. */
  remaining(): number {
    let n = 0;
    this.#queues.forEach((q, m) => {
      n += q.length - this.#heads[m]!;
    });
    return n;
  }

  /** Drops unused readings: the next ones continue right after the last reading handed out. */
  discard(): void {
    this.#queues = this.#meters.map(() => []);
    this.#heads = this.#meters.map(() => 0);
  }
}

function runWorker(jobs: GenerationJob[]): Promise<Map<number, string[]>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(require.resolve('./synthesis'), { workerData: { benchSynthesis: true, jobs } });
    worker.once('message', (m: [number, string[]][]) => resolve(new Map(m)));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`reading synthesis worker exited with ${code}`));
    });
  });
}
