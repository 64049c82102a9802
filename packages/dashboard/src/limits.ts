// SPDX-License-Identifier: Apache-2.0
// Every collection the dashboard keeps has a bound, so that a long run or a busy channel cannot
// grow its memory: these are the bounds, in one place.
import { DashboardError } from './errors.js';

export interface DashboardLimits {
  /** Block rows kept for the blocks table. Default 200. */
  readonly blocks: number;
  /** Serialized blocks kept for drill-down, by count and by bytes; older ones are fetched again through Deliver. Default 300 blocks, 32 MiB. */
  readonly blockCache: number;
  readonly blockCacheBytes: number;
  /** Transaction id → block number entries kept for drill-down. Default 100,000. */
  readonly txIndex: number;
  /** Measurements kept in the live feed. Default 500 (the browser gets the last 100). */
  readonly feed: number;
  /** Speed-limit violations kept. Default 200. */
  readonly violations: number;
  /** Distinct refusal and validation codes counted; further codes count under OTHER. Default 64. */
  readonly codes: number;
  /** Meters followed (registry, last reading, statistics). Default 10,000. */
  readonly meters: number;
  /** Readings the surveillance statistics run over (the most recent). Default 50,000. */
  readonly surveilReadings: number;
  /** Surveillance flags shown. Default 500. */
  readonly flags: number;
  /** Per-second points of the throughput and latency series. Default 900 (15 minutes). */
  readonly seriesSeconds: number;
  /** Latency samples kept per second for its percentiles. Default 2,000. */
  readonly latencySamplesPerSecond: number;
  /** Peers (endorsing identities) listed. Default 256. */
  readonly peers: number;
  /** Registry records read per list (integrity incidents, LR versions, models, organizations). Default 1,000. */
  readonly registryRecords: number;
  /** Browsers connected at once. Default 32. */
  readonly viewers: number;
}

export const DEFAULT_LIMITS: DashboardLimits = Object.freeze({
  blocks: 200,
  blockCache: 300,
  blockCacheBytes: 32 * 1024 * 1024,
  txIndex: 100_000,
  feed: 500,
  violations: 200,
  codes: 64,
  meters: 10_000,
  surveilReadings: 50_000,
  flags: 500,
  seriesSeconds: 900,
  latencySamplesPerSecond: 2_000,
  peers: 256,
  registryRecords: 1_000,
  viewers: 32,
});

/** The defaults with `overrides`; every limit must be a positive integer. @throws {DashboardError} BAD_OPTION */
export function dashboardLimits(overrides: Partial<DashboardLimits> = {}): DashboardLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new DashboardError('BAD_OPTION', `limit ${name} must be a positive integer, not ${String(value)}`, { limit: name });
  }
  return Object.freeze(limits);
}
