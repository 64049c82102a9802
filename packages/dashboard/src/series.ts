// SPDX-License-Identifier: Apache-2.0
// Per-second counters and latency percentiles over a sliding window of whole seconds.

interface Second {
  transactions: number;
  invalid: number;
  readings: number;
  latencies: number[];
  latencySeen: number;
  latencyMax: number;
}

export interface SeriesPoints {
  readonly fromSec: number;
  readonly transactions: number[];
  readonly invalid: number[];
  readonly readings: number[];
  readonly latencyP50Ms: (number | null)[];
  readonly latencyMaxMs: (number | null)[];
}

export class PerSecondSeries {
  readonly #seconds = new Map<number, Second>();
  readonly #windowSec: number;
  readonly #samplesMax: number;
  readonly #random: () => number;
  #newestSec = 0;

  /**
   * Keeps the last `windowSec` seconds; each second keeps at most `samplesMax` latency samples (reservoir).
   * @param random uniform in [0, 1), for the reservoir's choices (tests give a seeded one)
   */
  constructor(windowSec: number, samplesMax: number, random: () => number = Math.random) {
    this.#windowSec = windowSec;
    this.#samplesMax = samplesMax;
    this.#random = random;
  }

  #at(timeMs: number): Second | undefined {
    const sec = Math.floor(timeMs / 1000);
    if (sec <= this.#newestSec - this.#windowSec) return undefined; // older than the window
    let s = this.#seconds.get(sec);
    if (s === undefined) {
      s = { transactions: 0, invalid: 0, readings: 0, latencies: [], latencySeen: 0, latencyMax: 0 };
      this.#seconds.set(sec, s);
      if (sec > this.#newestSec) {
        this.#newestSec = sec;
        for (const k of this.#seconds.keys()) if (k <= sec - this.#windowSec) this.#seconds.delete(k);
      }
    }
    return s;
  }

  add(timeMs: number, c: { transactions: number; invalid: number; readings: number }): void {
    const s = this.#at(timeMs);
    if (s === undefined) return;
    s.transactions += c.transactions;
    s.invalid += c.invalid;
    s.readings += c.readings;
  }

  addLatency(timeMs: number, latencyMs: number): void {
    const s = this.#at(timeMs);
    if (s === undefined) return;
    s.latencySeen++;
    if (latencyMs > s.latencyMax) s.latencyMax = latencyMs;
    if (s.latencies.length < this.#samplesMax) s.latencies.push(latencyMs);
    else {
      // reservoir sampling keeps the percentile unbiased under any load
      const j = Math.floor(this.#random() * s.latencySeen);
      if (j < this.#samplesMax) s.latencies[j] = latencyMs;
    }
  }

  /** Every second from the oldest kept to `nowMs` (empty seconds as zero / null). */
  points(nowMs: number): SeriesPoints {
    const last = Math.max(this.#newestSec, Math.floor(nowMs / 1000));
    const keys = [...this.#seconds.keys()];
    const first = keys.length === 0 ? last : Math.max(Math.min(...keys), last - this.#windowSec + 1);
    const out: SeriesPoints = { fromSec: first, transactions: [], invalid: [], readings: [], latencyP50Ms: [], latencyMaxMs: [] };
    for (let sec = first; sec <= last; sec++) {
      const s = this.#seconds.get(sec);
      out.transactions.push(s?.transactions ?? 0);
      out.invalid.push(s?.invalid ?? 0);
      out.readings.push(s?.readings ?? 0);
      if (s === undefined || s.latencies.length === 0) {
        out.latencyP50Ms.push(null);
        out.latencyMaxMs.push(null);
      } else {
        const sorted = [...s.latencies].sort((a, b) => a - b);
        out.latencyP50Ms.push(Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!));
        out.latencyMaxMs.push(Math.round(s.latencyMax));
      }
    }
    return out;
  }
}
