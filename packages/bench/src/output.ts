// SPDX-License-Identifier: Apache-2.0
// Results as CSV (one row per point), JSON, charts and a plain-text table.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import type { PointResult } from './load';
import { lineChart, type Series } from './svg';

export const CSV_COLUMNS = [
  'mode',
  'ordering',
  'clients',
  'offered_rate',
  'batch_size',
  'meters',
  'warmup_s',
  'duration_s',
  'committed_tx',
  'throughput_tps',
  'readings_per_s',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'latency_max_ms',
  'latency_mean_ms',
  'lr_refused',
  'failed',
  'retries',
  'overload_refusals',
  'devnet_cpu_cores',
  'devnet_rss_mib',
  'loadgen_cpu_cores',
  'loadgen_rss_mib',
  'generated_on_demand',
  'ledger_acknowledged',
  'ledger_valid_once',
  'ledger_missing',
  'ledger_valid_twice',
  'ledger_readings_twice',
  'committed_unacknowledged',
  'ledger_ok',
  'drain_s',
  'already_committed',
] as const;

const r1 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : '');
const r2 = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : '');

export function csvRow(p: PointResult): (string | number)[] {
  return [
    p.mode,
    p.ordering,
    p.clients,
    p.offeredRate ?? '',
    p.batchSize ?? '',
    p.meters,
    p.warmupS,
    p.durationS,
    p.committed,
    r1(p.throughputTps),
    r1(p.readingsPerS),
    r1(p.latency.p50Ms),
    r1(p.latency.p95Ms),
    r1(p.latency.p99Ms),
    r1(p.latency.maxMs),
    r1(p.latency.meanMs),
    p.lrRefused,
    p.failedCount,
    p.retries,
    p.overloadRefusals,
    r2(p.devnetCpu.cores),
    r1(p.devnetCpu.rssMiB),
    r2(p.loadCpu.cores),
    r1(p.loadCpu.rssMiB),
    p.generatedOnDemand,
    p.ledger.acknowledged,
    p.ledger.validOnce,
    p.ledger.missingCount,
    p.ledger.validTwice,
    p.ledger.readingsCommittedTwice,
    p.ledger.committedUnacknowledged,
    p.ledger.ok ? 'yes' : 'NO',
    r1(p.drainSeconds),
    p.alreadyCommitted,
  ];
}

export function toCsv(points: readonly PointResult[]): string {
  return [CSV_COLUMNS.join(','), ...points.map((p) => csvRow(p).join(','))].join('\n') + '\n';
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** One line per point, for the terminal. */
export function formatPoint(p: PointResult): string {
  const load =
    p.mode === 'open-loop'
      ? `${p.offeredRate} rd/s offered`
      : p.mode === 'aggregate'
        ? `${p.clients}×${p.batchSize}-reading batches`
        : `${p.clients} clients`;
  const rate =
    p.mode === 'aggregate'
      ? `${p.readingsPerS.toFixed(0)} readings/s (${p.throughputTps.toFixed(1)} tx/s)`
      : `${p.throughputTps.toFixed(0)} tx/s`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return (
    `${p.ordering.padEnd(4)} ${load.padEnd(24)} ${rate.padEnd(14)} p50 ${s(p.latency.p50Ms)} p95 ${s(p.latency.p95Ms)} p99 ${s(p.latency.p99Ms)} max ${s(p.latency.maxMs)}` +
    ` | refused ${p.overloadRefusals} retries ${p.retries} abandoned ${p.failedCount}` +
    ` | cpu devnet ${fixed(p.devnetCpu.cores, 2)} loadgen ${p.loadCpu.cores.toFixed(2)} | rss ${fixed(p.devnetCpu.rssMiB, 0)}/${p.loadCpu.rssMiB.toFixed(0)} MiB` +
    ` | ledger ${p.ledger.ok ? 'ok' : 'MISMATCH'} (${p.ledger.validOnce}/${p.ledger.acknowledged})` +
    (p.generatedOnDemand > 0 ? ` | ${p.generatedOnDemand} readings made in window` : '')
  );
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly loadGenerator: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadGenerator: 'same machine, one Node process (the devnet is another process)',
  };
}

const COLORS = { solo: '#1f77b4', bft: '#d62728', external: '#2ca02c' };
const NETWORK_NAMES = { solo: 'solo orderer', bft: 'BFT orderer, 4 replicas', external: 'external network' };

/** The paper's Figure 4 (solo) or 5 (BFT): throughput and latency against the number of clients. */
export function sweepChart(points: readonly PointResult[], ordering: 'solo' | 'bft' | 'external'): string {
  const mine = points.filter((p) => p.mode === 'closed-loop' && p.ordering === ordering);
  const color = COLORS[ordering];
  const series: Series[] = [
    { label: 'throughput (tx/s)', color, axis: 'left', points: mine.map((p) => [p.clients, p.throughputTps]) },
    { label: 'latency p50 (s)', color: '#444', axis: 'right', dashed: true, points: mine.map((p) => [p.clients, p.latency.p50Ms / 1000]) },
    { label: 'latency p99 (s)', color: '#999', axis: 'right', dashed: true, points: mine.map((p) => [p.clients, p.latency.p99Ms / 1000]) },
  ];
  return lineChart({
    title: `Throughput and latency, ${NETWORK_NAMES[ordering]}${ordering === 'external' ? '' : ' (metroledger devnet)'}`,
    xLabel: 'number of clients',
    leftLabel: 'throughput (tx/s)',
    rightLabel: 'latency (s)',
    series,
    xTicks: mine.map((p) => p.clients),
  });
}

export function openLoopChart(points: readonly PointResult[]): string {
  const open = points.filter((p) => p.mode === 'open-loop');
  const rates = [...new Set(open.map((p) => p.offeredRate!))].sort((a, b) => a - b);
  const series: Series[] = [];
  for (const ordering of ['solo', 'bft', 'external'] as const) {
    const mine = open.filter((p) => p.ordering === ordering);
    if (mine.length === 0) continue;
    series.push({
      label: `${ordering} throughput (tx/s)`,
      color: COLORS[ordering],
      axis: 'left',
      points: mine.map((p) => [p.offeredRate!, p.throughputTps]),
    });
    series.push({
      label: `${ordering} latency p99 (s)`,
      color: COLORS[ordering],
      axis: 'right',
      dashed: true,
      points: mine.map((p) => [p.offeredRate!, p.latency.p99Ms / 1000]),
    });
  }
  return lineChart({
    title: 'Open loop: throughput and p99 latency from scheduled arrival',
    xLabel: 'offered readings per second',
    leftLabel: 'throughput (tx/s)',
    rightLabel: 'latency p99 (s)',
    series,
    xTicks: rates,
  });
}

/** results.json, results.csv and the charts the points allow, in `dir`. Returns the files written. */
export async function writeResults(dir: string, points: readonly PointResult[], meta: Record<string, unknown>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ['results.json', JSON.stringify({ machine: machineInfo(), ...meta, points }, null, 2) + '\n'],
    ['results.csv', toCsv(points)],
  ];
  for (const ordering of ['solo', 'bft', 'external'] as const) {
    if (points.some((p) => p.mode === 'closed-loop' && p.ordering === ordering))
      files.push([`sweep-${ordering}.svg`, sweepChart(points, ordering)]);
  }
  if (points.some((p) => p.mode === 'open-loop')) files.push(['open-loop.svg', openLoopChart(points)]);
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}
