// SPDX-License-Identifier: Apache-2.0
// The type-approval bench: runs the LR software over reference cases and judges it.
import { decideSpeed, withinMpe, type RefusalCode } from '@metroledger/lr';
import type { ParsedCase } from './cases';

/** Acceptance targets of the reference sets (issue 17): what the notified body's bench asserts. */
export const TARGETS = {
  /** No accepted result outside the legal MPE (±7 km/h up to 100 km/h, ±7 % above). */
  maxOutsideMpe: 0,
  /** Of valid events. */
  minAcceptedShare: 0.99,
  /** Of accepted valid events: within ±1 km/h up to 100 km/h, ±1 % above. */
  minWithinOnePercentShare: 0.995,
  /** Accepted valid events beyond ±2 km/h up to 100 km/h, ±2 % above. */
  maxBeyondTwoPercent: 0,
  maxInvalidAccepted: 0,
} as const;

export type CaseOutcome = { id: string; speedKmh: number; vehicleLengthM: number } | { id: string; refused: RefusalCode; detail: string };

/** Runs the LR decision on one case, as the chaincode would for a meter registered with the case's geometry. */
export function runCase(c: ParsedCase): CaseOutcome {
  const geometry = { loopSpacingM: c.loopSpacingM, loopLengthM: c.loopLengthM, sampleRateHz: c.sampleRateHz };
  const r = decideSpeed({ sampleRateHz: c.sampleRateHz, loopA: c.loopA, loopB: c.loopB }, { geometry });
  return r.kind === 'measurement'
    ? { id: c.id, speedKmh: r.speedKmh, vehicleLengthM: r.vehicleLengthM }
    : { id: c.id, refused: r.code, detail: r.detail };
}

/** Within ±1 km/h up to 100 km/h, ±1 % above (the MPE's shape, at a seventh of it). */
export const withinOnePercent = (measured: number, truth: number): boolean =>
  Math.abs(measured - truth) <= (truth <= 100 ? 1 : 0.01 * truth) + 1e-9;
/** Within ±2 km/h up to 100 km/h, ±2 % above. */
export const withinTwoPercent = (measured: number, truth: number): boolean =>
  Math.abs(measured - truth) <= (truth <= 100 ? 2 : 0.02 * truth) + 1e-9;

interface Bucket {
  valid: number;
  accepted: number;
  withinOne: number;
  beyondTwo: number;
  outsideMpe: number;
  absErrors: number[];
}
const newBucket = (): Bucket => ({ valid: 0, accepted: 0, withinOne: 0, beyondTwo: 0, outsideMpe: 0, absErrors: [] });

export interface BucketSummary {
  valid: number;
  accepted: number;
  acceptedShare: number;
  withinOneShare: number;
  beyondTwo: number;
  outsideMpe: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** How the invalid events of one scenario were decided. */
export interface ScenarioSummary {
  cases: number;
  accepted: number;
  refusedBy: Record<string, number>;
}

export interface VerificationSummary {
  cases: number;
  accepted: number;
  refused: Record<string, number>;
  withTruth: number;
  invalid: number;
  invalidAccepted: number;
  /** Invalid events by scenario (when the set names it), with their refusal codes. */
  invalidByScenario: Record<string, ScenarioSummary>;
  /** Refusal codes of valid events. */
  validRefusedBy: Record<string, number>;
  overall: BucketSummary;
  byClass: Record<string, BucketSummary>;
  bySpeedBand: Record<string, BucketSummary>;
  worst: { id: string; truthKmh: number; measuredKmh: number }[];
  /** Undefined when no case carried a truth. */
  verdict?: 'PASS' | 'FAIL';
  failures: string[];
}

const SPEED_BANDS: [string, number, number][] = [
  ['5-30', 0, 30],
  ['30-60', 30, 60],
  ['60-100', 60, 100],
  ['100-160', 100, 160],
  ['160-250', 160, Infinity],
];

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;
}

function summarise(b: Bucket): BucketSummary {
  const e = b.absErrors.slice().sort((x, y) => x - y);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    valid: b.valid,
    accepted: b.accepted,
    acceptedShare: b.valid ? b.accepted / b.valid : NaN,
    withinOneShare: b.accepted ? b.withinOne / b.accepted : NaN,
    beyondTwo: b.beyondTwo,
    outsideMpe: b.outsideMpe,
    p50: r(percentile(e, 0.5)),
    p95: r(percentile(e, 0.95)),
    p99: r(percentile(e, 0.99)),
    max: r(e.length ? e[e.length - 1]! : NaN),
  };
}

/** Accumulates outcomes and judges them against {@link TARGETS}. */
export class Verification {
  #cases = 0;
  #accepted = 0;
  #refused: Record<string, number> = {};
  #withTruth = 0;
  #invalid = 0;
  #invalidAccepted = 0;
  #overall = newBucket();
  #byClass = new Map<string, Bucket>();
  #byBand = new Map<string, Bucket>();
  #worst: { id: string; truthKmh: number; measuredKmh: number; err: number }[] = [];
  #invalidAcceptedIds: string[] = [];
  #byScenario = new Map<string, ScenarioSummary>();
  #validRefusedBy: Record<string, number> = {};

  add(c: ParsedCase, outcome: CaseOutcome): void {
    this.#cases++;
    if ('speedKmh' in outcome) this.#accepted++;
    else this.#refused[outcome.refused] = (this.#refused[outcome.refused] ?? 0) + 1;
    if (!c.truth) return;
    this.#withTruth++;
    if (!c.truth.valid) {
      this.#invalid++;
      const scenario = c.truth.scenario ?? 'unnamed';
      let sc = this.#byScenario.get(scenario);
      if (!sc) this.#byScenario.set(scenario, (sc = { cases: 0, accepted: 0, refusedBy: {} }));
      sc.cases++;
      if ('speedKmh' in outcome) {
        this.#invalidAccepted++;
        this.#invalidAcceptedIds.push(c.id);
        sc.accepted++;
      } else sc.refusedBy[outcome.refused] = (sc.refusedBy[outcome.refused] ?? 0) + 1;
      return;
    }
    if ('refused' in outcome) this.#validRefusedBy[outcome.refused] = (this.#validRefusedBy[outcome.refused] ?? 0) + 1;
    const truth = c.truth.speedKmh;
    const band = SPEED_BANDS.find(([, lo, hi]) => truth > lo && truth <= hi)?.[0] ?? 'other';
    const buckets = [this.#overall, bucket(this.#byClass, c.truth.vehicleClass), bucket(this.#byBand, band)];
    for (const b of buckets) {
      b.valid++;
      if (!('speedKmh' in outcome)) continue;
      const err = Math.abs(outcome.speedKmh - truth);
      b.accepted++;
      b.absErrors.push(err);
      if (withinOnePercent(outcome.speedKmh, truth)) b.withinOne++;
      if (!withinTwoPercent(outcome.speedKmh, truth)) b.beyondTwo++;
      if (!withinMpe(outcome.speedKmh, truth)) b.outsideMpe++;
    }
    if ('speedKmh' in outcome) {
      this.#worst.push({
        id: c.id,
        truthKmh: truth,
        measuredKmh: outcome.speedKmh,
        err: Math.abs(outcome.speedKmh - truth) / Math.max(truth, 100),
      });
      if (this.#worst.length > 40) this.#worst = this.#worst.sort((x, y) => y.err - x.err).slice(0, 5);
    }
  }

  summary(): VerificationSummary {
    const overall = summarise(this.#overall);
    const failures: string[] = [];
    if (this.#withTruth > 0) {
      if (overall.outsideMpe > TARGETS.maxOutsideMpe) failures.push(`${overall.outsideMpe} accepted results outside the MPE`);
      if (this.#overall.valid > 0 && overall.acceptedShare < TARGETS.minAcceptedShare)
        failures.push(`only ${(overall.acceptedShare * 100).toFixed(2)} % of valid events accepted`);
      if (this.#overall.accepted > 0 && overall.withinOneShare < TARGETS.minWithinOnePercentShare)
        failures.push(`only ${(overall.withinOneShare * 100).toFixed(2)} % within ±1 km/h / ±1 %`);
      if (overall.beyondTwo > TARGETS.maxBeyondTwoPercent) failures.push(`${overall.beyondTwo} accepted results beyond ±2 km/h / ±2 %`);
      if (this.#invalidAccepted > TARGETS.maxInvalidAccepted)
        failures.push(`${this.#invalidAccepted} invalid events accepted (${this.#invalidAcceptedIds.slice(0, 5).join(', ')})`);
    }
    const map = (m: Map<string, Bucket>): Record<string, BucketSummary> => Object.fromEntries([...m].map(([k, b]) => [k, summarise(b)]));
    return {
      cases: this.#cases,
      accepted: this.#accepted,
      refused: { ...this.#refused },
      withTruth: this.#withTruth,
      invalid: this.#invalid,
      invalidAccepted: this.#invalidAccepted,
      invalidByScenario: Object.fromEntries(
        [...this.#byScenario]
          .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
          .map(([k, v]) => [k, { ...v, refusedBy: { ...v.refusedBy } }]),
      ),
      validRefusedBy: { ...this.#validRefusedBy },
      overall,
      byClass: map(this.#byClass),
      bySpeedBand: Object.fromEntries(SPEED_BANDS.filter(([k]) => this.#byBand.has(k)).map(([k]) => [k, summarise(this.#byBand.get(k)!)])),
      worst: this.#worst
        .sort((x, y) => y.err - x.err)
        .slice(0, 5)
        .map(({ id, truthKmh, measuredKmh }) => ({ id, truthKmh, measuredKmh })),
      ...(this.#withTruth > 0 ? { verdict: failures.length ? ('FAIL' as const) : ('PASS' as const) } : {}),
      failures,
    };
  }
}

function bucket(m: Map<string, Bucket>, key: string): Bucket {
  let b = m.get(key);
  if (!b) m.set(key, (b = newBucket()));
  return b;
}

const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(2)} %`);

/** Human-readable report of a verification. */
export function formatSummary(s: VerificationSummary): string {
  const lines = [
    `cases: ${s.cases}   accepted: ${s.accepted}   refused: ${s.cases - s.accepted}`,
    `refused by code: ${
      Object.entries(s.refused)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || 'none'
    }`,
  ];
  if (s.withTruth === 0) {
    lines.push('no ground truth in this set: results only, no accuracy verdict');
    return lines.join('\n');
  }
  const row = (name: string, b: BucketSummary): string =>
    `${name.padEnd(12)} ${String(b.valid).padStart(6)} ${pct(b.acceptedShare).padStart(9)} ${pct(b.withinOneShare).padStart(9)} ${String(b.outsideMpe).padStart(5)}  ${[b.p50, b.p95, b.p99, b.max].map((x) => x.toFixed(2).padStart(6)).join(' ')}`;
  lines.push(
    `valid events: ${s.overall.valid}   invalid events: ${s.invalid}   invalid events wrongly accepted: ${s.invalidAccepted}`,
    `abs error km/h: p50 ${s.overall.p50}  p95 ${s.overall.p95}  p99 ${s.overall.p99}  max ${s.overall.max}`,
    `within ±1 km/h (≤100) / ±1 % (>100): ${pct(s.overall.withinOneShare)}   beyond ±2 km/h / ±2 %: ${s.overall.beyondTwo}   outside MPE (±7 km/h / ±7 %): ${s.overall.outsideMpe}`,
    `valid events refused by code: ${
      Object.entries(s.validRefusedBy)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || 'none'
    }`,
    ...Object.entries(s.invalidByScenario).map(
      ([k, v]) =>
        `invalid ${k}: ${v.cases} cases, ${v.accepted} accepted, refused ${Object.entries(v.refusedBy)
          .map(([c, n]) => `${c}=${n}`)
          .join(' ')}`,
    ),
    '',
    `${'group'.padEnd(12)} ${'valid'.padStart(6)} ${'accepted'.padStart(9)} ${'within1'.padStart(9)} ${'>MPE'.padStart(5)}  ${['p50', 'p95', 'p99', 'max'].map((x) => x.padStart(6)).join(' ')}`,
    ...Object.entries(s.byClass).map(([k, b]) => row(k, b)),
    ...Object.entries(s.bySpeedBand).map(([k, b]) => row(`${k} km/h`, b)),
    row('all', s.overall),
    '',
    `worst: ${s.worst.map((w) => `${w.id} truth ${w.truthKmh} measured ${w.measuredKmh}`).join('; ') || '-'}`,
    `verdict: ${s.verdict}${s.failures.length ? ` (${s.failures.join('; ')})` : ''}`,
  );
  return lines.join('\n');
}
