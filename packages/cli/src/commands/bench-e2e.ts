// SPDX-License-Identifier: Apache-2.0
// `metroledger bench` (default: the closed-loop sweep for solo and BFT), `bench sweep`,
// `bench open-loop`, `bench aggregate`: end-to-end measurements on a fresh devnet process per
// ordering, or on the network given (--gateway/--endpoint with --tls-ca, --profile, --devnet).
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runAggregate, runOpenLoop, runSweep, type BenchRun, type CommonOptions, type Ordering } from '@metroledger/bench';
import { NetworkOptions } from './connection';
import { checkNetworkAccessOptions, meterPrefix, networkAccess, withNetworkAccessOptions, type NetworkAccessOptions } from './access';

interface CommonFlags extends NetworkAccessOptions {
  ordering: string;
  warmup: string;
  duration: string;
  out?: string;
  seed: string;
  faultShare: string;
  bftReplicas?: string;
  meterPrefix?: string;
}

const DEFAULT_CLIENTS = '50,100,200,400,600,800,1200';

function list(v: string, flag: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x <= 0))
    throw new Error(`${flag} takes positive integers separated by commas, not ${v}`);
  return xs;
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, not ${v}`);
  return n;
}

function orderings(v: string): Ordering[] {
  const xs = v.split(',').map((s) => s.trim());
  for (const x of xs) if (x !== 'solo' && x !== 'bft') throw new Error(`--ordering takes solo, bft or solo,bft, not ${v}`);
  return [...new Set(xs)] as Ordering[];
}

async function common(opts: CommonFlags): Promise<CommonOptions> {
  const faultShare = Number(opts.faultShare);
  if (!(faultShare >= 0 && faultShare <= 1)) throw new Error(`--fault-share must be between 0 and 1, not ${opts.faultShare}`);
  const out = resolve(opts.out ?? join('bench-results', new Date().toISOString().replace(/[:.]/g, '-')));
  checkNetworkAccessOptions(opts);
  const given = new NetworkOptions(opts);
  // on a network used before, each run's meters are new ones unless told otherwise
  const prefix = meterPrefix(opts.meterPrefix ?? (given.given ? `B${Date.now().toString(36)}` : 'SP'));
  return {
    ...(given.given && { network: await networkAccess(given, opts) }),
    meterIdPrefix: prefix,
    cliMain: require.resolve('../main'),
    outDir: out,
    orderings: orderings(opts.ordering),
    warmupS: Number(opts.warmup) >= 0 ? Number(opts.warmup) : positive(opts.warmup, '--warmup'),
    durationS: positive(opts.duration, '--duration'),
    seed: opts.seed,
    faultShare,
    ...(opts.bftReplicas !== undefined ? { bftReplicas: positive(opts.bftReplicas, '--bft-replicas') } : {}),
    log: (line) => console.log(line),
  };
}

function withCommonOptions(cmd: Command, defaults: { ordering: string; warmup: string; duration: string }): Command {
  withNetworkAccessOptions(cmd);
  return cmd
    .option('--meter-prefix <p>', 'meter ids are <p>-0001… (default SP; on a given network a new prefix per run)')
    .option('--ordering <list>', 'own devnets: ordering services to measure, solo, bft or solo,bft', defaults.ordering)
    .option('--warmup <s>', 'seconds of load before each timed window', defaults.warmup)
    .option('--duration <s>', 'seconds of the timed window of each point', defaults.duration)
    .option('--out <dir>', 'results directory (default bench-results/<timestamp>)')
    .option('--seed <seed>', 'seed of the meters and vehicles', 'bench')
    .option('--fault-share <p>', 'share of readings that are sensor faults (the LR software refuses them)', '0.01')
    .option('--bft-replicas <n>', 'BFT consenters (default 4)');
}

function report(run: BenchRun, out: string): void {
  console.log(`\nresults in ${out}:`);
  for (const f of run.files) console.log(`  ${f}`);
  if (!run.ledgerOk) {
    console.log('LEDGER CHECK FAILED: some acknowledged transaction is not VALID exactly once (see results.json)');
    process.exitCode = 1;
  } else {
    console.log('ledger check: every acknowledged transaction is VALID on the ledger exactly once; no reading committed twice');
  }
}

async function sweep(opts: CommonFlags & { clients: string; expectedTps: string }): Promise<void> {
  const c = await common(opts);
  console.log(
    `closed-loop sweep: clients ${opts.clients} on ${c.network !== undefined ? c.network.endpoint : c.orderings.join(' and ')}; ${c.warmupS} s warm-up + ${c.durationS} s per point`,
  );
  const run = await runSweep({ ...c, clients: list(opts.clients, '--clients'), expectedTps: positive(opts.expectedTps, '--expected-tps') });
  report(run, c.outDir);
}

export function registerBenchE2eCommands(bench: Command): void {
  // `metroledger bench` alone (and `npm run bench`) runs the sweep with these defaults: a few minutes.
  withCommonOptions(bench.command('sweep', { isDefault: true }), { ordering: 'solo,bft', warmup: '2', duration: '8' })
    .description("closed loop: N clients each submit a signed reading and wait for its commit, then the next (the paper's Figures 4 and 5)")
    .option('--clients <list>', 'concurrent clients per point (each one a meter)', DEFAULT_CLIENTS)
    .option('--expected-tps <n>', 'tx/s expected, to size the pre-generated readings of the first point', '600')
    .action((opts: CommonFlags & { clients: string; expectedTps: string }) => sweep(opts));

  withCommonOptions(bench.command('open-loop'), { ordering: 'solo', warmup: '3', duration: '10' })
    .description(
      'open loop: readings arrive at fixed rates; latency from the scheduled arrival (no coordinated omission), up to saturation',
    )
    .option('--rates <list>', 'offered readings per second, ascending', '200,400,600,800,1000,1200,1600,2000')
    .option('--meters <n>', 'meters the arrivals are spread over', '1000')
    .option('--saturation <share>', 'stop after a point committing less than this share of the offered rate', '0.9')
    .action(async (opts: CommonFlags & { rates: string; meters: string; saturation: string }) => {
      const c = await common(opts);
      const run = await runOpenLoop({
        ...c,
        rates: list(opts.rates, '--rates'),
        meters: positive(opts.meters, '--meters'),
        saturationShare: positive(opts.saturation, '--saturation'),
      });
      report(run, c.outDir);
    });

  withCommonOptions(bench.command('aggregate'), { ordering: 'solo', warmup: '3', duration: '10' })
    .description("aggregated submissions: concentrators send batches of many meters' signed readings (submitReadingBatch); readings/s")
    .option('--concentrators <n>', 'concurrent concentrators, each with its own meters', '8')
    .option('--batch-sizes <list>', 'readings per batch transaction', '100')
    .option('--expected-rps <n>', 'readings/s expected, to size the pre-generated batches', '6000')
    .action(async (opts: CommonFlags & { concentrators: string; batchSizes: string; expectedRps: string }) => {
      const c = await common(opts);
      const run = await runAggregate({
        ...c,
        concentrators: positive(opts.concentrators, '--concentrators'),
        batchSizes: list(opts.batchSizes, '--batch-sizes'),
        expectedReadingsPerS: positive(opts.expectedRps, '--expected-rps'),
      });
      report(run, c.outDir);
    });
}
