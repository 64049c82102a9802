// SPDX-License-Identifier: Apache-2.0
// Whole benchmark runs: a fresh devnet process per ordering (or the external network given), type
// approval and meter registration, then the points, each followed by the ledger check; results are
// written after every point.
import { join } from 'node:path';
import { DevnetError, startDevnetProcess } from '@metroledger/devnet';
import { devnetAccess, type NetworkAccess } from '@metroledger/scenario';
import { packageLrChaincode } from '@metroledger/lifecycle';
import type { NetworkUnderLoad, Ordering } from './load';
import { BenchError } from './errors';
import {
  aggregatePoint,
  buildBatches,
  closedLoopPoint,
  openLoopPoint,
  openLoopSchedule,
  readingsPerMeter,
  type PointContext,
  type PointResult,
} from './load';
import { benchMeters, prepareNetwork } from './network';
import { ReadingPool } from './readings';
import { devnetBlocks, LedgerChecker, networkBlocks } from './verify';
import { formatPoint, writeResults } from './output';

export interface CommonOptions {
  /** The metroledger CLI entry point (`packages/cli/dist/main.js`). */
  readonly cliMain: string;
  /** Results and devnet data directories go here. */
  readonly outDir: string;
  /** Devnet orderings to measure, one fresh devnet process each; ignored when `network` is given. */
  readonly orderings: readonly Ordering[];
  /**
   * An external network (a real Fabric network, a running devnet) to measure instead: its points
   * are labelled `external`, its CPU is not measured, its ledger is checked through Deliver.
   */
  readonly network?: NetworkAccess;
  /** Meter ids are `<prefix>-0001`…: give each run on an external network its own. Default SP. */
  readonly meterIdPrefix?: string;
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

/** Runs `plans` on each network the options name: a fresh devnet process per ordering, or the external one. */
async function onNetworks(
  opts: CommonOptions,
  meterCount: number,
  kind: string,
  points: PointResult[],
  meta: Record<string, unknown>,
  plans: (ordering: Ordering) => PointPlan[],
): Promise<void> {
  if (opts.network !== undefined) {
    opts.log(`external network at ${opts.network.endpoint}`);
    await onNetwork(
      opts,
      'external',
      opts.network,
      { pid: undefined, alive: () => true },
      undefined,
      meterCount,
      points,
      meta,
      plans('external'),
    );
    return;
  }
  for (const ordering of opts.orderings) {
    const dataDir = join(opts.outDir, `devnet-${kind}-${ordering}`);
    opts.log(`${ordering}: starting a devnet process in ${dataDir}`);
    const upArgs = [
      '--ordering',
      ordering,
      ...(ordering === 'bft' && opts.bftReplicas !== undefined ? ['--bft-replicas', String(opts.bftReplicas)] : []),
    ];
    const devnet = await startDevnetProcess({ cliMain: opts.cliMain, dataDir, upArgs }).catch((err: unknown) => {
      throw err instanceof DevnetError ? new BenchError('DEVNET_FAILED', err.message, { cause: err }) : err;
    });
    try {
      await onNetwork(
        opts,
        ordering,
        await devnetAccess(devnet, await packageLrChaincode()),
        devnet,
        dataDir,
        meterCount,
        points,
        meta,
        plans(ordering),
      );
    } finally {
      await devnet.stop();
    }
  }
}

async function onNetwork(
  opts: CommonOptions,
  ordering: Ordering,
  access: NetworkAccess,
  process: NetworkUnderLoad,
  devnetDir: string | undefined,
  meterCount: number,
  points: PointResult[],
  meta: Record<string, unknown>,
  plans: PointPlan[],
): Promise<void> {
  const setupStart = performance.now();
  const meters = benchMeters(meterCount, opts.seed, opts.meterIdPrefix);
  const network = await prepareNetwork(access, meters);
  opts.log(`${ordering}: type approval and ${meterCount} meters registered in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
  try {
    const checker = new LedgerChecker(
      devnetDir !== undefined ? devnetBlocks(devnetDir) : networkBlocks(network.owner.network, network.firstBlock),
    );
    await checker.check(new Set()); // setup blocks
    const pool = new ReadingPool(meters, { faultShare: opts.faultShare, seed: opts.seed });
    const ctx: PointContext = {
      client: network.owner,
      pool,
      devnet: process,
      checker,
      ordering,
      warmupS: opts.warmupS,
      durationS: opts.durationS,
    };
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
}

function perMeter(expectedPerS: number, seconds: number, meters: number): number {
  // 30 % headroom; a client that runs dry makes readings on demand (counted in the results).
  return Math.max(3, Math.ceil((expectedPerS * seconds * 1.3) / meters) + 2);
}

/** The closed-loop sweep (the paper's Figures 4 and 5) for each ordering. */
export async function runSweep(opts: SweepOptions): Promise<BenchRun> {
  if (opts.clients.length === 0) throw new BenchError('BAD_OPTION', 'no client counts to run');
  const points: PointResult[] = [];
  const meta = { kind: 'sweep', options: { ...opts, log: undefined, network: opts.network?.endpoint } };
  await onNetworks(opts, Math.max(...opts.clients), 'sweep', points, meta, (ordering) => {
    let expected = opts.expectedTps;
    return opts.clients.map((clients): PointPlan => async (ctx, pool) => {
      const each = perMeter(expected, opts.warmupS + opts.durationS, clients);
      const t = performance.now();
      await pool.refill(Array.from({ length: pool.meterCount }, (_, m) => (m < clients ? each : 0)));
      opts.log(
        `${ordering}: ${clients} clients — ${each * clients} readings made in ${((performance.now() - t) / 1000).toFixed(1)} s; running ${opts.warmupS} s warm-up + ${opts.durationS} s`,
      );
      const r = await closedLoopPoint(ctx, clients);
      expected = Math.max(expected, r.throughputTps);
      return r;
    });
  });
  const files = await writeResults(opts.outDir, points, meta);
  return { points, files, ledgerOk: points.every((p) => p.ledger.ok) };
}

/** Open loop at increasing arrival rates until throughput no longer follows the offered rate. */
export async function runOpenLoop(opts: OpenLoopOptions): Promise<BenchRun> {
  const points: PointResult[] = [];
  const meta = { kind: 'open-loop', options: { ...opts, log: undefined, network: opts.network?.endpoint } };
  await onNetworks(opts, opts.meters, 'open', points, meta, (ordering) => {
    let saturated = false;
    return opts.rates.map((rate): PointPlan => async (ctx, pool) => {
      if (saturated) return 'stop';
      const schedule = openLoopSchedule(rate, opts.warmupS + opts.durationS, opts.meters, opts.seed);
      const t = performance.now();
      await pool.refill(readingsPerMeter(schedule, opts.meters));
      opts.log(
        `${ordering}: ${rate} readings/s offered — ${schedule.timeMs.length} readings made in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
      const r = await openLoopPoint(ctx, rate, opts.meters, schedule);
      if (r.throughputTps < opts.saturationShare * rate) {
        saturated = true;
        opts.log(`${ordering}: saturated at ${rate} readings/s offered (${r.throughputTps.toFixed(0)} tx/s committed)`);
      }
      return r;
    });
  });
  const files = await writeResults(opts.outDir, points, meta);
  return { points, files, ledgerOk: points.every((p) => p.ledger.ok) };
}

/** Aggregated submissions: concentrators each sending batches of their meters' readings. */
export async function runAggregate(opts: AggregateOptions): Promise<BenchRun> {
  const points: PointResult[] = [];
  const meta = { kind: 'aggregate', options: { ...opts, log: undefined, network: opts.network?.endpoint } };
  const meterCount = opts.concentrators * Math.max(...opts.batchSizes);
  await onNetworks(opts, meterCount, 'aggregate', points, meta, (ordering) =>
    opts.batchSizes.map((batchSize): PointPlan => async (ctx, pool) => {
      const seconds = opts.warmupS + opts.durationS;
      const batchesEach = Math.max(2, Math.ceil((opts.expectedReadingsPerS * seconds * 1.3) / (opts.concentrators * batchSize)) + 1);
      const t = performance.now();
      await pool.refill(Array.from({ length: pool.meterCount }, (_, m) => (m < opts.concentrators * batchSize ? batchesEach : 0)));
      const batches = buildBatches(pool, opts.concentrators, batchSize, batchesEach);
      opts.log(
        `${ordering}: ${opts.concentrators} concentrators × ${batchSize}-reading batches — ${batchesEach * opts.concentrators * batchSize} readings made in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
      return aggregatePoint(ctx, opts.concentrators, batchSize, batches);
    }),
  );
  const files = await writeResults(opts.outDir, points, meta);
  return { points, files, ledgerOk: points.every((p) => p.ledger.ok) };
}
