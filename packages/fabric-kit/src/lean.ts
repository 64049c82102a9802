// SPDX-License-Identifier: Apache-2.0
// "Lean on Fabric": the LR workload against a trivial chaincode doing what Fabric's own
// asset-transfer-basic CreateAsset does, side by side on the same network, interleaved (LR, basic,
// LR, basic, …) because the machine is shared: committed transactions per second and CPU per
// committed transaction of every process (peers, orderers, each chaincode's servers, this client)
// from /proc, readings lost under load, and optionally a CPU profile of the client per phase.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import {
  ClientError,
  MetroledgerClient,
  NotifiedBodyClient,
  abandonReason,
  loadMspIdentity,
  newGrpcConnection,
  submitReadingBatch,
  type ClientStats,
} from '@metroledger/client';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng, type Rng } from '@metroledger/meter';
import {
  bootstrapRegistry,
  CASE_STUDY_ORGANIZATIONS,
  drawVehicle,
  mainJobRegistry,
  METER_MODEL,
  planMeters,
  type PlannedMeter,
} from '@metroledger/scenario';
import { processCpuSeconds, selfCpuSeconds } from './cpu.js';
import { formatSummary, readProfiles, summarizeProfiles, type CpuProfile } from './profile.js';
import { tlsCaFile, userFiles } from './crypto.js';
import type { Log } from './network.js';
import { isRunning, type NodeProcess } from './processes.js';
import type { NetworkState } from './state.js';
import { CHANNEL, ENDORSEMENT_POLICY, GATEWAY_PEER, HOST, peersAt } from './topology.js';

export type Workload = 'lr' | 'basic';

export interface LeanOptions {
  /** Concurrent meters (LR) and concurrent submitters (basic): each has one transaction in flight. */
  readonly concurrency: number;
  /** Seconds each phase issues new transactions (in-flight ones then finish). */
  readonly phaseSeconds: number;
  /** Rounds of (LR, basic). */
  readonly rounds: number;
  /**
   * Readings per LR transaction (submitReadingBatch of one reading of each of `batch` meters, as a
   * roadside concentrator would send them); 1: submitReading. Meters = concurrency × batch.
   */
  readonly batch?: number;
  /** Write a CPU profile of this client per phase here (client-<workload>-<round>.cpuprofile). */
  readonly profileDir?: string;
  readonly log: Log;
}

/** CPU seconds by process group: peers, orderers, cc:<chaincode> servers, client. */
export type CpuByGroup = Record<string, number>;

export interface PhaseResult {
  readonly workload: Workload;
  readonly round: number;
  /** Readings (LR) or assets (basic) committed. */
  readonly committed: number;
  /** Transactions committed (LR with batches: fewer than readings). */
  readonly transactions: number;
  /** Transactions given up, by reason (for LR: readings lost). */
  readonly abandoned: Readonly<Record<string, number>>;
  readonly retries: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU seconds spent during the phase, by group (client: without making the meters' readings). */
  readonly cpu: CpuByGroup;
  /** Milliseconds of CPU (all groups) per committed transaction. */
  readonly cpuMsPerTx: number;
  /** The phase on the machine's monotonic clock (µs, as V8 stamps CPU profiles). */
  readonly monotonicUs: readonly [number, number];
}

export interface LeanReport {
  readonly fabricVersion: string;
  readonly profile: string;
  readonly concurrency: number;
  readonly batch: number;
  readonly phaseSeconds: number;
  readonly phases: PhaseResult[];
  /** Sums over the rounds, per workload. */
  readonly totals: Record<
    Workload,
    { committed: number; seconds: number; perSecond: number; cpu: CpuByGroup; cpuMsPerTx: number; abandoned: number }
  >;
  /** LR ÷ basic: CPU per committed transaction (target ≤ 2) and throughput (target ≥ 0.5). */
  readonly ratios: { cpuPerTx: number; throughput: number };
  /** Client CPU spent making the meters' signed readings (excluded from `client`). */
  readonly readingGenerationCpuSeconds: number;
}

function groupOf(p: NodeProcess): string {
  if (p.kind === 'chaincode') return `cc:${p.name.slice(0, p.name.indexOf('@'))}`;
  return p.kind === 'peer' ? 'peers' : 'orderers';
}

function cpuSnapshot(procs: readonly NodeProcess[]): CpuByGroup {
  const cpu: CpuByGroup = {};
  for (const p of procs) {
    const s = processCpuSeconds(p.pid);
    if (s !== undefined) cpu[groupOf(p)] = (cpu[groupOf(p)] ?? 0) + s;
  }
  cpu['client'] = selfCpuSeconds();
  return cpu;
}

function diff(after: CpuByGroup, before: CpuByGroup): CpuByGroup {
  const out: CpuByGroup = {};
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0);
  return out;
}

const total = (cpu: CpuByGroup): number => Object.values(cpu).reduce((a, b) => a + b, 0);

function countsDelta(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** A simulated meter of the bench: its plan, its signing model and its traffic. */
interface BenchMeter {
  readonly plan: PlannedMeter;
  readonly meter: Meter;
  readonly rng: Rng;
}

/** One signed reading of the meter, made now (its CPU is the meter's, not the client's: measured apart). */
function nextReading(m: BenchMeter): Uint8Array {
  const vehicle = drawVehicle(m.rng, m.plan.speedLimitKmh);
  const event = generateEvent(m.rng, {
    geometry: m.plan.geometry,
    vehicleClass: vehicle.vehicleClass,
    speedKmh: vehicle.speedKmh,
    invalidShare: 0.01,
  });
  return encodeSignedReading(m.meter.capture({ loopA: event.loopA, loopB: event.loopB, captureTimeMs: Date.now() }));
}

export async function runLeanBench(state: NetworkState, opts: LeanOptions): Promise<LeanReport> {
  const { log } = opts;
  const gateway = peersAt(state.portBase).find((p) => p.fqdn === GATEWAY_PEER)!;
  const connection = newGrpcConnection(`${HOST}:${gateway.port}`, await readFile(tlsCaFile(state.dir, state.profile, gateway.mspId)));
  const identity = async (mspId: string, user: string) => ({
    mspId,
    ...(await loadMspIdentity(userFiles(state.dir, state.profile, mspId, user).mspDir)),
  });
  const adminId = await identity('InmetroMSP', 'Admin');
  const common = { connection, channel: CHANNEL };
  const admin = new MetroledgerClient({ ...common, ...adminId });
  const inmetro = new MetroledgerClient({ ...common, ...(await identity('InmetroMSP', 'User1')) });
  // the main job's meter-owner retry policy
  const owner = new MetroledgerClient({
    ...common,
    ...(await identity('CETSPMSP', 'User1')),
    retry: { maxAttempts: 20, maxDelayMs: 3000 },
  });
  const basic = owner.network.getContract('basic');
  const procs = state.processes.filter(isRunning);
  let generationCpu = 0;
  try {
    const lrPackage = await packageLrChaincode();
    await bootstrapRegistry(
      admin,
      new NotifiedBodyClient(admin, adminId),
      mainJobRegistry({
        organizations: CASE_STUDY_ORGANIZATIONS,
        lrSoftware: {
          chaincodeName: 'lr',
          version: '1.0',
          packageId: lrPackage.packageId,
          sourceSha256: lrPackage.codeDigest,
          endorsementPolicy: ENDORSEMENT_POLICY.lr,
        },
      }),
    );
    const run = Date.now().toString(36);
    const batchSize = opts.batch ?? 1;
    const plan = planMeters({ meters: opts.concurrency * batchSize, seed: `lean-${run}`, meterIdPrefix: `LEAN${run}` });
    const meters: BenchMeter[] = plan.map((p) => ({
      plan: p,
      meter: Meter.create({ meterId: p.meterId, geometry: p.geometry }),
      rng: newRng(`lean-${run}/${p.meterId}`),
    }));
    log(`lean: registering ${meters.length} meters ${plan[0]!.meterId}…`);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(50, meters.length) }, async () => {
        for (let i = next++; i < meters.length; i = next++) {
          const m = meters[i]!;
          await inmetro.registerMeter({
            meterId: m.plan.meterId,
            ownerMspId: 'CETSPMSP',
            publicKeyPem: m.meter.publicKeyPem,
            geometry: m.plan.geometry,
            location: m.plan.location,
            speedLimitKmh: m.plan.speedLimitKmh,
            model: METER_MODEL,
          });
        }
      }),
    );

    const session = opts.profileDir !== undefined ? new Session() : undefined;
    if (session !== undefined) {
      session.connect();
      await post(session, 'Profiler.enable');
      await mkdir(opts.profileDir!, { recursive: true });
    }
    const phases: PhaseResult[] = [];
    let assetSeq = 0;
    for (let round = 1; round <= opts.rounds; round++) {
      for (const workload of ['lr', 'basic'] as const) {
        const statsBefore = snapshotStats(owner.stats);
        const abandoned: Record<string, number> = {};
        let committed = 0;
        let transactions = 0;
        let phaseGenerationCpu = 0;
        if (session !== undefined) await post(session, 'Profiler.start');
        const cpuBefore = cpuSnapshot(procs);
        const startUs = monotonicUs();
        const t0 = performance.now();
        const deadline = t0 + opts.phaseSeconds * 1000;
        await Promise.all(
          Array.from({ length: opts.concurrency }, async (_, w) => {
            while (performance.now() < deadline) {
              try {
                if (workload === 'lr' && batchSize === 1) {
                  const g0 = selfCpuSeconds();
                  const reading = nextReading(meters[w]!);
                  phaseGenerationCpu += selfCpuSeconds() - g0;
                  await owner.submitReading(reading);
                  committed++;
                } else if (workload === 'lr') {
                  const g0 = selfCpuSeconds();
                  const readings = meters.slice(w * batchSize, (w + 1) * batchSize).map(nextReading);
                  phaseGenerationCpu += selfCpuSeconds() - g0;
                  // not `committed += await …`: that reads `committed` before waiting, losing the other workers' counts
                  const { outcomes } = await submitReadingBatch(owner, readings);
                  committed += outcomes.length;
                } else {
                  await owner.submit('CreateAsset', [`asset-${run}-${++assetSeq}`, 'blue', '5', 'CET-SP', '300'], basic);
                  committed++;
                }
                transactions++;
              } catch (err) {
                if (!(err instanceof ClientError)) throw err;
                const reason = abandonReason(err);
                abandoned[reason] = (abandoned[reason] ?? 0) + 1;
              }
            }
          }),
        );
        const seconds = (performance.now() - t0) / 1000;
        const cpu = diff(cpuSnapshot(procs), cpuBefore);
        cpu['client'] = cpu['client']! - phaseGenerationCpu;
        generationCpu += phaseGenerationCpu;
        if (session !== undefined) {
          const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
          await writeFile(join(opts.profileDir!, `client-${workload}-${round}.cpuprofile`), JSON.stringify(profile));
        }
        const after = snapshotStats(owner.stats);
        const result: PhaseResult = {
          workload,
          round,
          committed,
          transactions,
          abandoned,
          retries: countsDelta(after.retriesByCause, statsBefore.retriesByCause),
          seconds,
          perSecond: committed / seconds,
          cpu,
          cpuMsPerTx: committed > 0 ? (total(cpu) * 1000) / committed : NaN,
          monotonicUs: [startUs, monotonicUs()],
        };
        phases.push(result);
        log(formatPhase(result));
      }
    }
    session?.disconnect();
    const totals = {} as LeanReport['totals'];
    for (const workload of ['lr', 'basic'] as const) {
      const ps = phases.filter((p) => p.workload === workload);
      const cpu: CpuByGroup = {};
      for (const p of ps) for (const [k, v] of Object.entries(p.cpu)) cpu[k] = (cpu[k] ?? 0) + v;
      const committed = ps.reduce((a, p) => a + p.committed, 0);
      const seconds = ps.reduce((a, p) => a + p.seconds, 0);
      totals[workload] = {
        committed,
        seconds,
        perSecond: committed / seconds,
        cpu,
        cpuMsPerTx: (total(cpu) * 1000) / committed,
        abandoned: ps.reduce((a, p) => a + Object.values(p.abandoned).reduce((x, y) => x + y, 0), 0),
      };
    }
    return {
      fabricVersion: state.fabric.version,
      profile: state.profile,
      concurrency: opts.concurrency,
      batch: batchSize,
      phaseSeconds: opts.phaseSeconds,
      phases,
      totals,
      ratios: { cpuPerTx: totals.lr.cpuMsPerTx / totals.basic.cpuMsPerTx, throughput: totals.lr.perSecond / totals.basic.perSecond },
      readingGenerationCpuSeconds: generationCpu,
    };
  } finally {
    owner.close();
    inmetro.close();
    admin.close();
    connection.close();
  }
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

function snapshotStats(s: ClientStats): { retriesByCause: Record<string, number> } {
  return { retriesByCause: { ...s.retriesByCause } };
}

function post(session: Session, method: string): Promise<unknown> {
  return new Promise((resolvePost, reject) => session.post(method, (err, result) => (err ? reject(err) : resolvePost(result))));
}

const GROUP_ORDER = ['peers', 'orderers', 'cc:lr', 'cc:governance', 'cc:basic', 'client'];

export function formatPhase(p: PhaseResult): string {
  const lost = Object.values(p.abandoned).reduce((a, b) => a + b, 0);
  const groups = GROUP_ORDER.filter((g) => (p.cpu[g] ?? 0) > 0.005)
    .map((g) => `${g} ${((p.cpu[g]! * 1000) / Math.max(1, p.committed)).toFixed(1)}`)
    .join(', ');
  const txs = p.transactions !== p.committed ? ` (${p.transactions} transactions)` : '';
  return (
    `  ${p.workload.padEnd(5)} round ${p.round}: ${p.committed}${txs} committed in ${p.seconds.toFixed(1)} s = ${p.perSecond.toFixed(1)} tx/s, ` +
    `CPU ${p.cpuMsPerTx.toFixed(1)} ms/tx (${groups}), ${lost} abandoned${lost ? ` ${JSON.stringify(p.abandoned)}` : ''}, retries ${JSON.stringify(p.retries)}`
  );
}

export function formatLeanReport(r: LeanReport): string {
  const lines = [
    `Lean on Fabric ${r.fabricVersion} (${r.profile}), ${r.concurrency} concurrent${r.batch > 1 ? ` LR batches of ${r.batch} readings (${r.concurrency * r.batch} meters)` : ' meters'}, ${r.phaseSeconds} s phases, interleaved LR/basic × ${r.phases.length / 2}`,
  ];
  for (const w of ['lr', 'basic'] as const) {
    const t = r.totals[w];
    const groups = GROUP_ORDER.filter((g) => (t.cpu[g] ?? 0) > 0.005)
      .map((g) => `${g} ${((t.cpu[g]! * 1000) / t.committed).toFixed(1)}`)
      .join(', ');
    lines.push(
      `  ${w.padEnd(5)} ${t.committed} committed, ${t.perSecond.toFixed(1)} tx/s, ${t.cpuMsPerTx.toFixed(1)} ms CPU/tx (${groups}), ${t.abandoned} abandoned`,
    );
  }
  lines.push(
    `  LR ÷ basic: CPU per committed reading ÷ per CreateAsset ${r.ratios.cpuPerTx.toFixed(2)} (target ≤ 2), throughput ${r.ratios.throughput.toFixed(2)} (target ≥ 0.5)`,
  );
  lines.push(`  (client CPU excludes ${r.readingGenerationCpuSeconds.toFixed(1)} s spent making the meters' signed readings)`);
  return lines.join('\n');
}

/**
 * The hot spots of a profiled lean run: each chaincode's servers during the phases of the workload
 * that uses them (their start-up left out), and the client per workload.
 */
export async function hotSpots(profileDir: string, report: Pick<LeanReport, 'phases'>): Promise<string> {
  const parts: string[] = [];
  const windows = (w: Workload) => report.phases.filter((p) => p.workload === w).map((p) => p.monotonicUs);
  for (const cc of ['lr', 'governance', 'basic']) {
    const profiles = await readProfiles(join(profileDir, 'servers', cc)).catch(() => []);
    const w = cc === 'basic' ? 'basic' : 'lr';
    if (profiles.length > 0)
      parts.push(
        formatSummary(`chaincode servers ${cc} (${profiles.length} processes), ${w} phases`, summarizeProfiles(profiles, 20, windows(w))),
      );
  }
  const client = join(profileDir, 'client');
  for (const workload of ['lr', 'basic'] as const) {
    const files = (await readdir(client).catch(() => [] as string[])).filter((f) => f.startsWith(`client-${workload}-`));
    const profiles = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(client, f), 'utf8')) as CpuProfile));
    if (profiles.length > 0) parts.push(formatSummary(`client, ${workload} phases`, summarizeProfiles(profiles)));
  }
  return parts.join('\n\n');
}
