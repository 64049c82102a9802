// SPDX-License-Identifier: Apache-2.0
// Drives the rush hour through the network: each meter captures, signs and submits its vehicles'
// readings in order. A meter has at most one reading in flight (the next waits in its queue), as a
// real meter would: its sequence number must advance one committed reading at a time.
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, newRng, type Meter, type Rng } from '@metroledger/meter';
import { abandonReason, type MetroledgerClient } from '@metroledger/client';
import { drawVehicle, type ArrivalSchedule, type PlannedMeter } from './plan';
import { LatencyRecorder, type LatencySummary } from './stats';

export interface TrafficOptions {
  readonly client: MetroledgerClient;
  readonly plan: readonly PlannedMeter[];
  readonly meters: readonly Meter[];
  readonly schedule: ArrivalSchedule;
  /** Simulated seconds per wall-clock second. 1 = real time. */
  readonly speedup: number;
  /** Share of passages that are sensor faults or incomplete events (refused by the LR software). */
  readonly faultShare: number;
  readonly seed: string | number;
  /** Start of traffic on the meters' clocks (Unix ms). */
  readonly clockStartMs: number;
  readonly onProgress?: (p: TrafficProgress) => void;
}

export interface TrafficProgress {
  readonly planned: number;
  readonly captured: number;
  readonly committed: number;
  readonly abandoned: number;
}

export interface TrafficResult {
  readonly planned: number;
  /** Readings submitted (each one once, whatever its retries). */
  readonly submitted: number;
  /** Readings committed, measured or refused: exactly once each. */
  readonly committed: number;
  /** Readings committed with a speed. */
  readonly measured: number;
  /** Readings committed as refused by the LR software, by refusal code. */
  readonly refused: Readonly<Record<string, number>>;
  /** Readings the client gave up on, by reason (`abandonReason`): never silently dropped. */
  readonly abandoned: Readonly<Record<string, number>>;
  /** Readings whose answer was lost and that were found committed on the ledger (counted in `committed`). */
  readonly alreadyCommitted: number;
  readonly speedLimitViolations: number;
  /** Capture → commit, including time queued behind the meter's previous reading. */
  readonly latency: LatencySummary;
  /** Endorse → commit of the reading's own transaction. */
  readonly serviceLatency: LatencySummary;
  readonly wallSeconds: number;
  readonly committedPerSecond: number;
  readonly lastBlockNumber: number;
  /** Client retries (re-endorsements, resubmissions, status queries), and by cause. */
  readonly retries: number;
  readonly retriesByCause: Readonly<Record<string, number>>;
}

interface Queued { readonly reading: Uint8Array; readonly capturedAt: number }

export async function runTraffic(opts: TrafficOptions): Promise<TrafficResult> {
  const { schedule, plan, meters } = opts;
  const planned = schedule.timeMs.length;
  const rng: Rng = newRng(`${opts.seed}/vehicles`);
  const queues: Queued[][] = meters.map(() => []);
  const busy = new Uint8Array(meters.length);
  const latency = new LatencyRecorder();
  const serviceLatency = new LatencyRecorder();
  const refused: Record<string, number> = {};
  const abandoned: Record<string, number> = {};
  let captured = 0, measured = 0, refusedCount = 0, abandonedCount = 0, alreadyCommitted = 0, violations = 0, lastBlock = -1;
  const retriesBefore = opts.client.stats.retries;
  const causesBefore = { ...opts.client.stats.retriesByCause };
  let settle: () => void = () => {};
  const allDone = new Promise<void>((resolve) => { settle = resolve; });
  const progress = () => opts.onProgress?.({ planned, captured, committed: measured + refusedCount, abandoned: abandonedCount });

  const drain = async (m: number): Promise<void> => {
    busy[m] = 1;
    const queue = queues[m]!;
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      const started = performance.now();
      try {
        const out = await opts.client.submitReading(item.reading);
        const now = performance.now();
        latency.record(now - item.capturedAt);
        serviceLatency.record(now - started);
        lastBlock = Math.max(lastBlock, Number(out.blockNumber));
        if (out.alreadyCommitted) alreadyCommitted++;
        if (out.record.status === 'MEASURED') {
          measured++;
          if (out.record.speedLimitExceeded) violations++;
        } else {
          refusedCount++;
          const code = ('refusalCode' in out.record ? out.record.refusalCode : undefined) ?? 'UNKNOWN';
          refused[code] = (refused[code] ?? 0) + 1;
        }
      } catch (err) {
        abandonedCount++;
        const reason = abandonReason(err);
        abandoned[reason] = (abandoned[reason] ?? 0) + 1;
      }
      progress();
      if (measured + refusedCount + abandonedCount === planned) settle();
    }
    busy[m] = 0;
  };

  const t0 = performance.now();
  if (planned === 0) settle();
  for (let i = 0; i < planned; i++) {
    const dueWall = t0 + schedule.timeMs[i]! / opts.speedup;
    const wait = dueWall - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const m = schedule.meter[i]!;
    const meterPlan = plan[m]!;
    const vehicle = drawVehicle(rng, meterPlan.speedLimitKmh);
    const event = generateEvent(rng, {
      geometry: meterPlan.geometry, vehicleClass: vehicle.vehicleClass, speedKmh: vehicle.speedKmh, invalidShare: opts.faultShare,
    });
    const reading = meters[m]!.capture({
      loopA: event.loopA, loopB: event.loopB, captureTimeMs: Math.round(opts.clockStartMs + schedule.timeMs[i]!),
    });
    captured++;
    queues[m]!.push({ reading: encodeSignedReading(reading), capturedAt: performance.now() });
    if (!busy[m]) void drain(m);
  }
  await allDone;
  const wallSeconds = (performance.now() - t0) / 1000;
  const retriesByCause: Record<string, number> = {};
  for (const [cause, n] of Object.entries(opts.client.stats.retriesByCause)) {
    const delta = n - (causesBefore[cause] ?? 0);
    if (delta > 0) retriesByCause[cause] = delta;
  }
  return {
    planned, submitted: captured, committed: measured + refusedCount, measured, refused, abandoned, alreadyCommitted, speedLimitViolations: violations,
    latency: latency.summary(), serviceLatency: serviceLatency.summary(),
    wallSeconds, committedPerSecond: (measured + refusedCount) / wallSeconds, lastBlockNumber: lastBlock,
    retries: opts.client.stats.retries - retriesBefore, retriesByCause,
  };
}
