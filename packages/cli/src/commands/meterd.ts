// SPDX-License-Identifier: Apache-2.0
// `metroledger meterd run|status|quarantine`: a meter in the field as a process. It captures
// (simulated passages, or none), stores every signed reading in its persistent outbox before it
// counts, and delivers the outbox to the ledger exactly once per sequence, handing the plate images
// of violations to the evidence store. It starts and captures without a network, and a restart
// (after a crash, kill -9 included) neither loses nor duplicates a reading.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateEvent, newRng } from '@metroledger/meter';
import { runOutage } from '@metroledger/bench';
import { EvidenceClient } from '@metroledger/evidence';
import {
  connectingLedgerSink,
  evidenceStoreSink,
  FieldMeter,
  Forwarder,
  OutboxError,
  OutboxStore,
  type Alarm,
  type EvidencePolicy,
  type ForwarderEvent,
  type OutboxLimits,
} from '@metroledger/outbox';
import { identityOf, openClient, withConnectionOptions, type ConnectionOptions } from './connection';
import { evidenceTarget, withEvidenceOptions, type EvidenceTargetOptions } from './evidence';

interface RunOptions extends ConnectionOptions, EvidenceTargetOptions {
  outbox: string;
  meterId: string;
  meterKey: string;
  geometry: string;
  count: string;
  rate: string;
  plates: string;
  imageBytes: string;
  offline?: boolean;
  maxBatch: string;
  maxReadings?: string;
  maxBytes?: string;
  evidencePolicy: string;
  exitWhenDrained?: boolean;
  seed: string;
  quiet?: boolean;
}

function nonNegative(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} must be a non-negative number, not ${v}`);
  return n;
}

function positiveInteger(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, not ${v}`);
  return n;
}

/** One JSON object per line on stdout: what the meter did, for people and for tests. */
function emit(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ at: new Date().toISOString(), ...event }) + '\n');
}

async function run(opts: RunOptions): Promise<void> {
  const g = opts.geometry.split(',').map(Number);
  if (g.length !== 3 || g.some((x) => !(x > 0))) throw new Error('--geometry is loopSpacingM,loopLengthM,sampleRateHz (e.g. 3,1.8,1000)');
  const geometry = { loopSpacingM: g[0]!, loopLengthM: g[1]!, sampleRateHz: g[2]! };
  const count = nonNegative(opts.count, '--count');
  const rate = nonNegative(opts.rate, '--rate');
  const plates = nonNegative(opts.plates, '--plates');
  const imageBytes = positiveInteger(opts.imageBytes, '--image-bytes');
  if (!['violations', 'all', 'none'].includes(opts.evidencePolicy)) throw new Error('--evidence-policy is violations, all or none');
  const limits: Partial<OutboxLimits> = {
    ...(opts.maxReadings !== undefined && { maxReadings: positiveInteger(opts.maxReadings, '--max-readings') }),
    ...(opts.maxBytes !== undefined && { maxBytes: positiveInteger(opts.maxBytes, '--max-bytes') }),
  };
  const quiet = opts.quiet === true;
  const onAlarm = (a: Alarm): void => emit({ event: 'alarm', ...a });
  const store = await OutboxStore.open(resolve(opts.outbox), { limits, onAlarm });
  const meter = new FieldMeter({ store, meterId: opts.meterId, geometry, privateKeyPem: await readFile(opts.meterKey, 'utf8') });
  const backlog = store.stats();
  emit({
    event: 'started',
    meterId: opts.meterId,
    lastSequence: meter.sequence,
    pending: backlog.pending,
    evidence: backlog.evidence,
    quarantined: backlog.quarantined,
    pid: process.pid,
  });

  let forwarder: Forwarder | undefined;
  let ledger: ReturnType<typeof connectingLedgerSink> | undefined;
  if (opts.offline !== true) {
    ledger = connectingLedgerSink(() => openClient(opts, 'CETSPMSP'), { maxBatch: positiveInteger(opts.maxBatch, '--max-batch') });
    const target = await evidenceTarget(opts);
    const evidence =
      target === undefined ? undefined : evidenceStoreSink(new EvidenceClient({ ...target, ...(await identityOf(opts, 'CETSPMSP')) }));
    forwarder = new Forwarder({
      store,
      ledger,
      ...(evidence !== undefined && { evidence, evidencePolicy: opts.evidencePolicy as EvidencePolicy }),
      onAlarm,
      onEvent: (e: ForwarderEvent) => {
        if (!quiet || e.type === 'quarantined') emit({ event: e.type, ...e, type: undefined });
      },
    });
    forwarder.start();
  }

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await forwarder?.stop();
    ledger?.close();
    emit({ event: 'stopped', ...(forwarder !== undefined && { stats: forwarder.stats }), outbox: { ...store.stats(), meters: undefined } });
    await store.close();
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));

  const rng = newRng(opts.seed);
  const started = Date.now();
  let notCaptured = 0;
  for (let i = 0; i < count && !stopping; i++) {
    if (rate > 0) {
      const due = started + ((i + 1) * 1000) / rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const e = generateEvent(rng, { geometry, speedKmh: rng.uniform(30, 100), invalidShare: 0.01 });
    const plateImage = rng.chance(plates) ? randomBytes(imageBytes) : undefined;
    try {
      const entry = await meter.capture({
        loopA: e.loopA,
        loopB: e.loopB,
        captureTimeMs: Date.now(),
        ...(plateImage !== undefined && { plateImage }),
      });
      if (!quiet)
        emit({
          event: 'captured',
          meterId: entry.meterId,
          sequence: entry.sequence,
          readingSha256: entry.readingSha256,
          ...(entry.image !== undefined && { imageSha256: entry.image.sha256 }),
        });
    } catch (err) {
      if (!(err instanceof OutboxError && err.code === 'OUTBOX_FULL')) throw err;
      notCaptured++; // out of service: the passage is not measured, and no sequence is used
    }
  }
  if (count > 0) emit({ event: 'captures-done', captured: count - notCaptured, notCaptured, lastSequence: meter.sequence });
  if (opts.exitWhenDrained === true || forwarder === undefined) {
    if (forwarder !== undefined) await forwarder.drained();
    await stop(0);
  }
}

async function status(opts: { outbox: string; json?: boolean; quarantine?: boolean }): Promise<void> {
  const store = await OutboxStore.open(resolve(opts.outbox));
  try {
    const s = store.stats();
    const quarantined = opts.quarantine === true ? await store.quarantined() : [];
    if (opts.json === true) {
      process.stdout.write(
        JSON.stringify(
          {
            ...s,
            ...(opts.quarantine === true && {
              quarantinedReadings: quarantined.map((e) => ({
                meterId: e.meterId,
                sequence: e.sequence,
                readingSha256: e.readingSha256,
                quarantine: e.quarantine,
                signedReading: Buffer.from(e.signedReading).toString('base64'),
              })),
            }),
          },
          null,
          2,
        ) + '\n',
      );
      return;
    }
    console.log(
      `outbox ${resolve(opts.outbox)}: ${s.state}, ${s.readings} readings (${(s.fillShare * 100).toFixed(1)} % full), ${s.pending} waiting for the ledger, ${s.evidence} images waiting for the evidence store, ${s.quarantined} quarantined`,
    );
    for (const m of s.meters)
      console.log(
        `  ${m.meterId}: last sequence ${m.lastSequence}, pending ${m.pending}${m.nextSequence !== undefined ? ` from #${m.nextSequence}` : ''}, evidence ${m.evidence}, quarantined ${m.quarantined}`,
      );
    for (const e of quarantined) console.log(`  quarantined ${e.meterId} #${e.sequence}: ${e.quarantine?.code} ${e.quarantine?.message}`);
  } finally {
    await store.close();
  }
}

export function registerMeterdCommands(program: Command): void {
  const bench = program.commands.find((c) => c.name() === 'bench');
  if (bench !== undefined) registerOutageBench(bench);
  const meterd = program
    .command('meterd')
    .description('a meter in the field: persistent outbox, exactly-once delivery, plate images to the evidence store');
  withEvidenceOptions(
    withConnectionOptions(
      meterd.command('run').description('capture (simulated passages) into the outbox and deliver it; survives restarts and outages'),
      { mspId: 'CETSPMSP', user: 'User1' },
    ),
  )
    .requiredOption('--outbox <dir>', "the meter's outbox directory (created; one process at a time)")
    .requiredOption('--meter-id <id>', 'the meter id, as registered')
    .requiredOption('--meter-key <file>', "the meter's private key (PKCS#8 PEM), whose public key is registered")
    .option('--geometry <s,l,hz>', 'registered loop geometry: loopSpacingM,loopLengthM,sampleRateHz', '3,1.8,1000')
    .option('--count <n>', 'passages to capture (0: only deliver what the outbox holds)', '0')
    .option('--rate <per-s>', 'passages per second (0: as fast as the outbox takes them)', '0.76')
    .option('--plates <share>', 'share of passages photographed (a plate image with the reading)', '0')
    .option('--image-bytes <n>', 'size of a simulated plate image', '40000')
    .option('--offline', 'capture only; deliver nothing (the network is down)')
    .option('--max-batch <n>', "most of a backlog's readings per transaction (submitReadingBatch)", '50')
    .option('--max-readings <n>', 'outbox capacity in readings (default 500000)')
    .option('--max-bytes <n>', 'outbox capacity in bytes (default 4 GiB)')
    .option('--evidence-policy <p>', 'plate images handed over: violations, all or none', 'violations')
    .option('--exit-when-drained', 'exit once the captures are done and the outbox is delivered')
    .option('--seed <s>', 'seed of the simulated passages', 'meterd')
    .option('--quiet', 'print alarms, quarantines and the summary only')
    .action((opts: RunOptions) => run(opts));
  meterd
    .command('status')
    .description("what an outbox holds (the meter must be stopped: an outbox is one process's)")
    .requiredOption('--outbox <dir>', 'outbox directory')
    .option('--quarantine', 'list the quarantined readings, with why')
    .option('--json', 'print JSON (with --quarantine: the signed readings too, for the operator to export)')
    .action((opts: { outbox: string; json?: boolean; quarantine?: boolean }) => status(opts));
}

interface OutageFlags {
  meters: string;
  offlineS: string;
  vehiclesPerS: string;
  maxBatch: string;
  outboxes?: string;
  ordering: string;
  seed: string;
  out?: string;
}

/** `metroledger bench outage`: registered beside the other benchmarks. */
export function registerOutageBench(bench: Command): void {
  bench
    .command('outage')
    .description(
      'meters offline (simulated), then reconnecting together: drain time, latency, and every reading on the ledger exactly once',
    )
    .option('--meters <n>', 'meters (São Paulo: 1000)', '1000')
    .option('--offline-s <s>', 'simulated seconds offline', '600')
    .option('--vehicles-per-s <x>', 'passages per second per meter', '0.76')
    .option('--max-batch <list>', 'readings of a backlog per transaction; one fresh devnet per value, e.g. 1,50', '50')
    .option('--outboxes <n>', 'outbox stores the meters are spread over (default: one per meter)')
    .option('--ordering <o>', 'solo or bft', 'solo')
    .option('--seed <s>', 'seed', 'outage')
    .option('--out <dir>', 'results directory (default bench-results/outage-<timestamp>)')
    .action(async (o: OutageFlags) => {
      const meters = positiveInteger(o.meters, '--meters');
      if (o.ordering !== 'solo' && o.ordering !== 'bft') throw new Error('--ordering is solo or bft');
      const { results, file } = await runOutage({
        cliMain: require.resolve('../main'),
        outDir: resolve(o.out ?? join('bench-results', `outage-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
        ordering: o.ordering,
        meters,
        offlineS: nonNegative(o.offlineS, '--offline-s'),
        vehiclesPerS: nonNegative(o.vehiclesPerS, '--vehicles-per-s'),
        maxBatches: o.maxBatch.split(',').map((x) => positiveInteger(x.trim(), '--max-batch')),
        outboxes: o.outboxes === undefined ? meters : positiveInteger(o.outboxes, '--outboxes'),
        seed: o.seed,
        log: (line) => console.log(line),
      });
      console.log(`results: ${file}`);
      if (results.some((r) => !r.ledger.ok)) process.exitCode = 3;
    });
}
