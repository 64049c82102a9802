// SPDX-License-Identifier: Apache-2.0
// Drives the rush hour through the network: each meter captures, signs and submits its vehicles'
// readings in order. A meter has at most one reading in flight (the next waits in its queue), as a
// real meter would: its sequence number must advance one committed reading at a time.
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, newRng, type Meter, type Rng } from '@metroledger/meter';
import { ClientError, type MetroledgerClient } from '@metroledger/client';
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
  readonly failed: number;
}

export interface TrafficResult {
  readonly planned: number;
  /** Readings committed with a speed. */
  readonly measured: number;
  /** Readings committed as refused by the LR software, by refusal code. */
  readonly refused: Readonly<Record<string, number>>;
  /** Readings the network did not commit, by error code (never silently dropped). */
  readonly failed: Readonly<Record<string, number>>;
  readonly speedLimitViolations: number;
  /** Capture → commit, including time queued behind the meter's previous reading. */
  readonly latency: LatencySummary;
  /** Endorse → commit of the reading's own transaction. */
  readonly serviceLatency: LatencySummary;
  readonly wallSeconds: number;
  readonly committedPerSecond: number;
  readonly lastBlockNumber: number;
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
  const failed: Record<string, number> = {};
  let captured = 0, measured = 0, refusedCount = 0, failedCount = 0, violations = 0, lastBlock = -1;
  const retriesBefore = opts.client.stats.retries;
  const causesBefore = { ...opts.client.stats.retriesByCause };
  let settle: () => void = () => {};
  const allDone = new Promise<void>((resolve) => { settle = resolve; });
  const progress = () => opts.onProgress?.({ planned, captured, committed: measured + refusedCount, failed: failedCount });

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
        if (out.record.status === 'MEASURED') {
          measured++;
          if (out.record.speedLimitExceeded) violations++;
        } else {
          refusedCount++;
          const code = out.record.refusalCode ?? 'UNKNOWN';
          refused[code] = (refused[code] ?? 0) + 1;
        }
      } catch (err) {
        failedCount++;
        const code = err instanceof ClientError ? (err.chaincodeCode ?? err.validationCode ?? err.code) : 'UNEXPECTED';
        failed[code] = (failed[code] ?? 0) + 1;
      }
      progress();
      if (measured + refusedCount + failedCount === planned) settle();
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
    planned, measured, refused, failed, speedLimitViolations: violations,
    latency: latency.summary(), serviceLatency: serviceLatency.summary(),
    wallSeconds, committedPerSecond: (measured + refusedCount) / wallSeconds, lastBlockNumber: lastBlock,
    retries: opts.client.stats.retries - retriesBefore, retriesByCause,
  };
}
