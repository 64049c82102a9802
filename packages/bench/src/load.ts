// SPDX-License-Identifier: Apache-2.0
// The load itself: closed-loop points (N clients, each a meter with one reading in flight, the next
// sent when the previous one committed), open-loop points (arrivals on a fixed schedule, latency
// from each reading's scheduled arrival, so a slow network cannot slow the clock that measures it),
// and aggregated points (concentrators submitting batches of many meters' signed readings).
import { abandonReason, type MetroledgerClient } from '@metroledger/client';
import { encodeReadingBatch, LrError } from '@metroledger/lr';
import { LatencyRecorder, type LatencySummary } from '@metroledger/scenario';
import { newRng } from '@metroledger/meter';

/** The ordering service a point runs on: the devnet's solo or BFT, or a network given from outside. */
export type Ordering = 'solo' | 'bft' | 'external';

/** The network under load: a devnet process (whose CPU is measured), or an external one (pid undefined). */
export interface NetworkUnderLoad {
  readonly pid: number | undefined;
  alive(): boolean;
}
import { BenchError } from './errors';
import { cpuBetween, sampleProcess, sampleSelf, type CpuSample, type CpuUse } from './proc';
import type { ReadingPool } from './readings';
import { readingKey, type LedgerCheck, type LedgerChecker } from './verify';

export type PointMode = 'closed-loop' | 'open-loop' | 'aggregate';

export interface PointResult {
  readonly mode: PointMode;
  readonly ordering: Ordering;
  /** Closed loop: concurrent clients (= meters). Aggregate: concurrent concentrators. */
  readonly clients: number;
  /** Open loop: offered readings per second. */
  readonly offeredRate?: number;
  /** Aggregate: readings per batch transaction. */
  readonly batchSize?: number;
  readonly meters: number;
  readonly warmupS: number;
  readonly durationS: number;
  /** Transactions committed (VALID) within the timed window. */
  readonly committed: number;
  readonly throughputTps: number;
  /** Readings committed per second (= tx/s but for batches). */
  readonly readingsPerS: number;
  /** Latency in ms: closed loop and aggregate submit → commit; open loop scheduled arrival → commit. */
  readonly latency: LatencySummary;
  /** Committed readings the LR software refused to measure (sensor faults; recorded as REFUSED). */
  readonly lrRefused: number;
  /** Submissions abandoned (not committed after retries), by reason (`abandonReason`). */
  readonly failed: Readonly<Record<string, number>>;
  readonly failedCount: number;
  /** Submissions whose answer was lost and that were found committed on the ledger. */
  readonly alreadyCommitted: number;
  /** Retries of the whole point, and those caused by the network refusing work (overload). */
  readonly retries: number;
  readonly retriesByCause: Readonly<Record<string, number>>;
  readonly overloadRefusals: number;
  readonly devnetCpu: CpuUse;
  readonly loadCpu: CpuUse;
  /** Readings the meter model had to make inside the timed window (the pool ran dry). */
  readonly generatedOnDemand: number;
  readonly ledger: LedgerCheck;
  readonly drainSeconds: number;
}

export interface PointContext {
  readonly client: MetroledgerClient;
  readonly pool: ReadingPool;
  readonly devnet: NetworkUnderLoad;
  readonly checker: LedgerChecker;
  readonly ordering: Ordering;
  readonly warmupS: number;
  readonly durationS: number;
}

const OVERLOAD_CAUSES = ['RESOURCE_EXHAUSTED', 'UNAVAILABLE'];

/** What every kind of point records while it runs. */
class PointRecorder {
  readonly latency = new LatencyRecorder();
  readonly acked = new Set<string>();
  readonly failedReadings = new Set<string>();
  readonly failed: Record<string, number> = {};
  failedCount = 0;
  committed = 0;
  readingsInWindow = 0;
  lrRefused = 0;
  alreadyCommitted = 0;
  /** Blocks of the acknowledged transactions (the ledger check reads up to the last). */
  lastBlock = -1n;
  readonly #client: MetroledgerClient;
  readonly #retriesBefore: number;
  readonly #causesBefore: Record<string, number>;
  #startCpu: [CpuSample, CpuSample] | undefined;
  #endCpu: [CpuSample, CpuSample] | undefined;
  readonly #pid: number | undefined;
  readonly #startedGenerating: number;
  readonly #pool: ReadingPool;

  constructor(ctx: PointContext) {
    this.#client = ctx.client;
    this.#pid = ctx.devnet.pid;
    this.#pool = ctx.pool;
    this.#retriesBefore = ctx.client.stats.retries;
    this.#causesBefore = { ...ctx.client.stats.retriesByCause };
    this.#startedGenerating = ctx.pool.generatedOnDemand;
  }

  windowStarts(): void {
    this.#startCpu = [sampleProcess(this.#pid), sampleSelf()];
  }

  windowEnds(): void {
    this.#endCpu = [sampleProcess(this.#pid), sampleSelf()];
  }

  acknowledge(out: { transactionId: string; blockNumber: bigint; alreadyCommitted?: boolean }): void {
    this.acked.add(out.transactionId);
    if (out.blockNumber > this.lastBlock) this.lastBlock = out.blockNumber;
    if (out.alreadyCommitted === true) this.alreadyCommitted++;
  }

  fail(err: unknown, readingKeys: readonly string[]): void {
    const code = abandonReason(err);
    this.failed[code] = (this.failed[code] ?? 0) + 1;
    this.failedCount++;
    for (const k of readingKeys) this.failedReadings.add(k);
  }

  async finish(
    ctx: PointContext,
    base: Pick<PointResult, 'mode' | 'clients' | 'meters' | 'offeredRate' | 'batchSize'>,
    drainSeconds: number,
  ): Promise<PointResult> {
    if (this.#startCpu === undefined || this.#endCpu === undefined) throw new BenchError('DEVNET_FAILED', 'the timed window never ran');
    if (!ctx.devnet.alive()) throw new BenchError('DEVNET_FAILED', 'the devnet process died during the point');
    const retriesByCause: Record<string, number> = {};
    for (const [cause, n] of Object.entries(this.#client.stats.retriesByCause)) {
      const d = n - (this.#causesBefore[cause] ?? 0);
      if (d > 0) retriesByCause[cause] = d;
    }
    const ledger = await ctx.checker.check(this.acked, this.failedReadings, this.lastBlock);
    return {
      ...base,
      ordering: ctx.ordering,
      warmupS: ctx.warmupS,
      durationS: ctx.durationS,
      committed: this.committed,
      throughputTps: this.committed / ctx.durationS,
      readingsPerS: this.readingsInWindow / ctx.durationS,
      latency: this.latency.summary(),
      lrRefused: this.lrRefused,
      failed: { ...this.failed },
      failedCount: this.failedCount,
      alreadyCommitted: this.alreadyCommitted,
      retries: this.#client.stats.retries - this.#retriesBefore,
      retriesByCause,
      overloadRefusals: OVERLOAD_CAUSES.reduce((a, c) => a + (retriesByCause[c] ?? 0), 0),
      devnetCpu: cpuBetween(this.#startCpu[0], this.#endCpu[0]),
      loadCpu: cpuBetween(this.#startCpu[1], this.#endCpu[1]),
      generatedOnDemand: this.#pool.generatedOnDemand - this.#startedGenerating,
      ledger,
      drainSeconds,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Calls `start` at the beginning of the timed window and `end` at its end. */
function windowTimers(rec: PointRecorder, t0: number, warmupS: number, durationS: number): Promise<void> {
  const startAt = t0 + warmupS * 1000;
  const endAt = startAt + durationS * 1000;
  return (async () => {
    await sleep(Math.max(0, startAt - performance.now()));
    rec.windowStarts();
    await sleep(Math.max(0, endAt - performance.now()));
    rec.windowEnds();
  })();
}

/**
 * One closed-loop point: `clients` meters, each submitting its next reading when the previous one
 * committed (or finally failed), for warm-up + duration; then every reading in flight is awaited.
 * The pool must hold enough readings for meters 0..clients-1 (more are made on demand, counted).
 */
export async function closedLoopPoint(ctx: PointContext, clients: number): Promise<PointResult> {
  if (clients > ctx.pool.meterCount)
    throw new BenchError('BAD_OPTION', `${clients} clients need as many meters; the bench has ${ctx.pool.meterCount}`);
  const rec = new PointRecorder(ctx);
  const t0 = performance.now();
  const windowStart = t0 + ctx.warmupS * 1000;
  const windowEnd = windowStart + ctx.durationS * 1000;
  const timers = windowTimers(rec, t0, ctx.warmupS, ctx.durationS);
  const meterIds = new Map<number, string>();
  const client = async (m: number) => {
    while (performance.now() < windowEnd) {
      const started = performance.now();
      const done = await submitNext(ctx, rec, m, meterIds, windowStart, windowEnd);
      if (done !== undefined && done >= windowStart && done <= windowEnd) rec.latency.record(done - started);
    }
  };
  const clientsDone = Promise.all(Array.from({ length: clients }, (_, m) => client(m)));
  await timers;
  const drainStart = performance.now();
  await clientsDone;
  return rec.finish(ctx, { mode: 'closed-loop', clients, meters: clients }, (performance.now() - drainStart) / 1000);
}

/**
 * Submits meter `m`'s next reading and counts the outcome (commits inside the timed window, LR
 * refusals, failures); returns the commit time, or undefined when the submission failed.
 */
async function submitNext(
  ctx: PointContext,
  rec: PointRecorder,
  m: number,
  meterIds: Map<number, string>,
  windowStart: number,
  windowEnd: number,
): Promise<number | undefined> {
  const reading = ctx.pool.next(m);
  try {
    const out = await ctx.client.submitReading(Buffer.from(reading.base64, 'base64'), reading.base64);
    const done = performance.now();
    rec.acknowledge(out);
    if (done >= windowStart && done <= windowEnd) {
      rec.committed++;
      rec.readingsInWindow++;
    }
    if (out.record.status !== 'MEASURED') rec.lrRefused++;
    return done;
  } catch (err) {
    rec.fail(err, [readingKey(meterIdOf(ctx, m, meterIds), reading.sequence)]);
    return undefined;
  }
}

function meterIdOf(ctx: PointContext, m: number, cache: Map<number, string>): string {
  let id = cache.get(m);
  if (id === undefined) {
    id = ctx.pool.meterId(m);
    cache.set(m, id);
  }
  return id;
}

/** Poisson arrival times (ms from the start) at `rate` per second over `seconds`, and each one's meter (round robin). */
export function openLoopSchedule(rate: number, seconds: number, meters: number, seed: string): { timeMs: Float64Array; meter: Int32Array } {
  const rng = newRng(`${seed}/open-loop/${rate}`);
  const times: number[] = [];
  const meanGapMs = 1000 / rate;
  for (let t = -meanGapMs * Math.log(1 - rng.next()); t < seconds * 1000; t += -meanGapMs * Math.log(1 - rng.next())) times.push(t);
  return { timeMs: Float64Array.from(times), meter: Int32Array.from(times, (_, i) => i % meters) };
}

/** Readings each meter needs for a schedule. */
export function readingsPerMeter(schedule: { meter: Int32Array }, meters: number): number[] {
  const counts = new Array<number>(meters).fill(0);
  for (const m of schedule.meter) counts[m]!++;
  return counts;
}

/**
 * One open-loop point: readings arrive on `schedule` whatever the network does; a meter with a
 * reading in flight queues the next (its sequence must advance one committed reading at a time).
 * Latency runs from the scheduled arrival, so time spent queued in the meter or behind a slow
 * generator counts (no coordinated omission).
 */
export async function openLoopPoint(
  ctx: PointContext,
  rate: number,
  meters: number,
  schedule: { timeMs: Float64Array; meter: Int32Array },
): Promise<PointResult> {
  const rec = new PointRecorder(ctx);
  const t0 = performance.now();
  const windowStart = t0 + ctx.warmupS * 1000;
  const windowEnd = windowStart + ctx.durationS * 1000;
  const timers = windowTimers(rec, t0, ctx.warmupS, ctx.durationS);
  const queues: number[][] = Array.from({ length: meters }, () => []);
  const busy = new Uint8Array(meters);
  const meterIds = new Map<number, string>();
  let outstanding = 0;
  let allDone: () => void = () => {};
  const drained = new Promise<void>((r) => {
    allDone = r;
  });
  let scheduledAll = false;

  const drain = async (m: number) => {
    busy[m] = 1;
    const queue = queues[m]!;
    for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
      const arrival = t0 + schedule.timeMs[k]!;
      const done = await submitNext(ctx, rec, m, meterIds, windowStart, windowEnd);
      // latency from the scheduled arrival, so that queueing counts (no coordinated omission)
      if (done !== undefined && arrival >= windowStart && arrival <= windowEnd) rec.latency.record(done - arrival);
      if (--outstanding === 0 && scheduledAll) allDone();
    }
    busy[m] = 0;
  };

  const n = schedule.timeMs.length;
  for (let k = 0; k < n;) {
    const now = performance.now() - t0;
    for (; k < n && schedule.timeMs[k]! <= now; k++) {
      const m = schedule.meter[k]!;
      queues[m]!.push(k);
      outstanding++;
      if (!busy[m]) void drain(m);
    }
    if (k < n) await sleep(Math.min(5, Math.max(0, schedule.timeMs[k]! - (performance.now() - t0))));
  }
  scheduledAll = true;
  if (outstanding === 0) allDone();
  await timers;
  const drainStart = performance.now();
  await drained;
  return rec.finish(ctx, { mode: 'open-loop', clients: meters, meters, offeredRate: rate }, (performance.now() - drainStart) / 1000);
}

/**
 * Batches for concentrators: concentrator c serves meters [c*B, (c+1)*B) and its j-th batch holds
 * reading j of each of them, so each meter's readings commit in sequence order. Built (and
 * base64-encoded) from the pool before the timed window.
 */
export function buildBatches(pool: ReadingPool, concentrators: number, batchSize: number, batchesEach: number): string[][] {
  const out: string[][] = [];
  for (let c = 0; c < concentrators; c++) {
    const list: string[] = [];
    for (let j = 0; j < batchesEach; j++) list.push(batchOf(pool, c, batchSize));
    out.push(list);
  }
  return out;
}

function batchOf(pool: ReadingPool, c: number, batchSize: number): string {
  const readings = Array.from({ length: batchSize }, (_, i) => Buffer.from(pool.next(c * batchSize + i).base64, 'base64'));
  try {
    return Buffer.from(encodeReadingBatch(readings)).toString('base64');
  } catch (err) {
    if (err instanceof LrError) throw new BenchError('BAD_OPTION', `a batch of ${batchSize} readings: ${err.message}`);
    throw err;
  }
}

/**
 * One aggregated point: `concentrators` concurrent submitters, each sending its next batch when the
 * previous one committed. Throughput is counted in readings.
 */
export async function aggregatePoint(
  ctx: PointContext,
  concentrators: number,
  batchSize: number,
  batches: string[][],
): Promise<PointResult> {
  const rec = new PointRecorder(ctx);
  const t0 = performance.now();
  const windowStart = t0 + ctx.warmupS * 1000;
  const windowEnd = windowStart + ctx.durationS * 1000;
  const timers = windowTimers(rec, t0, ctx.warmupS, ctx.durationS);
  const concentrator = async (c: number) => {
    const mine = batches[c]!;
    for (let j = 0; performance.now() < windowEnd; j++) {
      const batch = j < mine.length ? mine[j]! : batchOf(ctx.pool, c, batchSize);
      if (j < mine.length) mine[j] = '';
      const started = performance.now();
      try {
        const out = await ctx.client.submitBatch(Buffer.from(batch, 'base64'), batch);
        const done = performance.now();
        rec.acknowledge(out);
        const outcomes = (JSON.parse(Buffer.from(out.result).toString('utf8')) as { outcomes: { status: string }[] }).outcomes;
        if (done >= windowStart && done <= windowEnd) {
          rec.committed++;
          rec.readingsInWindow += outcomes.length;
          rec.latency.record(done - started);
        }
        for (const o of outcomes) if (o.status !== 'MEASURED') rec.lrRefused++;
      } catch (err) {
        rec.fail(err, []);
      }
    }
  };
  const done = Promise.all(Array.from({ length: concentrators }, (_, c) => concentrator(c)));
  await timers;
  const drainStart = performance.now();
  await done;
  return rec.finish(
    ctx,
    { mode: 'aggregate', clients: concentrators, meters: concentrators * batchSize, batchSize },
    (performance.now() - drainStart) / 1000,
  );
}
