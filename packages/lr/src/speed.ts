// SPDX-License-Identifier: Apache-2.0
// The dual-loop speed computation: the signal processing behind the LR decision (decision.ts).
//
// Ground truth is the average speed of the vehicle's front between the leading edges of the two
// loops: spacing / (tB - tA). Each loop's signal is a function of the vehicle's position, so the
// same point of the rising edge (a fixed fraction of that loop's own peak, which makes it
// independent of the loop gain) is reached when the front is at the same distance past each
// loop's leading edge. The delay between those instants, averaged over several fractions to
// reduce noise, gives the speed. Every check that fails refuses the event: no number is better
// than a wrong number.
//
// Each threshold below carries its reason. "Engineering choice" marks a value chosen for this
// meter type and checked on the reference sets (docs/LR-ACCURACY.md), not taken from a regulation.
import type { LoopGeometry } from './geometry';
import { refuse, type SpeedRefusal, type SpeedResult } from './result';
import { ACTIVE_SD, edgesOffTheMotion, separateOccupancies, twoSpeedGroups, type LoopSignal } from './twovehicles';

/** The meter type's measuring range (engineering choice, declared for type approval; the MPE applies within it). */
export const MIN_SPEED_KMH = 5;
export const MAX_SPEED_KMH = 250;

/** The meter records at least this long before the vehicle reaches loop A and after it leaves loop B (the meter type's pre/post-trigger time). */
const BASELINE_S = 0.1;
/**
 * Fractions of each loop's own peak at which edges are timed (engineering choice): below 0.2 an
 * edge is in the fringe field and the noise; above 0.6 a level may fall on the vehicle's own
 * profile (engine, axles) instead of the loop's edge.
 */
const EDGE_LEVELS = [0.2, 0.3, 0.4, 0.5, 0.6] as const;
type EdgeLevel = (typeof EDGE_LEVELS)[number];
/** Index of a level in EDGE_LEVELS: every use of a level names its value, never its position. */
function levelIndex(level: EdgeLevel): number {
  return EDGE_LEVELS.indexOf(level);
}
/**
 * The rising edge is extended to zero through these two levels to find when the front reaches
 * the loop's leading edge (between 20 % and 40 % of the peak the edge is close to straight: the
 * vehicle is covering the loop). HIGH = 2 × LOW, so the extension is 2·t(LOW) − t(HIGH).
 */
const ONSET_LOW: EdgeLevel = 0.2;
const ONSET_HIGH: EdgeLevel = 0.4;
if (ONSET_HIGH !== 2 * ONSET_LOW) throw new Error('the onset extension 2·t(LOW) − t(HIGH) needs HIGH = 2 × LOW');
/** Half the peak: a loop counts as occupied while its signal is above it (the usual occupancy threshold). */
const OCCUPANCY_LEVEL: EdgeLevel = 0.5;
/** Between the window's first and last BASELINE_S, the raw spread of a quiet loop changes little; a vehicle raises it far more than 3× (engineering choice). */
const MAX_QUIET_SPREAD_RATIO = 3;
/** A vehicle is present at peak ≥ 12 × the filtered noise sd: Gaussian noise reaches 12 sd with negligible probability even over 65,536 samples (engineering choice). */
const MIN_SNR = 12;
/** And at ≥ 20 counts: above rounding and hum residue; the weakest motorcycle the meter type must see gives ≥ 150 counts (engineering choice). */
const MIN_PEAK_COUNTS = 20;
/** Floor of the noise estimate, counts: the ADC's rounding alone leaves 0.29 counts sd. */
const MIN_NOISE_COUNTS = 0.5;
/** At the end of the window the filtered signal must be back within 25 % of the peak of its start level (else the vehicle is still there). */
const MAX_END_OFFSET_OF_PEAK = 0.25;
/** After drift removal the signal may dip below the baseline by at most 20 % of the peak: a deeper dip means the window opened on a vehicle. */
const MAX_TROUGH_OF_PEAK = 0.2;
/** Largest distance of any edge pair's speed from the fitted motion: under a third of the 7 % MPE; valid events scatter well below it (engineering choice). */
const MAX_EDGE_RESIDUAL = 0.02;
/** m/s²: twice what tyres allow (about 1 g): beyond it the edges are noise, not motion. */
const MAX_ACCELERATION = 20;
/** Between the two loops' peaks: loops of one model, tuned alike, differ by far less; 2× is a loop fault (engineering choice). */
const MAX_GAIN_RATIO = 2;
/** Between the loops' occupancy times: allows hard braking between the loops, refuses loops that saw different vehicles (engineering choice). */
const MAX_OCCUPANCY_RATIO = 1.6;
/** A raw sample this many times the quiet sample-to-median spread from the median of its 5 neighbours is a spike (noise gets there with negligible probability; a spike in the quiet start itself only raises the limit). */
const SPIKE_SD = 8;
/** The int16 rails: a sample there is clipped (the reading format stores int16). */
const ADC_MIN = -32768;
const ADC_MAX = 32767;
/** Mains frequencies whose hum is nulled: 60 Hz in Brazil, 50 Hz for meters elsewhere. */
const MAINS_HZ = [50, 60] as const;

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
  let sum = 0,
    sq = 0;
  for (let i = from; i < to; i++) {
    sum += raw[i]!;
    sq += raw[i]! * raw[i]!;
  }
  const mean = sum / (to - from);
  const limit = 4 * Math.sqrt(Math.max(0, sq / (to - from) - mean * mean));
  let n = 0;
  sum = 0;
  sq = 0;
  for (let i = from; i < to; i++) {
    const d = raw[i]! - mean;
    if (Math.abs(d) <= limit) {
      n++;
      sum += d;
      sq += d * d;
    }
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

interface LoopEdges extends LoopSignal {
  vehicle: true;
  lead: number[]; // rising crossing per level, in samples
  trail: number[]; // falling crossing per level, in samples
}

/** Median of the 5 samples around i (2 ≤ i < n − 2), by a fixed comparison network (no allocation, no sort). */
function median5At(x: Int16Array, i: number): number {
  let a = x[i - 2]!,
    b = x[i - 1]!,
    d = x[i + 1]!,
    e = x[i + 2]!,
    t: number;
  const c = x[i]!;
  if (a > b) {
    t = a;
    a = b;
    b = t;
  }
  if (d > e) {
    t = d;
    d = e;
    e = t;
  }
  if (a > d) {
    t = a;
    a = d;
    d = t;
    t = b;
    b = e;
    e = t;
  }
  if (c > b) return b < d ? (c < d ? c : d) : b < e ? b : e;
  return c > d ? (c < e ? c : e) : b < d ? b : d;
}

/**
 * `raw` with isolated spikes replaced by the median of the 5 samples around them, or undefined
 * when there is none (the common case). A spike is a sample more than SPIKE_SD times the quiet
 * start's sample-to-median spread from its median: hum and drift change little over 5 samples,
 * edges and humps leave a sample near its median.
 */
function despiked(raw: Int16Array, nBase: number): Float64Array | undefined {
  const n = raw.length;
  let sq = 0,
    count = 0;
  for (let i = 2; i < nBase; i++) {
    const r = raw[i]! - median5At(raw, i);
    sq += r * r;
    count++;
  }
  const limit = SPIKE_SD * Math.max(1, Math.sqrt(sq / Math.max(1, count)));
  let out: Float64Array | undefined;
  for (let i = 2; i < n - 2; i++) {
    // cheap screen first: a spike stands out from both neighbours
    if (Math.abs(2 * raw[i]! - raw[i - 1]! - raw[i + 1]!) <= limit) continue;
    const m = median5At(raw, i);
    if (Math.abs(raw[i]! - m) > limit) {
      out ??= Float64Array.from(raw);
      out[i] = m;
    }
  }
  return out;
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
  const w50 = Math.max(1, Math.round(fs / MAINS_HZ[0]));
  const w60 = Math.max(1, Math.round(fs / MAINS_HZ[1]));
  const y = runningMean(runningMean(raw, w50), w60);
  // The filters' output is a full average only after both windows have filled.
  const settle = Math.min(w50 + w60, nBase >> 1);
  const pre = meanAndSd(y, settle, nBase);
  const post = meanAndSd(y, n - nBase, n);
  const noise = Math.max(pre.sd, MIN_NOISE_COUNTS);

  let peakPre = -Infinity;
  for (let i = settle; i < n; i++) peakPre = Math.max(peakPre, y[i]! - pre.mean);
  const detect = Math.max(MIN_SNR * noise, MIN_PEAK_COUNTS);
  if (peakPre < detect) return { vehicle: false };
  if (Math.abs(post.mean - pre.mean) > Math.max(MAX_END_OFFSET_OF_PEAK * peakPre, detect)) {
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
  if (trough < -Math.max(MAX_TROUGH_OF_PEAK * peak, detect)) {
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
  // The same filters and baseline on despiked samples, for the two-vehicle checks only.
  const spikeFree = despiked(raw, nBase);
  let clean = d;
  if (spikeFree) {
    const yc = runningMean(runningMean(spikeFree, w50), w60);
    clean = new Float64Array(n);
    for (let i = settle; i < n; i++) clean[i] = yc[i]! - (pre.mean + slope * (i - preCentre));
  }
  // How far the baseline-free signal strays from zero where no vehicle is (noise peaks, drift the
  // straight baseline does not follow): the baseline is known no better than that.
  let wander = 0;
  for (let i = settle; i < nBase; i++) wander = Math.max(wander, Math.abs(clean[i]!));
  for (let i = n - nBase; i < n; i++) wander = Math.max(wander, Math.abs(clean[i]!));
  let first = n,
    last = -1;
  for (let i = settle; i < n; i++) {
    if (clean[i]! > ACTIVE_SD * noise) {
      if (first === n) first = i;
      last = i;
    }
  }
  return { vehicle: true, peak, noise, detect, wander, lead, trail, clean, settle, active: [first, last] };
}

const ratioWithin = (a: number, b: number, limit: number): boolean => a / b <= limit && b / a <= limit;

/**
 * The vehicle speed from the two loops' ADC samples and the registered geometry (already checked
 * by the caller, decideSpeed). Pure and deterministic.
 */
export function computeSpeed(loopA: Int16Array, loopB: Int16Array, geometry: LoopGeometry): SpeedResult {
  const fs = geometry.sampleRateHz;
  const a = analyseLoop(loopA, fs, 'loop A');
  if ('kind' in a) return a;
  const b = analyseLoop(loopB, fs, 'loop B');
  if ('kind' in b) return b;
  if (!a.vehicle && !b.vehicle) return refuse('NO_VEHICLE', 'no vehicle signature on either loop');
  if (!a.vehicle) return refuse('LOOP_FAULT', 'loop A saw no vehicle while loop B did');
  if (!b.vehicle) return refuse('INCOMPLETE_EVENT', 'loop B never fired within the window');
  const split = separateOccupancies(a, b, fs);
  if (split) return refuse('TWO_VEHICLES', split);

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
    for (const [ta, tb] of [
      [a.lead[k]!, b.lead[k]!],
      [a.trail[k]!, b.trail[k]!],
    ] as const) {
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
  if (worst > MAX_EDGE_RESIDUAL || Math.abs(line.slope) > MAX_ACCELERATION) {
    // No one plausible motion: if the edges move at two distinct speeds, two vehicles made them.
    const groups = twoSpeedGroups(speeds);
    if (groups) return refuse('TWO_VEHICLES', groups);
  }
  if (worst > MAX_EDGE_RESIDUAL) {
    return refuse('INCONSISTENT_EDGES', `edges do not fit one steady motion (${(worst * 100).toFixed(1)} % off)`);
  }
  if (Math.abs(line.slope) > MAX_ACCELERATION) {
    return refuse('INCONSISTENT_EDGES', `implausible acceleration ${line.slope.toFixed(1)} m/s²`);
  }
  const offMotion = edgesOffTheMotion(a, b, { ...line, from: Math.min(...times), to: Math.max(...times) }, fs, spacing);
  if (offMotion) return refuse('TWO_VEHICLES', offMotion);
  // The front crosses a loop's leading edge about when that loop's rising edge, extended
  // downwards through the ONSET_LOW and ONSET_HIGH levels, reaches zero. The speed is the fitted
  // motion's at the midpoint of those two instants: an edge timed further into the loop would
  // carry a bias under acceleration.
  const lo = levelIndex(ONSET_LOW);
  const hi = levelIndex(ONSET_HIGH);
  const onsetA = 2 * a.lead[lo]! - a.lead[hi]!;
  const onsetB = 2 * b.lead[lo]! - b.lead[hi]!;
  const speed = line.at((onsetA + onsetB) / 2 / fs); // m/s
  const k = levelIndex(OCCUPANCY_LEVEL);
  const occA = (a.trail[k]! - a.lead[k]!) / fs;
  const occB = (b.trail[k]! - b.lead[k]!) / fs;
  if (!ratioWithin(occA, occB, MAX_OCCUPANCY_RATIO)) {
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

function fitLine(x: number[], y: number[]): { slope: number; at(t: number): number; mx: number; my: number } {
  const n = x.length;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, at: (t) => my + slope * (t - mx), mx, my };
}
