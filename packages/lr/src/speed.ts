// SPDX-License-Identifier: Apache-2.0
// The legally relevant speed computation for a dual inductive loop.
//
// Ground truth is the average speed of the vehicle's front between the leading edges of the two
// loops: spacing / (tB - tA). Each loop's signal is a function of the vehicle's position, so the
// same point of the rising edge (a fixed fraction of that loop's own peak, which makes it
// independent of the loop gain) is reached when the front is at the same distance past each
// loop's leading edge. The delay between those instants, averaged over several fractions to
// reduce noise, gives the speed. Every check that fails refuses the event: no number is better
// than a wrong number.
import { LrError } from './errors';

export interface LoopGeometry {
  loopSpacingM: number; // leading edge of loop A to leading edge of loop B
  loopLengthM: number; // along the direction of travel
  sampleRateHz: number;
}

export type RefusalCode = 'NO_VEHICLE' | 'INCOMPLETE_EVENT' | 'LOOP_FAULT' | 'INCONSISTENT_EDGES' | 'OUT_OF_RANGE';

export interface SpeedMeasurement {
  kind: 'measurement';
  speedKmh: number; // rounded to 0.1 km/h
  vehicleLengthM: number; // rounded to 0.1 m; indicative, not legally relevant
  quality: Record<string, number>;
}

export interface SpeedRefusal {
  kind: 'refusal';
  code: RefusalCode;
  detail: string;
}

export type SpeedResult = SpeedMeasurement | SpeedRefusal;

export const MIN_SPEED_KMH = 5;
export const MAX_SPEED_KMH = 250;
const BASELINE_S = 0.1; // the meter records at least this long before and after the vehicle
const EDGE_LEVELS = [0.2, 0.3, 0.4, 0.5, 0.6]; // fractions of the loop's peak
const OCCUPANCY_LEVEL_INDEX = 3; // 0.5
const MAX_QUIET_SPREAD_RATIO = 3; // between the window's first and last BASELINE_S
const MIN_SNR = 12; // peak / filtered noise standard deviation
const MIN_PEAK_COUNTS = 20;
const MAX_EDGE_RESIDUAL = 0.02; // of any edge pair's speed from the fitted motion
const MAX_ACCELERATION = 20; // m/s², twice what tyres allow: beyond it the edges are noise
const MAX_GAIN_RATIO = 2; // between the two loops' peaks
const MAX_SPEED_RATIO = 1.6; // between the loops' occupancy times (allows hard braking)
const ADC_MIN = -32768;
const ADC_MAX = 32767;

function refuse(code: RefusalCode, detail: string): SpeedRefusal {
  return { kind: 'refusal', code, detail };
}

/** Running mean over `w` samples (shorter at the start). Both loops get identical filters, so the delay cancels. */
function runningMean(x: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]!;
    if (i >= w) sum -= x[i - w]!;
    out[i] = sum / Math.min(i + 1, w);
  }
  return out;
}

/** Standard deviation after dropping samples beyond 4 sd (at least 1 count): ignores isolated spikes. */
function robustSpread(raw: Int16Array, from: number, to: number): number {
  let sum = 0, sq = 0;
  for (let i = from; i < to; i++) { sum += raw[i]!; sq += raw[i]! * raw[i]!; }
  const mean = sum / (to - from);
  const limit = 4 * Math.sqrt(Math.max(0, sq / (to - from) - mean * mean));
  let n = 0; sum = 0; sq = 0;
  for (let i = from; i < to; i++) {
    const d = raw[i]! - mean;
    if (Math.abs(d) <= limit) { n++; sum += d; sq += d * d; }
  }
  return Math.max(1, Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)));
}

function meanAndSd(x: Float64Array, from: number, to: number): { mean: number; sd: number } {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]!;
  const mean = sum / (to - from);
  let sq = 0;
  for (let i = from; i < to; i++) sq += (x[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(sq / (to - from)) };
}

interface LoopEdges {
  vehicle: true;
  peak: number;
  noise: number;
  lead: number[]; // rising crossing per level, in samples
  trail: number[]; // falling crossing per level, in samples
}

function analyseLoop(raw: Int16Array, fs: number, name: string): LoopEdges | { vehicle: false } | SpeedRefusal {
  const n = raw.length;
  const nBase = Math.ceil(BASELINE_S * fs);
  if (n < 3 * nBase) return refuse('INCOMPLETE_EVENT', `${name}: window of ${n} samples is too short`);
  let min = ADC_MAX;
  let max = ADC_MIN;
  for (let i = 0; i < n; i++) {
    const v = raw[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === ADC_MIN || max === ADC_MAX) return refuse('LOOP_FAULT', `${name}: ADC saturated`);
  if (max - min <= 1) return refuse('LOOP_FAULT', `${name}: no signal (constant output)`);

  // The window must open and close on an empty loop: its raw spread must be the same at both ends.
  const spreadPre = robustSpread(raw, 0, nBase);
  const spreadPost = robustSpread(raw, n - nBase, n);
  if (spreadPre > MAX_QUIET_SPREAD_RATIO * spreadPost) return refuse('INCOMPLETE_EVENT', `${name}: not quiet at the start of the window`);
  if (spreadPost > MAX_QUIET_SPREAD_RATIO * spreadPre) return refuse('INCOMPLETE_EVENT', `${name}: not quiet at the end of the window`);

  // Two running means of one 50 Hz and one 60 Hz period null mains hum of either frequency.
  const w50 = Math.max(1, Math.round(fs / 50));
  const w60 = Math.max(1, Math.round(fs / 60));
  const y = runningMean(runningMean(raw, w50), w60);
  const settle = Math.min(w50 + w60, nBase >> 1);
  const pre = meanAndSd(y, settle, nBase);
  const post = meanAndSd(y, n - nBase, n);
  const noise = Math.max(pre.sd, 0.5);

  let peakPre = -Infinity;
  for (let i = settle; i < n; i++) peakPre = Math.max(peakPre, y[i]! - pre.mean);
  const detect = Math.max(MIN_SNR * noise, MIN_PEAK_COUNTS);
  if (peakPre < detect) return { vehicle: false };
  if (Math.abs(post.mean - pre.mean) > Math.max(0.25 * peakPre, detect)) {
    return refuse('INCOMPLETE_EVENT', `${name}: signal has not returned to its baseline at the end of the window`);
  }

  // Remove slow baseline drift: a straight line through the quiet segments before and after.
  const preCentre = (settle + nBase) / 2;
  const slope = (post.mean - pre.mean) / (n - nBase / 2 - preCentre);
  const d = new Float64Array(n);
  let peak = -Infinity;
  let trough = Infinity;
  for (let i = settle; i < n; i++) {
    const v = y[i]! - (pre.mean + slope * (i - preCentre));
    d[i] = v;
    if (v > peak) peak = v;
    if (v < trough) trough = v;
  }
  if (trough < -Math.max(0.2 * peak, detect)) {
    return refuse('INCOMPLETE_EVENT', `${name}: baseline not quiet (vehicle present at the start of the window?)`);
  }

  const lead: number[] = [];
  const trail: number[] = [];
  for (const level of EDGE_LEVELS) {
    const thr = level * peak;
    let i = settle;
    while (d[i]! < thr) i++;
    let j = n - 1;
    while (d[j]! < thr) j--;
    if (i < nBase) return refuse('INCOMPLETE_EVENT', `${name}: vehicle present at the start of the window`);
    if (j >= n - nBase) return refuse('INCOMPLETE_EVENT', `${name}: vehicle present at the end of the window`);
    lead.push(i - 1 + (thr - d[i - 1]!) / (d[i]! - d[i - 1]!));
    trail.push(j + (d[j]! - thr) / (d[j]! - d[j + 1]!));
  }
  return { vehicle: true, peak, noise, lead, trail };
}

function checkGeometry(g: LoopGeometry): void {
  const ok =
    Number.isFinite(g.loopSpacingM) && g.loopSpacingM >= 0.5 && g.loopSpacingM <= 50 &&
    Number.isFinite(g.loopLengthM) && g.loopLengthM > 0 && g.loopLengthM <= 10 &&
    Number.isInteger(g.sampleRateHz) && g.sampleRateHz >= 100 && g.sampleRateHz <= 100_000;
  if (!ok) throw new LrError('INVALID_GEOMETRY', 'loop geometry out of range', { ...g });
}

const ratioWithin = (a: number, b: number, limit: number): boolean => a / b <= limit && b / a <= limit;

/**
 * Computes the vehicle speed from the two loops' ADC samples, using only the registered
 * geometry. Pure and deterministic. Throws only for an invalid geometry (`INVALID_GEOMETRY`).
 */
export function computeSpeed(loopA: Int16Array, loopB: Int16Array, geometry: LoopGeometry): SpeedResult {
  checkGeometry(geometry);
  const fs = geometry.sampleRateHz;
  const a = analyseLoop(loopA, fs, 'loop A');
  if ('kind' in a) return a;
  const b = analyseLoop(loopB, fs, 'loop B');
  if ('kind' in b) return b;
  if (!a.vehicle && !b.vehicle) return refuse('NO_VEHICLE', 'no vehicle signature on either loop');
  if (!a.vehicle) return refuse('LOOP_FAULT', 'loop A saw no vehicle while loop B did');
  if (!b.vehicle) return refuse('INCOMPLETE_EVENT', 'loop B never fired within the window');

  const gainRatio = b.peak / a.peak;
  if (!ratioWithin(b.peak, a.peak, MAX_GAIN_RATIO)) {
    return refuse('LOOP_FAULT', `loop peaks differ by a factor ${gainRatio.toFixed(2)}`);
  }
  const spacing = geometry.loopSpacingM;
  // Under constant acceleration the average speed over an interval is the speed at its midpoint
  // time. Each edge level gives one such point for the front (rising edges) and one for the rear
  // (falling edges); a straight line through them is the vehicle's speed over time.
  const times: number[] = [];
  const speeds: number[] = [];
  for (let k = 0; k < EDGE_LEVELS.length; k++) {
    for (const [ta, tb] of [[a.lead[k]!, b.lead[k]!], [a.trail[k]!, b.trail[k]!]] as const) {
      if (!(tb > ta)) return refuse('INCONSISTENT_EDGES', 'loop B fired before loop A');
      times.push((ta + tb) / 2 / fs);
      speeds.push((spacing * fs) / (tb - ta));
    }
  }
  const line = fitLine(times, speeds);
  let worst = 0;
  for (let i = 0; i < times.length; i++) {
    const fitted = line.at(times[i]!);
    worst = Math.max(worst, Math.abs(speeds[i]! - fitted) / fitted);
  }
  if (worst > MAX_EDGE_RESIDUAL) {
    return refuse('INCONSISTENT_EDGES', `edges do not fit one steady motion (${(worst * 100).toFixed(1)} % off)`);
  }
  if (Math.abs(line.slope) > MAX_ACCELERATION) {
    return refuse('INCONSISTENT_EDGES', `implausible acceleration ${line.slope.toFixed(1)} m/s²`);
  }
  // The front crosses a loop's leading edge about when that loop's rising edge, extended
  // downwards through the two lowest levels, reaches zero.
  const onsetA = 2 * a.lead[0]! - a.lead[2]!;
  const onsetB = 2 * b.lead[0]! - b.lead[2]!;
  const speed = line.at((onsetA + onsetB) / 2 / fs); // m/s
  const k = OCCUPANCY_LEVEL_INDEX;
  const occA = (a.trail[k]! - a.lead[k]!) / fs;
  const occB = (b.trail[k]! - b.lead[k]!) / fs;
  if (!ratioWithin(occA, occB, MAX_SPEED_RATIO)) {
    return refuse('INCONSISTENT_EDGES', `loop occupancies differ too much (${occA.toFixed(3)} s vs ${occB.toFixed(3)} s)`);
  }

  const kmh = speed * 3.6;
  if (!(kmh >= MIN_SPEED_KMH && kmh <= MAX_SPEED_KMH)) {
    return refuse('OUT_OF_RANGE', `${kmh.toFixed(1)} km/h is outside ${MIN_SPEED_KMH}..${MAX_SPEED_KMH} km/h`);
  }
  // At half peak a loop is occupied while the vehicle's length passes over it.
  const lengthA = line.at((a.lead[k]! + a.trail[k]!) / 2 / fs) * occA;
  const lengthB = line.at((b.lead[k]! + b.trail[k]!) / 2 / fs) * occB;
  const lengthM = (lengthA + lengthB) / 2;
  return {
    kind: 'measurement',
    speedKmh: Math.round(kmh * 10) / 10,
    vehicleLengthM: Math.round(lengthM * 10) / 10,
    quality: {
      snrA: Math.round(a.peak / a.noise),
      snrB: Math.round(b.peak / b.noise),
      gainRatio: Math.round(gainRatio * 1000) / 1000,
      accelerationMs2: Math.round(line.slope * 100) / 100,
      edgeResidualPct: Math.round(worst * 10000) / 100,
    },
  };
}

function fitLine(x: number[], y: number[]): { slope: number; at(t: number): number } {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]! / n; my += y[i]! / n; }
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (x[i]! - mx) * (y[i]! - my); sxx += (x[i]! - mx) ** 2; }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, at: (t) => my + slope * (t - mx) };
}

/** Brazilian maximum permissible error for speed meters: ±7 km/h up to 100 km/h, ±7 % above. */
export function withinMpe(measuredKmh: number, trueKmh: number): boolean {
  const mpe = trueKmh <= 100 ? 7 : 0.07 * trueKmh;
  return Math.abs(measuredKmh - trueKmh) <= mpe + 1e-9;
}
