// SPDX-License-Identifier: Apache-2.0
// What the main job tells its user while it runs: readings settled against the plan, the commit
// rate over a sliding window, an ETA, and a warning when the city offers more readings than the
// network commits (readings then queue in their meters). Pure: the clock is injected.

/** One snapshot of the traffic, as the scenario reports it (runTraffic's onProgress). */
export interface TrafficProgress {
  /** Readings in the schedule. */
  readonly planned: number;
  /** Readings whose vehicle has passed by now on the schedule (offered by the city). */
  readonly due: number;
  /** Readings captured and signed by their meters. */
  readonly captured: number;
  /** Readings handed to the network (each once, whatever its retries). */
  readonly submitted: number;
  /** Readings committed, measured or refused by the LR software. */
  readonly committed: number;
  /** Readings the client gave up on (with a reason, counted in the report). */
  readonly abandoned: number;
  /** Submitted and not settled yet. */
  readonly inFlight: number;
  /** Captured and waiting behind their meter's reading in flight. */
  readonly queued: number;
  /** Wall time since the traffic started, ms. */
  readonly elapsedMs: number;
  /** Wall time from the start until the last vehicle passes, ms. */
  readonly scheduleMs: number;
}

export interface RunStatus {
  readonly planned: number;
  /** Committed + abandoned. */
  readonly settled: number;
  /** Readings settled per second over the window; undefined until the window has a second of data. */
  readonly commitRatePerS: number | undefined;
  /** Readings offered (vehicles passed) per second over the window. */
  readonly offeredRatePerS: number | undefined;
  /** Offered and not settled yet: queued in meters or in flight. */
  readonly backlog: number;
  /** Time until every reading is settled at the current commit rate; undefined while unknown. */
  readonly etaMs: number | undefined;
  /** Whether the network commits clearly fewer readings than the city offers. */
  readonly behind: boolean;
}

export interface TrafficMonitorOptions {
  /** Sliding window of the rates, ms. Default 10,000. */
  readonly windowMs?: number;
  /** Behind when the commit rate is below (1 − tolerance) × the offered rate. Default 0.1. */
  readonly tolerance?: number;
  /** Monotonic clock, ms. Default performance.now. */
  readonly clock?: () => number;
}

interface Sample {
  readonly atMs: number;
  readonly settled: number;
  readonly due: number;
}

/**
 * Follows the traffic's snapshots. `update` takes each snapshot as it comes; `status` and
 * `warning` may be asked at any time (the ETA counts down between snapshots).
 */
export class TrafficMonitor {
  readonly #windowMs: number;
  readonly #tolerance: number;
  readonly #clock: () => number;
  #samples: Sample[] = [];
  #last: { readonly progress: TrafficProgress; readonly atMs: number } | undefined;
  #warned = false;

  constructor(opts: TrafficMonitorOptions = {}) {
    this.#windowMs = opts.windowMs ?? 10_000;
    this.#tolerance = opts.tolerance ?? 0.1;
    this.#clock = opts.clock ?? (() => performance.now());
  }

  update(progress: TrafficProgress): RunStatus {
    const atMs = this.#clock();
    this.#last = { progress, atMs };
    this.#samples.push({ atMs, settled: progress.committed + progress.abandoned, due: progress.due });
    // keep the newest sample at or before the window's start as the base of the rates
    while (this.#samples.length > 2 && this.#samples[1]!.atMs <= atMs - this.#windowMs) this.#samples.shift();
    return this.status();
  }

  status(): RunStatus {
    const last = this.#last;
    if (last === undefined)
      return { planned: 0, settled: 0, commitRatePerS: undefined, offeredRatePerS: undefined, backlog: 0, etaMs: undefined, behind: false };
    const p = last.progress;
    const settled = p.committed + p.abandoned;
    const base = this.#samples[0]!;
    const newest = this.#samples.at(-1)!;
    const spanS = (newest.atMs - base.atMs) / 1000;
    const commitRatePerS = spanS >= 1 ? (newest.settled - base.settled) / spanS : undefined;
    const offeredRatePerS = spanS >= 1 ? (newest.due - base.due) / spanS : undefined;
    const backlog = Math.max(0, p.due - settled);
    const sinceSnapshot = this.#clock() - last.atMs;
    const scheduleLeftMs = Math.max(0, p.scheduleMs - p.elapsedMs - sinceSnapshot);
    let etaMs: number | undefined;
    if (settled >= p.planned) etaMs = 0;
    else if (commitRatePerS !== undefined && commitRatePerS > 0) {
      etaMs = Math.max(scheduleLeftMs, ((p.planned - settled) / commitRatePerS) * 1000 - sinceSnapshot, 0);
    }
    // Behind: the window is full, vehicles still pass, the network settles clearly less than they
    // offer, and more than a second of readings is waiting (a passing blip is not a warning).
    const windowFull = spanS * 1000 >= this.#windowMs * 0.9;
    const behind =
      windowFull &&
      offeredRatePerS !== undefined &&
      commitRatePerS !== undefined &&
      offeredRatePerS > 0 &&
      commitRatePerS < (1 - this.#tolerance) * offeredRatePerS &&
      backlog > Math.max(1, commitRatePerS);
    return { planned: p.planned, settled, commitRatePerS, offeredRatePerS, backlog, etaMs, behind };
  }

  /**
   * The warning to show once when the network falls behind the city (again after it caught up),
   * with the figures; undefined otherwise.
   */
  warning(): string | undefined {
    const s = this.status();
    if (!s.behind) {
      if (s.backlog <= Math.max(1, s.commitRatePerS ?? 0)) this.#warned = false; // caught up: warn again next time
      return undefined;
    }
    if (this.#warned) return undefined;
    this.#warned = true;
    const last = this.#last!;
    const scheduleLeftMs = Math.max(0, last.progress.scheduleMs - last.progress.elapsedMs - (this.#clock() - last.atMs));
    return (
      `the network is slower than the city: it settles ${Math.round(s.commitRatePerS!)} readings/s ` +
      `(last ${formatDuration(this.#windowMs)}) while the meters offer ${Math.round(s.offeredRatePerS!)}/s. ` +
      `${s.backlog} readings wait in their meters' queues or in flight (signed, none lost); ` +
      `at this rate the run ends in about ${s.etaMs === undefined ? 'an unknown time' : formatDuration(s.etaMs)}` +
      (scheduleLeftMs > 0 ? ` (the last vehicle passes in ${formatDuration(scheduleLeftMs)})` : '') +
      '.'
    );
  }
}

/** '850 ms', '41 s', '3 min 5 s', '1 h 2 min'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}
