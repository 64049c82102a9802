// SPDX-License-Identifier: Apache-2.0
// Drives the rush hour through the network: each meter captures, signs and submits its vehicles'
// readings in order. A meter has at most one reading in flight (the next waits in its queue), as a
// real meter would: its sequence number must advance one committed reading at a time.
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, newRng, type Meter, type Rng } from '@metroledger/meter';
import { abandonReason, type MetroledgerClient } from '@metroledger/client';
import { drawVehicle, type ArrivalSchedule, type PlannedMeter } from './plan';
import type { TrafficProgress } from './progress';
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
  /** Told on every settled reading and at least every `progressIntervalMs` (also while nothing settles). */
  readonly onProgress?: (p: TrafficProgress) => void;
  /** Default 500 ms. */
  readonly progressIntervalMs?: number;
  /**
   * Stops the run (Ctrl-C): no reading is captured or submitted after it; readings in flight are
   * waited for up to `inFlightGraceMs`, then the partial result says each reading's fate.
   */
  readonly signal?: AbortSignal;
  /** After `signal`, stop waiting for the readings in flight at once (a second Ctrl-C). */
  readonly forceSignal?: AbortSignal;
  /** Default 10,000 ms. */
  readonly inFlightGraceMs?: number;
}

/** A reading, by its meter and sequence. */
export interface ReadingRef {
  readonly meterId: string;
  readonly sequence: number;
}

/**
 * Where every planned reading stands; the counts add up to `planned`. A run that ends normally
 * has only committed and abandoned readings.
 */
export interface ReadingFates {
  /** On the ledger, measured or refused by the LR software (the client saw the commit). */
  readonly committed: number;
  /** Given up by the client, by reason (TrafficResult.abandoned). */
  readonly abandoned: number;
  /** Submitted, outcome not learnt before the run stopped: on the ledger or not (see `inFlightReadings`). */
  readonly inFlight: number;
  /** Captured and signed, waiting in their meters behind a reading in flight: never submitted, not on the ledger. */
  readonly queued: number;
  /** Vehicles that had not passed yet when the run stopped: no reading exists. */
  readonly notCaptured: number;
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
  /** Whether the run was stopped (`signal`) before every reading settled. */
  readonly interrupted: boolean;
  readonly fates: ReadingFates;
  /** The readings in flight when the run stopped, to look up on the ledger. */
  readonly inFlightReadings: readonly ReadingRef[];
}

interface Queued {
  readonly reading: Uint8Array;
  readonly sequence: number;
  readonly capturedAt: number;
}

/**
 * Longest stretch of synchronous reading synthesis (about 0.5 ms a reading) before the generator
 * gives the event loop a turn. Without it a generator behind its schedule never awaited, so no
 * answer from the network was handled and no progress was told until it had caught up: at
 * São Paulo's rate on a busy machine, minutes.
 */
const YIELD_EVERY_MS = 10;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Readings due by `elapsedMs` of wall time: schedule times are ascending. */
function dueBy(timeMs: Float64Array, simulatedMs: number): number {
  let lo = 0,
    hi = timeMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeMs[mid]! <= simulatedMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function runTraffic(opts: TrafficOptions): Promise<TrafficResult> {
  const { schedule, plan, meters } = opts;
  const planned = schedule.timeMs.length;
  const scheduleMs = planned === 0 ? 0 : schedule.timeMs[planned - 1]! / opts.speedup;
  const rng: Rng = newRng(`${opts.seed}/vehicles`);
  const queues: Queued[][] = meters.map(() => []);
  /** The reading each meter has in flight. */
  const flying: (Queued | undefined)[] = meters.map(() => undefined);
  const busy = new Uint8Array(meters.length);
  const latency = new LatencyRecorder();
  const serviceLatency = new LatencyRecorder();
  const refused: Record<string, number> = {};
  const abandoned: Record<string, number> = {};
  let captured = 0,
    submitted = 0,
    inFlight = 0,
    measured = 0,
    refusedCount = 0,
    abandonedCount = 0,
    alreadyCommitted = 0,
    violations = 0,
    lastBlock = -1;
  const retriesBefore = opts.client.stats.retries;
  const causesBefore = { ...opts.client.stats.retriesByCause };
  const stopped = () => opts.signal?.aborted === true;
  let settle: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const t0 = performance.now();
  let finished = false;
  const progress = () => {
    if (finished) return; // readings still settling after an interrupted run's result
    const elapsedMs = performance.now() - t0;
    opts.onProgress?.({
      planned,
      due: dueBy(schedule.timeMs, elapsedMs * opts.speedup),
      captured,
      submitted,
      committed: measured + refusedCount,
      abandoned: abandonedCount,
      inFlight,
      queued: captured - submitted,
      elapsedMs,
      scheduleMs,
    });
  };
  const ticker = setInterval(progress, opts.progressIntervalMs ?? 500);
  ticker.unref();

  const drain = async (m: number): Promise<void> => {
    busy[m] = 1;
    const queue = queues[m]!;
    for (let item = queue.shift(); item !== undefined; item = stopped() ? undefined : queue.shift()) {
      flying[m] = item;
      submitted++;
      inFlight++;
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
      inFlight--;
      flying[m] = undefined;
      progress();
      if (measured + refusedCount + abandonedCount === planned || (stopped() && inFlight === 0)) settle();
    }
    busy[m] = 0;
  };

  const onStop = () => {
    if (inFlight === 0) settle();
  };
  opts.signal?.addEventListener('abort', onStop, { once: true });
  if (stopped()) onStop();
  if (planned === 0) settle();
  let lastYield = performance.now();
  for (let i = 0; i < planned && !stopped(); i++) {
    const dueWall = t0 + schedule.timeMs[i]! / opts.speedup;
    const wait = dueWall - performance.now();
    if (wait > 1) {
      await sleepUnless(wait, opts.signal);
      lastYield = performance.now();
      if (stopped()) break;
    } else if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
      if (stopped()) break;
    }
    const m = schedule.meter[i]!;
    const meterPlan = plan[m]!;
    const vehicle = drawVehicle(rng, meterPlan.speedLimitKmh);
    const event = generateEvent(rng, {
      geometry: meterPlan.geometry,
      vehicleClass: vehicle.vehicleClass,
      speedKmh: vehicle.speedKmh,
      invalidShare: opts.faultShare,
    });
    const reading = meters[m]!.capture({
      loopA: event.loopA,
      loopB: event.loopB,
      captureTimeMs: Math.round(opts.clockStartMs + schedule.timeMs[i]!),
    });
    captured++;
    queues[m]!.push({ reading: encodeSignedReading(reading), sequence: meters[m]!.sequence, capturedAt: performance.now() });
    if (!busy[m]) void drain(m);
  }
  progress();
  if (stopped()) {
    // wait for the readings in flight to settle, up to the grace period or a second stop
    await Promise.race([allDone, sleepUnless(opts.inFlightGraceMs ?? 10_000, opts.forceSignal)]);
  } else {
    await allDone;
  }
  clearInterval(ticker);
  finished = true;
  opts.signal?.removeEventListener('abort', onStop);
  const wallSeconds = (performance.now() - t0) / 1000;
  const retriesByCause: Record<string, number> = {};
  for (const [cause, n] of Object.entries(opts.client.stats.retriesByCause)) {
    const delta = n - (causesBefore[cause] ?? 0);
    if (delta > 0) retriesByCause[cause] = delta;
  }
  const inFlightReadings: ReadingRef[] = [];
  flying.forEach((item, m) => {
    if (item !== undefined) inFlightReadings.push({ meterId: meters[m]!.meterId, sequence: item.sequence });
  });
  const committed = measured + refusedCount;
  return {
    planned,
    submitted,
    committed,
    measured,
    refused: { ...refused },
    abandoned: { ...abandoned },
    alreadyCommitted,
    speedLimitViolations: violations,
    latency: latency.summary(),
    serviceLatency: serviceLatency.summary(),
    wallSeconds,
    committedPerSecond: committed / wallSeconds,
    lastBlockNumber: lastBlock,
    retries: opts.client.stats.retries - retriesBefore,
    retriesByCause,
    interrupted: committed + abandonedCount < planned,
    fates: {
      committed,
      abandoned: abandonedCount,
      inFlight: inFlightReadings.length,
      queued: captured - submitted,
      notCaptured: planned - captured,
    },
    inFlightReadings,
  };
}

/** Sleeps `ms`, or less when `signal` aborts first. */
function sleepUnless(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
