// SPDX-License-Identifier: Apache-2.0
// Two vehicles in the detection zone. OIML R 91 (2.2, certainty of vehicle identification) asks a
// speed meter to invalidate its result when two or more vehicles with different speeds pass
// simultaneously. On a dual loop that happens when a second vehicle reaches loop A before the
// first has left loop B: the first rising edges belong to one vehicle and the last falling edges
// to the other, and a front-edge pair of one with a rear-edge pair of the other can fit one
// braking line. The edges the speed is computed from cannot tell; the rest of the signal can:
//
// 1. A loop whose signal falls back to its baseline between two occupancies saw two vehicles.
// 2. Faint edges (1–15 % of the peak) belong to whatever first enters and last leaves the loops:
//    a weaker vehicle just ahead of or behind the measured one. They must move from loop A to
//    loop B at the measured motion, as the main edges do.
// 3. Steep edges inside the signal (where one vehicle ends and the next begins, or a vehicle's
//    own axles and engine) must move at the measured motion too.
//
// 4. When the main edges fit no one plausible motion, but split into two groups that each move
//    at one speed, those speeds ≥ 10 % apart, two vehicles made them (each level's edge belongs
//    to whichever vehicle dominates it).
// 5. A part of the signal set apart by a deep valley (the loop nearly empties between a weaker
//    vehicle and the measured one) is timed at half its own height, where its edges are steep even
//    when it is a few percent of the peak: it must move with the measured motion too. The faint
//    levels of check 2 time such a part only loosely, and check 3's levels may miss it.
//
// A single rigid vehicle passes all five, whatever its acceleration, because every part of it
// moves with one motion. Checks 2, 3 and 5 compare edge pairs with the motion fitted to the main
// edges; both loops' edges come from the despiked signal, so an isolated spike moves no edge.

/** One loop's despiked, filtered, baseline-free signal and its scale. */
export interface LoopSignal {
  /** Counts, one per sample; undefined (0) before `settle`. */
  readonly clean: Float64Array;
  readonly settle: number;
  readonly peak: number;
  /** Noise standard deviation of the filtered signal, counts. */
  readonly noise: number;
  /** Counts above which a vehicle is present (the detection threshold). */
  readonly detect: number;
  /** Largest |count| in the quiet start and end of the window (noise peaks and drift the baseline line leaves): the baseline's own error. */
  readonly wander: number;
  /** First and last sample where `clean` exceeds ACTIVE_SD noise sd: outside them no level above that is crossed. */
  readonly active: readonly [number, number];
}

/** The active span of a loop signal is where it exceeds this many noise sd. */
export const ACTIVE_SD = 3;

/** The vehicle's speed over time fitted to the main edges: v(t) = my + slope·(t − mx), t in seconds. */
export interface FittedMotion {
  readonly mx: number;
  readonly my: number;
  readonly slope: number;
  /** The span of the main edge pairs' midpoints, seconds: the motion is measured there, extrapolated outside. */
  readonly from: number;
  readonly to: number;
}

/**
 * Crossings leave the level only once the signal is this far past it (hysteresis, in noise
 * standard deviations): noise alone crosses 3 sd rarely and never twice in a row.
 */
const HYSTERESIS_SD = 3;
/** A loop is back at its baseline below 3/4 of the detection threshold (and HYSTERESIS_SD below it). */
const OCCUPANCY_HYSTERESIS = 0.25;
/**
 * An occupancy counts as a vehicle when its signal reaches twice the detection threshold: the
 * slow tail of a long vehicle can hover around the threshold and cross it a few times, never
 * by 12 more noise sd (engineering choice).
 */
const OCCUPANCY_MIN_PEAK = 2;
/**
 * Fractions of the peak whose first rise and last fall are checked as faint edges (engineering
 * choice): below the 0.2 used for the speed, down to what a motorcycle next to a truck gives.
 */
const FAINT_LEVELS = [0.01, 0.02, 0.03, 0.05, 0.1, 0.15] as const;
/** Hysteresis of a faint level: a quarter of the level (a faint edge is a whole edge, not a ripple on a tail). */
const FAINT_HYSTERESIS_OF_LEVEL = 0.25;
/** A faint level is used only where it is at least 8 noise sd and 20 counts above the baseline (else its timing is noise, rounding and drift). */
const FAINT_MIN_SNR = 8;
const FAINT_MIN_COUNTS = 20;
/**
 * A faint crossing's timing error is the level's error over the signal's slope there; the pair's
 * tolerance grows by both crossings' errors relative to the transit time (a slow, shallow tail is
 * timed loosely). The level's error: the baseline's own (3 noise sd, or the wander of the quiet
 * ends when larger: drift the baseline line does not follow), 2 counts of rounding, and the two
 * loops' different normalised shapes. That last term scales with the signal present at the
 * crossing, not with the peak (1.1.0 took 0.5 % of the peak, ten times the level's share at 1 %
 * and so blind to a weak vehicle's own edges): each loop is normalised to its own peak, so what
 * differs at a faint level is the shape (fringe fields up to 6 % apart, loop lengths ±2 cm, the
 * detectors' compression near the peak), a few percent of the level (engineering choice: 5 %).
 */
const FAINT_LEVEL_ERROR_COUNTS = 2;
const FAINT_LEVEL_ERROR_OF_LEVEL = 0.05;
/**
 * Largest distance of a faint edge pair's speed from the motion, beyond the pair's own timing
 * error: another vehicle 12 % faster or slower gives ≥ 10 %; single vehicles stay inside 5 % plus
 * their timing error on the reference sets (engineering choice).
 */
const MAX_FAINT_EDGE_RESIDUAL = 0.05;
/** Hysteresis of an inner level: 2 % of the peak, above the ripple of a vehicle's floor. */
const INNER_HYSTERESIS_OF_PEAK = 0.02;
/** Fractions of the peak whose inner crossings are checked (engineering choice: 0.1–0.7 spans what lies between two vehicles). */
const INNER_LEVELS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7] as const;
/**
 * An inner crossing's timing error is the level's error over the signal's slope there: 3 noise
 * sd, plus 1 % of the peak because the two loops' normalised signals differ by about that much
 * (fringe fields and loop lengths are not identical), which matters where the signal is flat.
 */
const INNER_LEVEL_ERROR_OF_PEAK = 0.01;
/**
 * An inner crossing's partner on loop B is the crossing of the same rank; it must lie within ±30 %
 * of the transit time from where the motion predicts it (two vehicles 12 % apart are off by less), and be the
 * crossing of its direction nearest to that prediction.
 */
const INNER_SEARCH = 0.3;
/** ... and rise or fall about as steeply (within 2×, relative to each loop's peak): a steeper or flatter partner is another edge. */
const INNER_MAX_STEEPNESS_RATIO = 2;
/**
 * Largest distance of an inner edge pair's speed from the motion, beyond the pair's timing error:
 * single vehicles stay inside 1 % plus their timing error on the reference sets; where one vehicle
 * ends and another 12 % faster or slower begins, edges are ≥ 4 % off (engineering choice).
 */
const MAX_INNER_EDGE_RESIDUAL = 0.01;

/**
 * Check 5: a valley splits the signal into two parts when it falls below half the lower part's
 * height (engineering choice: the floor, axles and engine of one vehicle stay above a third of its
 * height on the reference sets, and such parts pass anyway, since they move with the vehicle).
 */
const VALLEY_OF_PART = 0.5;
/**
 * Check 5 times a weaker vehicle: a part reaching above half the peak is the measured vehicle's own
 * (a tractor and its trailer), timed by the main and inner edges, and its half height would lie
 * high on its profile, where the loops' shapes differ most (a 14.6 m vehicle at 70 km/h with two such parts
 * was refused in the São Paulo job before this bound).
 */
const MAX_PART_OF_PEAK = 0.5;
/**
 * ... and a part below 3 % of the peak is left to the faint levels of check 2: its half height lies
 * within the baseline's wander and the smeared noise bursts of a long slow passage, and parts that
 * low pair with unrelated bumps on the other loop (engineering choice: an independent-generator bus
 * at 8 km/h was refused on such a pair).
 */
const MIN_PART_OF_PEAK = 0.03;
/** Loops see the same part at about the same share of their own peak (within 1.5×, engineering choice); else the valleys are not the same gap. */
const MAX_PART_SHARE_RATIO = 1.5;
/**
 * A part's half-height crossing is off by its level's error over the slope there: 3 noise sd, 2
 * counts of rounding, and 5 % of the part's height for the loops' different shapes (as for faint edges).
 */
const PART_LEVEL_ERROR_OF_HEIGHT = 0.05;

/** Check 4: edge pairs of one group agree within 2 % of their mean (as edges of one motion must, MAX_EDGE_RESIDUAL). */
const SPEED_GROUP_TOLERANCE = 0.02;
/** And two groups' speeds are ≥ 10 % apart: two vehicles 12 % apart, less the groups' tolerance (engineering choice). */
const SPEED_GROUP_MIN_GAP = 0.1;
/** Each group has at least two edge pairs: one stray pair is noise, not a vehicle. */
const SPEED_GROUP_MIN_SIZE = 2;

interface Crossing {
  /** Sample index, interpolated. */
  t: number;
  up: boolean;
  /** |slope| at the crossing, counts per sample. */
  slope: number;
}

/** |Slope| of a loop's signal at sample `j`, counts per sample, measured `span` samples either side. */
function slopeAt(e: LoopSignal, j: number, span: number): number {
  const g = e.clean;
  return Math.abs(g[Math.min(j + span, g.length - 1)]! - g[Math.max(j - span, e.settle)]!) / (2 * span);
}

/** Every crossing of `level` (counts), with hysteresis `h`: the signal starts and ends below it. */
function crossings(e: LoopSignal, level: number, h: number, slopeSpan: number): Crossing[] {
  const g = e.clean;
  const out: Crossing[] = [];
  let high = false;
  // Outside the active span the signal stays below ACTIVE_SD noise sd: no crossing of a level above it.
  const inSpan = level - h > ACTIVE_SD * e.noise;
  const from = inSpan ? Math.max(e.settle + 1, e.active[0]) : e.settle + 1;
  const to = inSpan ? Math.min(g.length, e.active[1] + 2) : g.length;
  for (let i = from; i < to; i++) {
    if (!high && g[i]! >= level + h) {
      let j = i;
      while (j > e.settle + 1 && g[j - 1]! >= level) j--;
      out.push({ t: j - 1 + (level - g[j - 1]!) / (g[j]! - g[j - 1]!), up: true, slope: slopeAt(e, j, slopeSpan) });
      high = true;
    } else if (high && g[i]! <= level - h) {
      let j = i;
      while (j > e.settle + 1 && g[j - 1]! <= level) j--;
      out.push({ t: j - 1 + (g[j - 1]! - level) / (g[j - 1]! - g[j]!), up: false, slope: slopeAt(e, j, slopeSpan) });
      high = false;
    }
  }
  return out;
}

/**
 * The first rise and the last fall of {@link crossings} (same hysteresis, same interpolation),
 * found from either end of the signal: the faint checks need no others.
 */
function outerCrossings(e: LoopSignal, level: number, h: number, slopeSpan: number): [Crossing, Crossing] | undefined {
  const g = e.clean;
  let i = e.settle + 1;
  while (i < g.length && g[i]! < level + h) i++;
  if (i >= g.length) return undefined;
  let j = i;
  while (j > e.settle + 1 && g[j - 1]! >= level) j--;
  const rise: Crossing = { t: j - 1 + (level - g[j - 1]!) / (g[j]! - g[j - 1]!), up: true, slope: slopeAt(e, j, slopeSpan) };
  let k = g.length - 1;
  while (k > i && g[k]! < level + h) k--;
  let trigger = k + 1;
  while (trigger < g.length && g[trigger]! > level - h) trigger++;
  if (trigger >= g.length) return undefined;
  j = trigger;
  while (j > e.settle + 1 && g[j - 1]! <= level) j--;
  const fall: Crossing = { t: j - 1 + (g[j - 1]! - level) / (g[j - 1]! - g[j]!), up: false, slope: slopeAt(e, j, slopeSpan) };
  return [rise, fall];
}

/** Check 1: a loop that returns to its baseline between two occupancies. Needs no motion. */
export function separateOccupancies(a: LoopSignal, b: LoopSignal, fs: number): string | undefined {
  const span = slopeSpan(fs);
  for (const [name, e] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const h = Math.max(HYSTERESIS_SD * e.noise, OCCUPANCY_HYSTERESIS * e.detect);
    const c = crossings(e, e.detect, h, span);
    let occupancies = 0;
    for (let k = 0; k + 1 < c.length; k += 2) {
      let top = -Infinity;
      for (let i = Math.floor(c[k]!.t); i <= Math.ceil(c[k + 1]!.t); i++) top = Math.max(top, e.clean[i]!);
      if (top >= OCCUPANCY_MIN_PEAK * e.detect) occupancies++;
    }
    if (occupancies >= 2) return `loop ${name} returns to its baseline between ${occupancies} occupancies`;
  }
  return undefined;
}

/** Samples either side over which a crossing's slope is measured: a quarter of a 60 Hz period (the filters smooth at that scale). */
function slopeSpan(fs: number): number {
  return Math.max(2, Math.round(fs / 240));
}

/** Pair residuals against the fitted motion, for one event. */
class MotionCheck {
  readonly #m: FittedMotion;
  readonly #fs: number;
  readonly #spacingM: number;

  constructor(motion: FittedMotion, fs: number, spacingM: number) {
    this.#m = motion;
    this.#fs = fs;
    this.#spacingM = spacingM;
  }

  /** The motion's speed at `t` seconds, m/s. */
  speedAt(t: number): number {
    return this.#m.my + this.#m.slope * (t - this.#m.mx);
  }

  /** Sample at which the part of the vehicle over loop A's point at sample `ta` reaches the same point of loop B. */
  arrivalAtB(ta: number): number {
    const { mx, my, slope } = this.#m;
    const t = ta / this.#fs;
    const x = my * (t - mx) + 0.5 * slope * (t - mx) ** 2 + this.#spacingM;
    const disc = my * my + 2 * slope * x;
    return disc < 0 ? NaN : (mx + (2 * x) / (my + Math.sqrt(disc))) * this.#fs;
  }

  /** Relative distance of a pair's average speed from the motion's speed at the pair's midpoint. */
  residual(ta: number, tb: number): number {
    if (!(tb > ta)) return Infinity;
    const fitted = this.speedAt((ta + tb) / 2 / this.#fs);
    return Math.abs((this.#spacingM * this.#fs) / (tb - ta) - fitted) / fitted;
  }

  /**
   * Whether a pair's average speed lies off the motion by more than `tolerance` of the speed, beyond
   * what the motion allows outside the span it was measured on. There constant acceleration is only
   * an assumption (a driver may start or stop braking): the acceleration may lie anywhere between
   * none and twice the measured one, so the speed within the measured acceleration times the time
   * outside of the extended motion's. Where the extended motion has stopped or reversed (a vehicle
   * accelerating hard from low speed, extended backwards), only the upper bound of that holds.
   */
  isOff(ta: number, tb: number, tolerance: number): boolean {
    if (!(tb > ta)) return true;
    const t = (ta + tb) / 2 / this.#fs;
    const outside = t < this.#m.from ? this.#m.from - t : t > this.#m.to ? t - this.#m.to : 0;
    const allowance = Math.abs(this.#m.slope) * outside;
    const fitted = this.speedAt(t);
    const speed = (this.#spacingM * this.#fs) / (tb - ta);
    if (fitted > 0) return Math.abs(speed - fitted) > tolerance * fitted + allowance;
    return speed - (fitted + allowance) > tolerance * speed;
  }

  describe(what: string, ta: number, tb: number): string {
    const kmh = (3.6 * this.#spacingM * this.#fs) / (tb - ta);
    const moves = `${what} moves at ${Number.isFinite(kmh) && kmh > 0 ? `${kmh.toFixed(1)} km/h` : 'no speed (loop B first)'}`;
    if (!(this.speedAt((ta + tb) / 2 / this.#fs) > 0)) return `${moves}, where the measured motion extended to that time has stopped`;
    return `${moves}, ${(this.residual(ta, tb) * 100).toFixed(1)} % off the measured motion`;
  }
}

/** Check 2: the first rise and last fall at faint levels. */
function faintEdges(a: LoopSignal, b: LoopSignal, check: MotionCheck, span: number): string | undefined {
  const usable = (e: LoopSignal, level: number): boolean => level * e.peak >= Math.max(FAINT_MIN_SNR * e.noise, FAINT_MIN_COUNTS);
  const timingError = (e: LoopSignal, c: Crossing, level: number): number =>
    (Math.max(HYSTERESIS_SD * e.noise, e.wander) + FAINT_LEVEL_ERROR_COUNTS + FAINT_LEVEL_ERROR_OF_LEVEL * level * e.peak) / c.slope;
  for (const level of FAINT_LEVELS) {
    if (!usable(a, level) || !usable(b, level)) continue;
    const ca = outerCrossings(a, level * a.peak, Math.max(HYSTERESIS_SD * a.noise, FAINT_HYSTERESIS_OF_LEVEL * level * a.peak), span);
    const cb = outerCrossings(b, level * b.peak, Math.max(HYSTERESIS_SD * b.noise, FAINT_HYSTERESIS_OF_LEVEL * level * b.peak), span);
    if (!ca || !cb) continue;
    for (const [x, y, which] of [
      [ca[0], cb[0], 'first rise'],
      [ca[1], cb[1], 'last fall'],
    ] as const) {
      const tolerance = MAX_FAINT_EDGE_RESIDUAL + (timingError(a, x, level) + timingError(b, y, level)) / Math.abs(y.t - x.t);
      if (check.isOff(x.t, y.t, tolerance)) return check.describe(`the ${which} at ${Math.round(level * 100)} % of the peak`, x.t, y.t);
    }
  }
  return undefined;
}

/** Check 3: every crossing inside the signal at the inner levels, paired by rank where both loops cross a level alike. */
function innerEdges(a: LoopSignal, b: LoopSignal, check: MotionCheck, span: number): string | undefined {
  const timingError = (e: LoopSignal, c: Crossing): number => (HYSTERESIS_SD * e.noise + INNER_LEVEL_ERROR_OF_PEAK * e.peak) / c.slope;
  for (const level of INNER_LEVELS) {
    const ca = crossings(a, level * a.peak, Math.max(HYSTERESIS_SD * a.noise, INNER_HYSTERESIS_OF_PEAK * a.peak), span);
    const cb = crossings(b, level * b.peak, Math.max(HYSTERESIS_SD * b.noise, INNER_HYSTERESIS_OF_PEAK * b.peak), span);
    // Only levels both loops cross alike: a dip just above the level on one loop and just below it
    // on the other (the loops' shapes differ by a percent) would pair unrelated edges.
    if (ca.length !== cb.length) continue;
    for (let k = 1; k < ca.length - 1; k++) {
      const x = ca[k]!;
      const y = cb[k]!;
      const predicted = check.arrivalAtB(x.t);
      if (!Number.isFinite(predicted)) continue;
      const offset = Math.abs(y.t - predicted);
      if (offset >= INNER_SEARCH * (predicted - x.t) || cb.some((c) => c !== y && c.up === x.up && Math.abs(c.t - predicted) < offset))
        continue;
      // The same edge has about the same steepness on both loops (relative to each peak).
      const steepA = x.slope / a.peak,
        steepB = y.slope / b.peak;
      if (steepA > INNER_MAX_STEEPNESS_RATIO * steepB || steepB > INNER_MAX_STEEPNESS_RATIO * steepA) continue;
      const tolerance = MAX_INNER_EDGE_RESIDUAL + (timingError(a, x) + timingError(b, y)) / (y.t - x.t);
      if (check.residual(x.t, y.t) > tolerance)
        return check.describe(`an inner ${x.up ? 'rise' : 'fall'} at ${Math.round(level * 100)} % of the peak`, x.t, y.t);
    }
  }
  return undefined;
}

/** The deepest valley of a loop's signal between two parts (check 5). */
interface Valley {
  /** Sample of the valley's floor. */
  at: number;
  /** Signal at the floor, and the lower part's highest point, counts. */
  floor: number;
  height: number;
  /** Whether the lower part comes first (a weaker vehicle ahead) or last (behind). */
  lowerFirst: boolean;
}

/**
 * The point where the signal falls furthest below the lower of the highest points before and after
 * it, if below VALLEY_OF_PART of it and that lower part lies between MIN_PART_OF_PEAK and MAX_PART_OF_PEAK of the peak.
 * The lower part must reach the detection threshold and stand
 * out from the floor by FAINT_MIN_SNR noise sd and FAINT_MIN_COUNTS: else its edges are noise.
 */
function deepestValley(e: LoopSignal): Valley | undefined {
  const g = e.clean;
  const [first, last] = e.active;
  if (last <= first) return undefined;
  const after = new Float64Array(last - first + 1);
  let top = -Infinity;
  for (let i = last; i >= first; i--) after[i - first] = top = Math.max(top, g[i]!);
  const minHeight = Math.max(e.detect, FAINT_MIN_SNR * e.noise, FAINT_MIN_COUNTS);
  let before = -Infinity;
  let best: Valley | undefined;
  let bestRatio = VALLEY_OF_PART;
  for (let i = first; i <= last; i++) {
    before = Math.max(before, g[i]!);
    const height = Math.min(before, after[i - first]!);
    if (height < minHeight || height < MIN_PART_OF_PEAK * e.peak || height > MAX_PART_OF_PEAK * e.peak || height - g[i]! < minHeight)
      continue;
    const ratio = g[i]! / height;
    if (ratio < bestRatio) {
      bestRatio = ratio;
      best = { at: i, floor: g[i]!, height, lowerFirst: before < after[i - first]! };
    }
  }
  return best;
}

/** The lower part's outer and inner crossings of half its height above the valley floor. */
function partEdges(e: LoopSignal, v: Valley, span: number): { outer: Crossing; inner: Crossing } | undefined {
  const g = e.clean;
  const level = v.floor + 0.5 * (v.height - v.floor);
  // Where the signal first reaches the level walking from `from` in steps of `step`, interpolated.
  const reach = (from: number, to: number, step: 1 | -1): Crossing | undefined => {
    for (let j = from + step; j !== to; j += step) {
      if (g[j]! >= level) {
        const p = j - step;
        return { t: p + (step * (level - g[p]!)) / (g[j]! - g[p]!), up: step === 1, slope: slopeAt(e, j, span) };
      }
    }
    return undefined;
  };
  const outer = v.lowerFirst ? reach(e.settle, v.at, 1) : reach(g.length - 1, v.at, -1);
  const inner = v.lowerFirst ? reach(v.at, e.settle, -1) : reach(v.at, g.length - 1, 1);
  return outer && inner ? { outer, inner } : undefined;
}

/** Check 5: the part beyond the deepest valley, timed at half its height on both loops. */
function separatedPart(a: LoopSignal, b: LoopSignal, check: MotionCheck, span: number): string | undefined {
  const va = deepestValley(a);
  const vb = deepestValley(b);
  if (!va || !vb || va.lowerFirst !== vb.lowerFirst) return undefined;
  const shareA = va.height / a.peak,
    shareB = vb.height / b.peak;
  if (shareA > MAX_PART_SHARE_RATIO * shareB || shareB > MAX_PART_SHARE_RATIO * shareA) return undefined;
  const pa = partEdges(a, va, span);
  const pb = partEdges(b, vb, span);
  if (!pa || !pb) return undefined;
  const timingError = (e: LoopSignal, v: Valley, c: Crossing): number =>
    (Math.max(HYSTERESIS_SD * e.noise, e.wander) + FAINT_LEVEL_ERROR_COUNTS + PART_LEVEL_ERROR_OF_HEIGHT * (v.height - v.floor)) / c.slope;
  for (const [x, y, which] of [
    [pa.outer, pb.outer, va.lowerFirst ? 'rise' : 'fall'],
    [pa.inner, pb.inner, va.lowerFirst ? 'fall' : 'rise'],
  ] as const) {
    // B first means these are not one feature's crossings.
    if (!(y.t > x.t)) continue;
    const tolerance = MAX_INNER_EDGE_RESIDUAL + (timingError(a, va, x) + timingError(b, vb, y)) / (y.t - x.t);
    if (check.isOff(x.t, y.t, tolerance)) {
      return check.describe(
        `the ${va.lowerFirst ? 'part ahead of' : 'part behind'} a valley (${Math.round(shareA * 100)} % of the peak), its ${which} at half its height,`,
        x.t,
        y.t,
      );
    }
  }
  return undefined;
}

/**
 * Checks 2, 3 and 5: edges that do not move with the motion fitted to the main edges. Returns why,
 * or undefined when every checked edge pair fits.
 */
export function edgesOffTheMotion(a: LoopSignal, b: LoopSignal, motion: FittedMotion, fs: number, spacingM: number): string | undefined {
  const check = new MotionCheck(motion, fs, spacingM);
  const span = slopeSpan(fs);
  return faintEdges(a, b, check, span) ?? innerEdges(a, b, check, span) ?? separatedPart(a, b, check, span);
}

/**
 * Check 4, for edges that fit no one plausible motion: whether the edge pairs' speeds (m/s) split
 * into two tight groups at distinct speeds. Returns why, or undefined.
 */
export function twoSpeedGroups(speeds: readonly number[]): string | undefined {
  const sorted = [...speeds].sort((p, q) => p - q);
  const tight = (g: number[]): number | undefined => {
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    return g.every((v) => Math.abs(v - mean) <= SPEED_GROUP_TOLERANCE * mean) ? mean : undefined;
  };
  for (let k = SPEED_GROUP_MIN_SIZE; k <= sorted.length - SPEED_GROUP_MIN_SIZE; k++) {
    const slow = tight(sorted.slice(0, k));
    const fast = tight(sorted.slice(k));
    if (slow !== undefined && fast !== undefined && fast >= (1 + SPEED_GROUP_MIN_GAP) * slow) {
      return `the edges move at two speeds: ${k} pairs at ${(slow * 3.6).toFixed(1)} km/h, ${sorted.length - k} at ${(fast * 3.6).toFixed(1)} km/h`;
    }
  }
  return undefined;
}
