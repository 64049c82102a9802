// SPDX-License-Identifier: Apache-2.0
// Whole benchmark runs: a fresh devnet process per ordering, type approval and meter registration,
// then the points, each followed by the ledger check; results are written after every point.
import { join } from 'node:path';
import { DevnetError, startDevnetProcess } from '@metroledger/devnet';
import type { Ordering } from './load';
import { BenchError } from './errors';
import { aggregatePoint, buildBatches, closedLoopPoint, openLoopPoint, openLoopSchedule, readingsPerMeter, type PointContext, type PointResult } from './load';
import { benchMeters, prepareNetwork } from './network';
import { ReadingPool } from './readings';
import { LedgerChecker } from './verify';
import { formatPoint, writeResults } from './output';

export interface CommonOptions {
  /** The metroledger CLI entry point (`packages/cli/dist/main.js`). */
  readonly cliMain: string;
  /** Results and devnet data directories go here. */
  readonly outDir: string;
  readonly orderings: readonly Ordering[];
  readonly warmupS: number;
  readonly durationS: number;
  readonly seed: string;
  /** Share of readings that are sensor faults (refused by the LR software). Default 0.01. */
  readonly faultShare: number;
  readonly bftReplicas?: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
}

export interface SweepOptions extends CommonOptions {
  /** Numbers of concurrent clients, e.g. 50, 100, 200, 400, 600, 800, 1200. */
  readonly clients: readonly number[];
  /** Expected tx/s, to size the first point's pre-generated readings (later points use the last measured). */
  readonly expectedTps: number;
}

export interface OpenLoopOptions extends CommonOptions {
  /** Offered readings per second, ascending. */
  readonly rates: readonly number[];
  /** Meters the arrivals are spread over (round robin). São Paulo: 1,000. */
  readonly meters: number;
  /** Stop after the first point whose throughput falls below this share of the offered rate. Default 0.9. */
  readonly saturationShare: number;
}

export interface AggregateOptions extends CommonOptions {
  readonly concentrators: number;
  readonly batchSizes: readonly number[];
  /** Expected readings/s, to size the pre-generated batches. */
  readonly expectedReadingsPerS: number;
}

export interface BenchRun {
  readonly points: PointResult[];
  readonly files: string[];
  /** Whether every point's ledger check passed. */
  readonly ledgerOk: boolean;
}

type PointPlan = (ctx: PointContext, pool: ReadingPool) => Promise<PointResult | 'stop'>;

async function onDevnet(opts: CommonOptions, ordering: Ordering, meterCount: number, kind: string, points: PointResult[], meta: Record<string, unknown>, plans: PointPlan[]): Promise<void> {
  const dataDir = join(opts.outDir, `devnet-${kind}-${ordering}`);
  opts.log(`${ordering}: starting a devnet process in ${dataDir}`);
  const upArgs = ['--ordering', ordering, ...(ordering === 'bft' && opts.bftReplicas !== undefined ? ['--bft-replicas', String(opts.bftReplicas)] : [])];
  const devnet = await startDevnetProcess({ cliMain: opts.cliMain, dataDir, upArgs }).catch((err: unknown) => {
    throw err instanceof DevnetError ? new BenchError('DEVNET_FAILED', err.message, { cause: err }) : err;
  });
  try {
    const setupStart = performance.now();
    const meters = benchMeters(meterCount, opts.seed);
    const network = await prepareNetwork(devnet, meters);
    opts.log(`${ordering}: type approval and ${meterCount} meters registered in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
    try {
      const checker = new LedgerChecker(dataDir);
      await checker.check(new Set()); // setup blocks
      const pool = new ReadingPool(meters, { faultShare: opts.faultShare, seed: opts.seed });
      const ctx: PointContext = { client: network.owner, pool, devnet, checker, ordering, warmupS: opts.warmupS, durationS: opts.durationS };
      for (const plan of plans) {
        const result = await plan(ctx, pool);
        pool.discard();
        if (result === 'stop') break;
        points.push(result);
        opts.log(formatPoint(result));
        if (!result.ledger.ok) opts.log(`  LEDGER MISMATCH: ${JSON.stringify(result.ledger)}`);
        await writeResults(opts.outDir, points, meta);
      }
    } finally {
      network.close();
    }
  } finally {
    await devnet.stop();
  }
}

function perMeter(expectedPerS: number, seconds: number, meters: number): number {
  // 30 % headroom; a client that runs dry makes readings on demand (counted in the results).
  return Math.max(3, Math.ceil((expectedPerS * seconds * 1.3) / meters) + 2);
}

/** The closed-loop sweep (the paper's Figures 4 and 5) for each ordering. */
export async function runSweep(opts: SweepOptions): Promise<BenchRun> {
  if (opts.clients.length === 0) throw new BenchError('BAD_OPTION', 'no client counts to run');
  const points: PointResult[] = [];
  const meta = { kind: 'sweep', options: { ...opts, log: undefined } };
  for (const ordering of opts.orderings) {
    let expected = opts.expectedTps;
    const plans: PointPlan[] = opts.clients.map((clients) => async (ctx, pool) => {
      const each = perMeter(expected, opts.warmupS + opts.durationS, clients);
      const t = performance.now();
      await pool.refill(Array.from({ length: pool.meterCount }, (_, m) => (m < clients ? each : 0)));
      opts.log(`${ordering}: ${clients} clients — ${each * clients} readings made in ${((performance.now() - t) / 1000).toFixed(1)} s; running ${opts.warmupS} s warm-up + ${opts.durationS} s`);
      const r = await closedLoopPoint(ctx, clients);
      expected = Math.max(expected, r.throughputTps);
      return r;
    });
    await onDevnet(opts, ordering, Math.max(...opts.clients), 'sweep', points, meta, plans);
  }
  const files = await writeResults(opts.outDir, points, meta);
  return { points, files, ledgerOk: points.every((p) => p.ledger.ok) };
}

/** Open loop at increasing arrival rates until throughput no longer follows the offered rate. */
export async function runOpenLoop(opts: OpenLoopOptions): Promise<BenchRun> {
  const points: PointResult[] = [];
  const meta = { kind: 'open-loop', options: { ...opts, log: undefined } };
  for (const ordering of opts.orderings) {
    let saturated = false;
    const plans: PointPlan[] = opts.rates.map((rate) => async (ctx, pool) => {
      if (saturated) return 'stop';
      const schedule = openLoopSchedule(rate, opts.warmupS + opts.durationS, opts.meters, opts.seed);
      const t = performance.now();
      await pool.refill(readingsPerMeter(schedule, opts.meters));
      opts.log(`${ordering}: ${rate} readings/s offered — ${schedule.timeMs.length} readings made in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      const r = await openLoopPoint(ctx, rate, opts.meters, schedule);
      if (r.throughputTps < opts.saturationShare * rate) {
        saturated = true;
        opts.log(`${ordering}: saturated at ${rate} readings/s offered (${r.throughputTps.toFixed(0)} tx/s committed)`);
      }
      return r;
    });
    await onDevnet(opts, ordering, opts.meters, 'open', points, meta, plans);
  }
  const files = await writeResults(opts.outDir, points, meta);
  return { points, files, ledgerOk: points.every((p) => p.ledger.ok) };
}

/** Aggregated submissions: concentrators each sending batches of their meters' readings. */
export async function runAggregate(opts: AggregateOptions): Promise<BenchRun> {
  const points: PointResult[] = [];
  const meta = { kind: 'aggregate', options: { ...opts, log: undefined } };
  const meterCount = opts.concentrators * Math.max(...opts.batchSizes);
  for (const ordering of opts.orderings) {
    const plans: PointPlan[] = opts.batchSizes.map((batchSize) => async (ctx, pool) => {
      const seconds = opts.warmupS + opts.durationS;
      const batchesEach = Math.max(2, Math.ceil((opts.expectedReadingsPerS * seconds * 1.3) / (opts.concentrators * batchSize)) + 1);
      const t = performance.now();
      await pool.refill(Array.from({ length: pool.meterCount }, (_, m) => (m < opts.concentrators * batchSize ? batchesEach : 0)));
      const batches = buildBatches(pool, opts.concentrators, batchSize, batchesEach);
      opts.log(`${ordering}: ${opts.concentrators} concentrators × ${batchSize}-reading batches — ${batchesEach * opts.concentrators * batchSize} readings made in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return aggregatePoint(ctx, opts.concentrators, batchSize, batches);
    });
    await onDevnet(opts, ordering, meterCount, 'aggregate', points, meta, plans);
  }
  const files = await writeResults(opts.outDir, points, meta);
  return { points, files, ledgerOk: points.every((p) => p.ledger.ok) };
}
