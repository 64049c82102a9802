// SPDX-License-Identifier: Apache-2.0
// The outage benchmark (issue 16): meters lose connectivity, keep capturing into their persistent
// outboxes for a simulated while, then reconnect together. Figures: readings stored offline, drain
// time (reconnect → last reading committed), throughput while draining, transaction latency
// (submit → commit) under the reconnect storm, retries by cause. Afterwards the ledger is read
// back from its files: every reading committed exactly once, per meter sequences 1..n without a gap.
//
// Each meter is a FieldMeter over an OutboxStore (`--outboxes`: one per meter by default, as in the
// field; fewer share stores to spare memory) and a Forwarder per outbox, all over one meter-owner
// client. Offline passages follow São Paulo's rate (Poisson, 0.76 vehicles/s per meter) with capture
// times in the simulated past; the raw signals come from a pool of 16 synthesised passages per
// meter, cycled (synthesis costs ~0.5 ms of CPU a reading; signing and storing are real each time).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevnetError, startDevnetProcess } from '@metroledger/devnet';
import { ledgerDirectorySource } from '@metroledger/audit';
import { generateEvent, newRng } from '@metroledger/meter';
import { clientLedgerSink, FieldMeter, Forwarder, OutboxStore, type Alarm, type ForwarderEvent } from '@metroledger/outbox';
import { devnetAccess, drawVehicle, percentile } from '@metroledger/scenario';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { collectReadings } from './outage-ledger';
import { BenchError } from './errors';
import { benchMeters, prepareNetwork } from './network';
import { machineInfo } from './output';
import type { Ordering } from './load';

export interface OutageOptions {
  readonly cliMain: string;
  readonly outDir: string;
  readonly ordering: Ordering;
  readonly meters: number;
  /** Simulated seconds offline. São Paulo case: 600. */
  readonly offlineS: number;
  /** Vehicles per second per meter. Default 0.76. */
  readonly vehiclesPerS: number;
  /** Readings of a backlog per transaction; one run per value, each on a fresh devnet. */
  readonly maxBatches: readonly number[];
  /** Outbox stores the meters are spread over (default: one per meter). */
  readonly outboxes: number;
  readonly seed: string;
  readonly log: (line: string) => void;
}

export interface OutageResult {
  readonly maxBatch: number;
  readonly meters: number;
  readonly outboxes: number;
  readonly offlineS: number;
  readonly readings: number;
  readonly outboxBytes: number;
  /** Wall time to capture the offline backlog (sign + synced store). */
  readonly captureS: number;
  readonly drainS: number;
  readonly readingsPerS: number;
  readonly transactions: number;
  /** Submit → commit of each transaction, ms. */
  readonly txLatencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** Reconnect → commit of each reading, ms: when the backlog's readings arrived on the ledger. */
  readonly deliveryMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Capture → commit of the oldest and newest readings, s (simulated offline time included). */
  readonly captureToCommitMaxS: number;
  readonly retries: number;
  readonly retriesByCause: Record<string, number>;
  readonly settled: number;
  readonly quarantined: number;
  readonly alarms: Record<string, number>;
  readonly ledger: {
    readonly ok: boolean;
    readonly readings: number;
    readonly duplicates: number;
    readonly gaps: number;
    readonly missing: number;
    readonly detail: string[];
  };
}

const summary = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  return { p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99), max: xs.length === 0 ? NaN : xs[xs.length - 1]! };
};

async function oneRun(opts: OutageOptions, maxBatch: number, runDir: string): Promise<OutageResult> {
  const dataDir = join(runDir, 'devnet');
  opts.log(`max batch ${maxBatch}: starting a devnet process (${opts.ordering}) in ${dataDir}`);
  const devnet = await startDevnetProcess({ cliMain: opts.cliMain, dataDir, upArgs: ['--ordering', opts.ordering] }).catch(
    (err: unknown) => {
      throw err instanceof DevnetError ? new BenchError('DEVNET_FAILED', err.message, { cause: err }) : err;
    },
  );
  const stores: OutboxStore[] = [];
  const alarms: Record<string, number> = {};
  const onAlarm = (a: Alarm): void => void (alarms[a.code] = (alarms[a.code] ?? 0) + 1);
  try {
    const meters = benchMeters(opts.meters, opts.seed);
    const t0 = performance.now();
    const network = await prepareNetwork(await devnetAccess(devnet, await packageLrChaincode()), meters);
    opts.log(`  type approval and ${opts.meters} meters registered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      for (let i = 0; i < opts.outboxes; i++)
        stores.push(await OutboxStore.open(join(runDir, 'outboxes', String(i)), { onAlarm, writeBufferBytes: 256 * 1024 }));
      // Offline: each meter captures its passages of the last offlineS seconds into its outbox.
      const reconnectAtMs = Date.now();
      const offlineStartMs = reconnectAtMs - opts.offlineS * 1000;
      const captureStart = performance.now();
      let readings = 0;
      let next = 0;
      const perMeter = new Map<string, number>();
      const captureMeter = async (): Promise<void> => {
        for (let m = next++; m < meters.length; m = next++) {
          const bm = meters[m]!;
          const rng = newRng(`${opts.seed}/${bm.plan.meterId}/outage`);
          const passages = Array.from({ length: 16 }, () => {
            const v = drawVehicle(rng, bm.plan.speedLimitKmh);
            return generateEvent(rng, {
              geometry: bm.plan.geometry,
              vehicleClass: v.vehicleClass,
              speedKmh: v.speedKmh,
              invalidShare: 0.01,
            });
          });
          const meter = new FieldMeter({
            store: stores[m % stores.length]!,
            meterId: bm.plan.meterId,
            geometry: bm.plan.geometry,
            privateKeyPem: bm.privateKeyPem,
          });
          let t = 0;
          let k = 0;
          for (;;) {
            t += (-Math.log(1 - rng.next()) / opts.vehiclesPerS) * 1000;
            if (t >= opts.offlineS * 1000) break;
            const p = passages[k++ % passages.length]!;
            await meter.capture({ loopA: p.loopA, loopB: p.loopB, captureTimeMs: Math.floor(offlineStartMs + t) });
            readings++;
          }
          perMeter.set(bm.plan.meterId, meter.sequence);
        }
      };
      await Promise.all(Array.from({ length: Math.min(64, meters.length) }, captureMeter));
      const captureS = (performance.now() - captureStart) / 1000;
      const outboxBytes = stores.reduce((a, s) => a + s.stats().bytes, 0);
      opts.log(
        `  offline ${opts.offlineS} s simulated: ${readings} readings stored in ${stores.length} outboxes (${(outboxBytes / 2 ** 20).toFixed(1)} MiB) in ${captureS.toFixed(1)} s`,
      );

      // Reconnect: every forwarder starts at once.
      const txLatency: number[] = [];
      const delivery: number[] = [];
      let captureToCommitMaxMs = 0;
      const start = performance.now();
      const onEvent = (e: ForwarderEvent): void => {
        if (e.type !== 'delivered') return;
        if (!e.settled) txLatency.push(e.submitMs);
        const at = e.atMs - start;
        for (let i = 0; i < e.sequences.length; i++) delivery.push(at);
        captureToCommitMaxMs = Math.max(captureToCommitMaxMs, Date.now() - offlineStartMs);
      };
      const sink = clientLedgerSink(network.owner, { maxBatch });
      const forwarders = stores.map((store) => new Forwarder({ store, ledger: sink, onAlarm, onEvent }));
      for (const f of forwarders) f.start();
      const progress = setInterval(() => {
        const pending = stores.reduce((a, s) => a + s.stats().pending, 0);
        opts.log(`  ${((performance.now() - start) / 1000).toFixed(0)} s: ${readings - pending} of ${readings} delivered`);
      }, 10_000);
      try {
        await Promise.all(forwarders.map((f) => f.drained(50)));
      } finally {
        clearInterval(progress);
      }
      const drainS = (performance.now() - start) / 1000;
      await Promise.all(forwarders.map((f) => f.stop()));
      const stats = forwarders.map((f) => f.stats);
      const sum = (k: 'delivered' | 'settled' | 'transactions' | 'retries' | 'quarantined'): number => stats.reduce((a, s) => a + s[k], 0);
      const retriesByCause: Record<string, number> = {};
      for (const s of stats) for (const [c, n] of Object.entries(s.retriesByCause)) retriesByCause[c] = (retriesByCause[c] ?? 0) + n;
      for (const [c, n] of Object.entries(network.owner.stats.retriesByCause))
        retriesByCause[`client/${c}`] = (retriesByCause[`client/${c}`] ?? 0) + n;
      opts.log(
        `  drained in ${drainS.toFixed(1)} s: ${(readings / drainS).toFixed(0)} readings/s in ${sum('transactions')} transactions; checking the ledger`,
      );
      network.close();
      await devnet.stop();
      const ledger = await collectReadings(ledgerDirectorySource(join(dataDir, 'ledger')), perMeter);
      const d = summary(delivery);
      return {
        maxBatch,
        meters: opts.meters,
        outboxes: stores.length,
        offlineS: opts.offlineS,
        readings,
        outboxBytes,
        captureS,
        drainS,
        readingsPerS: readings / drainS,
        transactions: sum('transactions'),
        txLatencyMs: summary(txLatency),
        deliveryMs: { p50: d.p50, p99: d.p99, max: d.max },
        captureToCommitMaxS: captureToCommitMaxMs / 1000,
        retries: sum('retries'),
        retriesByCause,
        settled: sum('settled'),
        quarantined: sum('quarantined'),
        alarms,
        ledger,
      };
    } finally {
      network.close();
    }
  } finally {
    await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
    await devnet.stop();
  }
}

export function formatOutage(r: OutageResult): string {
  const ms = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} ms` : '–');
  return [
    `max batch ${r.maxBatch}: ${r.meters} meters offline ${r.offlineS} s → ${r.readings} readings (${(r.outboxBytes / 2 ** 20).toFixed(1)} MiB in ${r.outboxes} outboxes, stored in ${r.captureS.toFixed(1)} s)`,
    `  drain ${r.drainS.toFixed(1)} s, ${r.readingsPerS.toFixed(0)} readings/s, ${r.transactions} transactions`,
    `  transaction latency p50 ${ms(r.txLatencyMs.p50)}, p95 ${ms(r.txLatencyMs.p95)}, p99 ${ms(r.txLatencyMs.p99)}, max ${ms(r.txLatencyMs.max)}`,
    `  reading committed after reconnect: p50 ${ms(r.deliveryMs.p50)}, p99 ${ms(r.deliveryMs.p99)}, last ${ms(r.deliveryMs.max)}; oldest capture → commit ${r.captureToCommitMaxS.toFixed(0)} s`,
    `  retries ${r.retries} ${JSON.stringify(r.retriesByCause)}, found committed after a lost answer ${r.settled}, quarantined ${r.quarantined}, alarms ${JSON.stringify(r.alarms)}`,
    `  ledger: ${r.ledger.ok ? 'OK' : 'MISMATCH'} — ${r.ledger.readings} readings, ${r.ledger.duplicates} duplicated, ${r.ledger.gaps} gaps, ${r.ledger.missing} missing${r.ledger.detail.length > 0 ? `: ${r.ledger.detail.slice(0, 5).join('; ')}` : ''}`,
  ].join('\n');
}

/** Runs the outage benchmark once per max batch size, each on a fresh devnet; writes outage.json. */
export async function runOutage(opts: OutageOptions): Promise<{ results: OutageResult[]; file: string }> {
  if (!(
    opts.meters > 0 &&
    opts.offlineS > 0 &&
    opts.vehiclesPerS > 0 &&
    opts.outboxes > 0 &&
    opts.outboxes <= opts.meters &&
    opts.maxBatches.length > 0
  )) {
    throw new BenchError(
      'BAD_OPTION',
      'meters, offline seconds, vehicles/s and outboxes must be positive (outboxes at most meters), with at least one max batch',
    );
  }
  const results: OutageResult[] = [];
  await mkdir(opts.outDir, { recursive: true });
  const file = join(opts.outDir, 'outage.json');
  for (const [i, maxBatch] of opts.maxBatches.entries()) {
    const r = await oneRun(opts, maxBatch, join(opts.outDir, `run-${i}-batch-${maxBatch}`));
    results.push(r);
    opts.log(formatOutage(r));
    await writeFile(file, JSON.stringify({ machine: machineInfo(), options: { ...opts, log: undefined }, results }, null, 2) + '\n');
  }
  return { results, file };
}
