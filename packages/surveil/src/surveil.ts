// SPDX-License-Identifier: Apache-2.0
// Public surveillance (paper, IV-C): statistics anyone can compute from the ledger, and flags for
// patterns worth a closer look. A flag is a lead, not a verdict.
import type { Collected, MeterInfo, SurveilReading } from './collect';
import { SurveilError } from './errors';
import { haversineKm, ksTwoSample, mean, quantile, robustZ, stddev } from './stats';

export type FlagCode =
  | 'HISTORY_SHIFT' // a meter's recent speed distribution departs from its own history (two-sample KS)
  | 'NEIGHBOUR_OUTLIER' // a meter's mean speed or violation rate departs from its neighbours' (robust z)
  | 'DIGEST_COLLISION' // identical raw sensor data under different meters or sequence numbers
  | 'SEQUENCE_GAP' // sequence numbers missing between stored readings (lost readings)
  | 'SEQUENCE_REPEAT' // the same sequence number stored twice
  | 'CAPTURE_TIME_ORDER' // capture time goes backwards while the sequence goes forward
  | 'CAPTURE_TIME_SKEW'; // capture time far from the transaction time (meter clock off, or delayed data)

export interface Flag {
  readonly code: FlagCode;
  readonly meterId: string;
  readonly message: string;
  readonly blockNum?: number;
  readonly txId?: string;
  readonly sequence?: number;
  readonly details?: Record<string, unknown>;
}

export interface MeterStats {
  readonly meterId: string;
  readonly location?: string;
  readonly lat?: number;
  readonly lon?: number;
  readonly speedLimitKmh?: number;
  readonly readings: number;
  readonly measured: number;
  readonly refused: number;
  readonly rejected: number;
  readonly violations: number;
  /** violations / measured. */
  readonly violationRate: number;
  readonly meanKmh: number;
  readonly stdKmh: number;
  readonly p50Kmh: number;
  readonly p85Kmh: number;
  readonly p95Kmh: number;
  /** Counts per HISTOGRAM_BIN_KMH-wide bin from 0 km/h (last bin open-ended). */
  readonly histogram: number[];
}

export interface HourlyStats {
  readonly meterId: string;
  /** Hour start (UTC), ISO 8601, by capture time. */
  readonly hour: string;
  readonly readings: number;
  readonly measured: number;
  readonly violations: number;
  readonly meanKmh: number;
  readonly p85Kmh: number;
}

export interface SurveilOptions {
  /** Share of each meter's most recent readings compared with the rest (HISTORY_SHIFT). Default 0.25. */
  readonly recentShare?: number;
  /** KS p-value below which a shift is flagged. Default 0.001. */
  readonly alpha?: number;
  /** Fewest measurements on each side of a KS comparison. Default 30. */
  readonly minSample?: number;
  /** Neighbours compared with (nearest by location). Default 5. */
  readonly neighbours?: number;
  /** |robust z| above which a meter is flagged against its neighbours. Default 3.5. */
  readonly zThreshold?: number;
  /** Capture time this far from the transaction time is flagged. Default 300,000 ms. */
  readonly maxSkewMs?: number;
}

export interface SurveilReport {
  readonly source: string;
  readonly generatedAt: string;
  readonly blocks: number;
  readonly transactions: number;
  readonly readings: number;
  readonly measured: number;
  readonly violations: number;
  readonly violationRate: number;
  readonly meters: MeterStats[];
  readonly hourly: HourlyStats[];
  /** All measured speeds, binned (HISTOGRAM_BIN_KMH). */
  readonly histogram: number[];
  readonly flags: Flag[];
  readonly flagCounts: Partial<Record<FlagCode, number>>;
  readonly options: Required<SurveilOptions>;
}

export const HISTOGRAM_BIN_KMH = 10;
const HISTOGRAM_BINS = 20;

function histogram(speeds: readonly number[]): number[] {
  const h = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const s of speeds) h[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(s / HISTOGRAM_BIN_KMH)))]!++;
  return h;
}

const round = (x: number, d = 1): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : 0);

function meterStats(meterId: string, info: MeterInfo | undefined, rs: readonly SurveilReading[]): MeterStats {
  const measured = rs.filter((r) => r.status === 'MEASURED' && r.speedKmh !== undefined);
  const speeds = measured.map((r) => r.speedKmh!).sort((a, b) => a - b);
  const violations = measured.filter((r) => r.exceeded === true).length;
  return {
    meterId,
    ...(info?.location === undefined ? {} : { location: info.location }),
    ...(info?.lat === undefined ? {} : { lat: info.lat }),
    ...(info?.lon === undefined ? {} : { lon: info.lon }),
    ...(info?.speedLimitKmh === undefined ? {} : { speedLimitKmh: info.speedLimitKmh }),
    readings: rs.length,
    measured: measured.length,
    refused: rs.filter((r) => r.status === 'REFUSED').length,
    rejected: rs.filter((r) => r.status === 'REJECTED').length,
    violations,
    violationRate: measured.length === 0 ? 0 : round(violations / measured.length, 4),
    meanKmh: round(mean(speeds)),
    stdKmh: round(stddev(speeds)),
    p50Kmh: round(quantile(speeds, 0.5)),
    p85Kmh: round(quantile(speeds, 0.85)),
    p95Kmh: round(quantile(speeds, 0.95)),
    histogram: histogram(speeds),
  };
}

function hourly(meterId: string, rs: readonly SurveilReading[]): HourlyStats[] {
  const byHour = new Map<number, SurveilReading[]>();
  for (const r of rs) {
    const h = Math.floor(r.captureTimeMs / 3_600_000);
    let list = byHour.get(h);
    if (list === undefined) byHour.set(h, (list = []));
    list.push(r);
  }
  return [...byHour.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([h, list]) => {
      const speeds = list
        .filter((r) => r.status === 'MEASURED' && r.speedKmh !== undefined)
        .map((r) => r.speedKmh!)
        .sort((a, b) => a - b);
      return {
        meterId,
        hour: new Date(h * 3_600_000).toISOString(),
        readings: list.length,
        measured: speeds.length,
        violations: list.filter((r) => r.exceeded === true).length,
        meanKmh: round(mean(speeds)),
        p85Kmh: round(quantile(speeds, 0.85)),
      };
    });
}

/** Statistics and flags over collected readings. Pure and deterministic. @throws {SurveilError} BAD_OPTION */
export function surveil(collected: Collected, source: string, options: SurveilOptions = {}): SurveilReport {
  const opts: Required<SurveilOptions> = {
    recentShare: options.recentShare ?? 0.25,
    alpha: options.alpha ?? 0.001,
    minSample: options.minSample ?? 30,
    neighbours: options.neighbours ?? 5,
    zThreshold: options.zThreshold ?? 3.5,
    maxSkewMs: options.maxSkewMs ?? 300_000,
  };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new SurveilError('BAD_OPTION', what, { ...opts });
  };
  check(opts.recentShare > 0 && opts.recentShare < 1, 'recentShare must be between 0 and 1');
  check(opts.alpha > 0 && opts.alpha < 1, 'alpha must be between 0 and 1');
  check(Number.isInteger(opts.minSample) && opts.minSample >= 2, 'minSample must be an integer >= 2');
  check(Number.isInteger(opts.neighbours) && opts.neighbours >= 3, 'neighbours must be an integer >= 3');
  check(opts.zThreshold > 0 && opts.maxSkewMs > 0, 'zThreshold and maxSkewMs must be positive');
  const flags: Flag[] = [];
  const byMeter = new Map<string, SurveilReading[]>();
  for (const r of collected.readings) {
    let list = byMeter.get(r.meterId);
    if (list === undefined) byMeter.set(r.meterId, (list = []));
    list.push(r);
  }
  const meterIds = [...new Set([...collected.meters.keys(), ...byMeter.keys()])].sort();
  const meters = meterIds.map((id) => meterStats(id, collected.meters.get(id), byMeter.get(id) ?? []));
  const hourlyStats = meterIds.flatMap((id) => hourly(id, byMeter.get(id) ?? []));

  for (const [meterId, rs] of byMeter) {
    // Sequence continuity and clock plausibility, in sequence order.
    const bySeq = [...rs].sort((a, b) => a.sequence - b.sequence || a.blockNum - b.blockNum);
    for (let i = 1; i < bySeq.length; i++) {
      const prev = bySeq[i - 1]!;
      const cur = bySeq[i]!;
      const at = { blockNum: cur.blockNum, txId: cur.txId, sequence: cur.sequence };
      if (cur.sequence === prev.sequence)
        flags.push({
          code: 'SEQUENCE_REPEAT',
          meterId,
          ...at,
          message: `sequence ${cur.sequence} is stored twice (blocks ${prev.blockNum} and ${cur.blockNum})`,
        });
      else if (cur.sequence > prev.sequence + 1)
        flags.push({
          code: 'SEQUENCE_GAP',
          meterId,
          ...at,
          message: `sequence jumps from ${prev.sequence} to ${cur.sequence}: ${cur.sequence - prev.sequence - 1} reading(s) missing`,
          details: { from: prev.sequence, to: cur.sequence, missing: cur.sequence - prev.sequence - 1 },
        });
      if (cur.sequence > prev.sequence && cur.captureTimeMs < prev.captureTimeMs) {
        flags.push({
          code: 'CAPTURE_TIME_ORDER',
          meterId,
          ...at,
          message: `sequence ${cur.sequence} was captured ${((prev.captureTimeMs - cur.captureTimeMs) / 1000).toFixed(1)} s before sequence ${prev.sequence}`,
        });
      }
    }
    for (const r of rs) {
      const skew = r.txTimeMs - r.captureTimeMs;
      if (Math.abs(skew) > opts.maxSkewMs) {
        flags.push({
          code: 'CAPTURE_TIME_SKEW',
          meterId,
          blockNum: r.blockNum,
          txId: r.txId,
          sequence: r.sequence,
          message: `captured ${(Math.abs(skew) / 1000).toFixed(0)} s ${skew > 0 ? 'before' : 'after'} its transaction time`,
          details: { skewMs: skew },
        });
      }
    }
    // Own history: the most recent share of measurements against the earlier ones.
    const measured = rs
      .filter((r) => r.status === 'MEASURED' && r.speedKmh !== undefined)
      .sort((a, b) => a.captureTimeMs - b.captureTimeMs);
    const cut = Math.floor(measured.length * (1 - opts.recentShare));
    const history = measured.slice(0, cut).map((r) => r.speedKmh!);
    const recent = measured.slice(cut).map((r) => r.speedKmh!);
    if (history.length >= opts.minSample && recent.length >= opts.minSample) {
      const ks = ksTwoSample(history, recent);
      if (ks.p < opts.alpha) {
        flags.push({
          code: 'HISTORY_SHIFT',
          meterId,
          message: `the last ${recent.length} speeds (mean ${round(mean(recent))} km/h) differ from the ${history.length} before (mean ${round(mean(history))} km/h): KS D=${round(ks.d, 3)}, p=${ks.p.toExponential(2)}`,
          details: {
            d: ks.d,
            p: ks.p,
            recentMean: mean(recent),
            historyMean: mean(history),
            since: new Date(measured[cut]!.captureTimeMs).toISOString(),
          },
        });
      }
    }
  }

  // Neighbours by location: mean speed and violation rate against the nearest meters.
  const located = meters.filter((m) => m.lat !== undefined && m.lon !== undefined && m.measured >= opts.minSample);
  for (const m of located) {
    const near = located
      .filter((o) => o !== m)
      .map((o) => ({ o, km: haversineKm(m.lat!, m.lon!, o.lat!, o.lon!) }))
      .sort((a, b) => a.km - b.km)
      .slice(0, opts.neighbours);
    if (near.length < 3) continue;
    // The scale is floored at twice the meter's own standard error: sampling noise is not an anomaly.
    const seMean = m.stdKmh / Math.sqrt(m.measured);
    const seRate = Math.sqrt((m.violationRate * (1 - m.violationRate)) / m.measured);
    // Speeds are compared as a share of each meter's limit when every limit is known: neighbours on
    // roads with other limits differ in km/h legitimately, while a meter that reads high or low
    // moves its share against theirs.
    const relative = m.speedLimitKmh !== undefined && near.every((n) => n.o.speedLimitKmh !== undefined);
    const speedOf = (o: typeof m): number => (relative ? o.meanKmh / o.speedLimitKmh! : o.meanKmh);
    const speedScaleFloor = relative ? Math.max(0.03, (2 * seMean) / m.speedLimitKmh!) : Math.max(2, 2 * seMean);
    const zMean = robustZ(
      speedOf(m),
      near.map((n) => speedOf(n.o)),
      speedScaleFloor,
    );
    const zRate = robustZ(
      m.violationRate,
      near.map((n) => n.o.violationRate),
      Math.max(0.02, 2 * seRate),
    );
    if (Math.abs(zMean) > opts.zThreshold || Math.abs(zRate) > opts.zThreshold) {
      flags.push({
        code: 'NEIGHBOUR_OUTLIER',
        meterId: m.meterId,
        message: `mean ${m.meanKmh} km/h${relative ? ` (${round(100 * speedOf(m), 1)} % of its ${m.speedLimitKmh} km/h limit)` : ''} and violation rate ${(m.violationRate * 100).toFixed(1)} % against ${near.length} neighbours (within ${round(near[near.length - 1]!.km, 2)} km): robust z ${round(zMean, 1)} (speed${relative ? ' / limit' : ''}), ${round(zRate, 1)} (violations)`,
        details: { zMean, zRate, relativeToLimit: relative, neighbours: near.map((n) => n.o.meterId) },
      });
    }
  }

  // The same raw sensor data twice: a replay under another meter or sequence number.
  const byDigest = new Map<string, SurveilReading[]>();
  for (const r of collected.readings) {
    let list = byDigest.get(r.rawDigest);
    if (list === undefined) byDigest.set(r.rawDigest, (list = []));
    list.push(r);
  }
  for (const [digest, list] of byDigest) {
    if (list.length < 2) continue;
    const first = list[0]!;
    for (const r of list.slice(1)) {
      flags.push({
        code: 'DIGEST_COLLISION',
        meterId: r.meterId,
        blockNum: r.blockNum,
        txId: r.txId,
        sequence: r.sequence,
        message: `raw sensor data identical to meter ${first.meterId} sequence ${first.sequence} (block ${first.blockNum})`,
        details: { digest, first: { meterId: first.meterId, sequence: first.sequence, txId: first.txId } },
      });
    }
  }

  const measuredAll = collected.readings.filter((r) => r.status === 'MEASURED' && r.speedKmh !== undefined);
  const violations = measuredAll.filter((r) => r.exceeded === true).length;
  const flagCounts: Partial<Record<FlagCode, number>> = {};
  for (const f of flags) flagCounts[f.code] = (flagCounts[f.code] ?? 0) + 1;
  return {
    source,
    generatedAt: new Date().toISOString(),
    blocks: collected.blocks,
    transactions: collected.transactions,
    readings: collected.readings.length,
    measured: measuredAll.length,
    violations,
    violationRate: measuredAll.length === 0 ? 0 : round(violations / measuredAll.length, 4),
    meters,
    hourly: hourlyStats,
    histogram: histogram(measuredAll.map((r) => r.speedKmh!)),
    flags,
    flagCounts,
    options: opts,
  };
}
