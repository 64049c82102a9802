// SPDX-License-Identifier: Apache-2.0
// Physical model of a dual inductive loop passage, sampled by the meter's ADC.
//
// A vehicle is a magnetic profile along its length: a sum of Gaussian "bumps" (engine, axles,
// chassis floor), p(x) = sum h_k exp(-(x - c_k)^2 / 2 sigma_k^2), x measured backwards from the
// front. A loop's sensitivity along the road is its length L blurred by its fringe field
// (a Gaussian of width phi). The loop signal when the front is at road position s is the
// convolution of both, which has a closed form:
//   R(s) = sum h_k sqrt(2 pi) sigma_k [Phi((s - e - c_k) / v_k) - Phi((s - e - c_k - L) / v_k)],
//   v_k = sqrt(phi^2 + sigma_k^2), e = loop leading edge.
// The front moves with constant acceleration, so the truth (average front speed between the
// loops' leading edges) is exact: spacing / (t(spacing) - t(0)).
import type { LoopGeometry } from '@metroledger/lr';
import type { Rng } from './rng';

export type VehicleClass = 'motorcycle' | 'car' | 'van' | 'bus' | 'truck';
export const VEHICLE_CLASSES: readonly VehicleClass[] = ['motorcycle', 'car', 'van', 'bus', 'truck'];

export type EventScenario =
  'valid' | 'noise-only' | 'window-closed-before-loop-b' | 'window-closed-over-loop-b' | 'dead-loop' | 'wrong-direction';
/** The invalid scenarios of a single passage ({@link generateEvent}); the order is part of each seed's stream. */
export const INVALID_SCENARIOS: readonly EventScenario[] = [
  'noise-only',
  'window-closed-before-loop-b',
  'window-closed-over-loop-b',
  'dead-loop',
  'wrong-direction',
];
/** A second vehicle enters loop A before the first has left loop B ({@link generateTwoVehicleEvent}). */
export const TWO_VEHICLES_SCENARIO = 'two-vehicles';
export type InvalidScenario = Exclude<EventScenario, 'valid'> | typeof TWO_VEHICLES_SCENARIO;

/** One vehicle of a two-vehicle event: its class, its true speed between the loops, its length, and its signal's peak on loop A alone (counts). */
export interface VehicleTruth {
  vehicleClass: VehicleClass;
  speedKmh: number;
  vehicleLengthM: number;
  peakCounts?: number;
}

export type EventTruth =
  | { valid: true; speedKmh: number; vehicleClass: VehicleClass; vehicleLengthM: number }
  | {
      valid: false;
      reason: string;
      scenario?: InvalidScenario;
      /** Two-vehicle events: both vehicles, and the gap between the first one's rear and the second one's front when that front reached loop A. */
      vehicles?: VehicleTruth[];
      gapM?: number;
      /**
       * Both vehicles' speeds, km/h, when the second front reached loop A: ≥ 12 % apart (both
       * generators require it; the independent one, whose vehicles change speed most within a
       * passage, reports them).
       */
      entrySpeedsKmh?: [number, number];
    };

export interface GeneratedEvent {
  geometry: LoopGeometry;
  loopA: Int16Array;
  loopB: Int16Array;
  truth: EventTruth;
}

export interface GenerateEventOptions {
  /** Fixed (registered) geometry; random within 2-5 m spacing, 1.5-2 m loops, 1-4 kHz otherwise. */
  geometry: LoopGeometry;
  vehicleClass: VehicleClass;
  /** True average front speed between the loops, 5..250 km/h. */
  speedKmh: number;
  scenario: EventScenario;
  /** Probability of an invalid scenario when `scenario` is not given. Default 0.06. */
  invalidShare: number;
  /** Constant acceleration, m/s² (e.g. −8 for hard braking); random (mostly steady) otherwise. */
  accelerationMs2: number;
}

const MAX_SAMPLES = 65_536;
const SAMPLE_RATES = [1000, 1200, 1500, 2000, 2400, 3000, 4000];

interface Bump {
  c: number;
  sigma: number;
  h: number;
}
interface Vehicle {
  cls: VehicleClass;
  length: number;
  bumps: Bump[];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function floorBumps(rng: Rng, from: number, to: number, h: number, bumps: Bump[]): void {
  for (let c = from; c <= to; c += 0.7) bumps.push({ c, sigma: 0.4, h: h * rng.uniform(0.85, 1.15) });
}

function newVehicle(rng: Rng, cls: VehicleClass): Vehicle {
  const bumps: Bump[] = [];
  const j = (v: number): number => v * rng.uniform(0.8, 1.2);
  let length: number;
  switch (cls) {
    case 'motorcycle':
      length = round2(rng.uniform(1.8, 2.3));
      bumps.push({ c: 0.3, sigma: 0.1, h: j(0.4) }, { c: j(0.9), sigma: 0.25, h: 1 }, { c: length - 0.35, sigma: 0.12, h: j(0.5) });
      break;
    case 'car':
    case 'van': {
      length = round2(cls === 'car' ? rng.uniform(3.7, 5.2) : rng.uniform(4.8, 6.5));
      const floor = cls === 'car' ? rng.uniform(0.5, 0.7) : rng.uniform(0.35, 0.55);
      bumps.push({ c: 0.3, sigma: 0.2, h: j(0.4) }, { c: rng.uniform(0.8, 1.3), sigma: 0.35, h: 1 });
      floorBumps(rng, 1.6, length - 1.1, floor, bumps);
      bumps.push({ c: length - 0.9, sigma: 0.25, h: j(0.7) }, { c: length - 0.35, sigma: 0.2, h: j(0.3) });
      break;
    }
    case 'bus':
      length = round2(rng.uniform(10, 14));
      bumps.push({ c: 0.4, sigma: 0.3, h: j(0.5) }, { c: rng.uniform(2.2, 2.8), sigma: 0.3, h: j(0.9) });
      floorBumps(rng, 1, length - 1, rng.uniform(0.3, 0.45), bumps);
      bumps.push({ c: length - 3.2, sigma: 0.3, h: j(0.9) }, { c: length - 1.8, sigma: 0.5, h: j(1.1) });
      break;
    case 'truck': {
      length = round2(rng.uniform(8, 20));
      // Tractor: engine and cab low over the front axle, then the drive axles.
      bumps.push({ c: rng.uniform(0.6, 1.2), sigma: 0.5, h: 1 }, { c: rng.uniform(3.4, 4.8), sigma: 0.4, h: j(0.8) });
      floorBumps(rng, 2, length - 1, rng.uniform(0.15, 0.35), bumps);
      const axles = rng.int(1, 3);
      for (let k = 0; k < axles; k++) bumps.push({ c: length - 1.2 - 1.3 * k, sigma: 0.3, h: j(0.75) });
      break;
    }
  }
  return { cls, length, bumps };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7). */
function phiExact(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

// The CDF tabulated on [-8, 8] every 1/1024 and interpolated linearly (added error < 1e-7): the
// generator evaluates it millions of times per second of traffic.
const PHI_STEPS_PER_UNIT = 1024;
const PHI_LIMIT = 8;
const PHI_TABLE = Float64Array.from({ length: 2 * PHI_LIMIT * PHI_STEPS_PER_UNIT + 2 }, (_, i) =>
  phiExact(i / PHI_STEPS_PER_UNIT - PHI_LIMIT),
);

function phi(z: number): number {
  if (z <= -PHI_LIMIT) return 0;
  if (z >= PHI_LIMIT) return 1;
  const x = (z + PHI_LIMIT) * PHI_STEPS_PER_UNIT;
  const i = Math.floor(x);
  const f = x - i;
  return PHI_TABLE[i]! + (PHI_TABLE[i + 1]! - PHI_TABLE[i]!) * f;
}

interface Loop {
  edge: number;
  length: number;
  fringe: number;
}

/** Front positions (m) over which this loop sees the vehicle at all. */
function activeRange(v: Vehicle, loop: Loop): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (const b of v.bumps) {
    const w = 5 * Math.hypot(loop.fringe, b.sigma);
    lo = Math.min(lo, loop.edge + b.c - w);
    hi = Math.max(hi, loop.edge + b.c + loop.length + w);
  }
  return [lo, hi];
}

function response(v: Vehicle, loop: Loop, s: number): number {
  let r = 0;
  for (const b of v.bumps) {
    const w = Math.hypot(loop.fringe, b.sigma);
    const u = s - loop.edge - b.c;
    r += b.h * b.sigma * (phi(u / w) - phi((u - loop.length) / w));
  }
  return r;
}

function peakResponse(v: Vehicle, loop: Loop): number {
  let peak = 0;
  for (const x of responseTable(v, loop).values) peak = Math.max(peak, x);
  return peak;
}

/** Front position and time under constant acceleration, with t = 0 at the leading edge of loop A. */
class Motion {
  constructor(
    readonly v0: number,
    readonly a: number,
  ) {}
  position(t: number): number {
    return this.v0 * t + 0.5 * this.a * t * t;
  }
  timeAt(s: number): number {
    const disc = this.v0 * this.v0 + 2 * this.a * s;
    return (2 * s) / (this.v0 + Math.sqrt(Math.max(disc, 0)));
  }
  speedAt(t: number): number {
    return this.v0 + this.a * t;
  }
}

function randomGeometry(rng: Rng): LoopGeometry {
  return {
    loopSpacingM: Math.round(rng.uniform(2, 5) * 100) / 100,
    loopLengthM: Math.round(rng.uniform(1.5, 2) * 100) / 100,
    sampleRateHz: rng.pick(SAMPLE_RATES),
  };
}

function randomSpeedKmh(rng: Rng): number {
  // Skewed towards urban speeds but covering 5..250 km/h.
  return Math.round((5 + 245 * Math.pow(rng.next(), 1.4)) * 1000) / 1000;
}

function randomClass(rng: Rng): VehicleClass {
  const u = rng.next();
  return u < 0.12 ? 'motorcycle' : u < 0.67 ? 'car' : u < 0.82 ? 'van' : u < 0.9 ? 'bus' : 'truck';
}

/** Acceleration (m/s^2) that keeps the vehicle moving at >= 60 % of its speed over `distance`. */
function randomAcceleration(rng: Rng, v: number, spacing: number, distance: number): number {
  const u = rng.next();
  let a = u < 0.7 ? rng.uniform(-0.3, 0.3) : u < 0.85 ? rng.uniform(0.5, 2.5) : -rng.uniform(0.5, 4);
  const limitSpacing = (0.5 * v * v) / spacing; // speeds at the two loops stay within ±25 % of the truth
  const limitPassage = (0.64 * v * v) / (2 * distance); // braking never below 60 % over the whole passage
  a = Math.max(-Math.min(limitSpacing, limitPassage), Math.min(a, limitSpacing));
  return a;
}

interface Adc {
  offset: number;
  driftPerS: number;
  driftCurve: number;
  hum: number;
  humHz: number;
  humPhase: number;
  harmonic: number;
  noise: number;
  gain: number;
}

function newAdc(rng: Rng, humHz: number, noise: number, gain: number): Adc {
  return {
    offset: rng.uniform(-2000, 2000),
    driftPerS: rng.uniform(-3, 3),
    driftCurve: rng.uniform(-0.5, 0.5),
    hum: rng.chance(0.8) ? rng.uniform(0, 60) : 0,
    humHz: humHz + rng.uniform(-0.05, 0.05),
    humPhase: rng.uniform(0, 2 * Math.PI),
    harmonic: rng.uniform(0, 0.2),
    noise,
    gain,
  };
}

/** The loop response tabulated every GRID_M metres of front position (it is smooth on that scale). */
const GRID_M = 0.01;
interface ResponseTable {
  from: number;
  values: Float64Array;
}

// A table per (vehicle, loop) pair: the peak search and the sampling both need it.
const tables = new WeakMap<Vehicle, Map<Loop, ResponseTable>>();

function responseTable(v: Vehicle, loop: Loop): ResponseTable {
  let perLoop = tables.get(v);
  if (perLoop === undefined) tables.set(v, (perLoop = new Map()));
  let table = perLoop.get(loop);
  if (table === undefined) perLoop.set(loop, (table = buildResponseTable(v, loop)));
  return table;
}

function buildResponseTable(v: Vehicle, loop: Loop): ResponseTable {
  const [lo, hi] = activeRange(v, loop);
  const values = new Float64Array(Math.ceil((hi - lo) / GRID_M) + 2);
  for (const b of v.bumps) {
    const w = Math.hypot(loop.fringe, b.sigma);
    const start = Math.max(0, Math.floor((loop.edge + b.c - 5 * w - lo) / GRID_M));
    const end = Math.min(values.length - 1, Math.ceil((loop.edge + b.c + loop.length + 5 * w - lo) / GRID_M));
    for (let i = start; i <= end; i++) {
      const u = lo + i * GRID_M - loop.edge - b.c;
      values[i] += b.h * b.sigma * (phi(u / w) - phi((u - loop.length) / w));
    }
  }
  return { from: lo, values };
}

function lookup(table: ResponseTable, s: number): number {
  const x = (s - table.from) / GRID_M;
  const i = Math.floor(x);
  if (i < 0 || i >= table.values.length - 1) return 0;
  const f = x - i;
  return table.values[i]! * (1 - f) + table.values[i + 1]! * f;
}

/**
 * A vehicle over one loop: its front reaches loop A's leading edge at `startS` (window time base)
 * and moves by `motion` from there; `scale` multiplies its response (a vehicle's magnetic strength).
 */
interface LoopPassage {
  v: Vehicle;
  loop: Loop;
  motion: Motion;
  startS?: number;
  scale?: number;
}

/** Samples one loop: vehicles' responses (if any) plus the ADC's offset, drift, hum, noise, spikes; int16 with clipping. */
function sampleLoop(rng: Rng, fs: number, n: number, t0: number, adc: Adc, ...passages: LoopPassage[]): Int16Array {
  const signal = new Float64Array(n);
  for (const p of passages) {
    const table = responseTable(p.v, p.loop);
    const [lo, hi] = activeRange(p.v, p.loop);
    const start = p.startS ?? 0;
    const scale = adc.gain * (p.scale ?? 1);
    const i0 = Math.max(0, Math.floor((start + p.motion.timeAt(lo) - t0) * fs));
    const i1 = Math.min(n - 1, Math.ceil((start + p.motion.timeAt(hi) - t0) * fs));
    for (let i = i0; i <= i1; i++) signal[i] += scale * lookup(table, p.motion.position(t0 + i / fs - start));
  }
  const out = new Int16Array(n);
  // Hum by rotating phasors (fundamental and third harmonic) instead of calling sin per sample.
  const w = (2 * Math.PI * adc.humHz) / fs;
  let c1 = Math.cos(adc.humPhase),
    s1 = Math.sin(adc.humPhase);
  let c3 = Math.cos(2 * adc.humPhase),
    s3 = Math.sin(2 * adc.humPhase);
  const dc1 = Math.cos(w),
    ds1 = Math.sin(w),
    dc3 = Math.cos(3 * w),
    ds3 = Math.sin(3 * w);
  for (let i = 0; i < n; i++) {
    const t = i / fs;
    let x = adc.offset + adc.driftPerS * t + adc.driftCurve * t * t + signal[i]!;
    x += adc.hum * (s1 + adc.harmonic * s3);
    x += adc.noise * rng.normal();
    const q = Math.round(x);
    out[i] = q < -32768 ? -32768 : q > 32767 ? 32767 : q;
    const c1n = c1 * dc1 - s1 * ds1;
    s1 = s1 * dc1 + c1 * ds1;
    c1 = c1n;
    const c3n = c3 * dc3 - s3 * ds3;
    s3 = s3 * dc3 + c3 * ds3;
    c3 = c3n;
  }
  const spikes = rng.chance(0.1) ? rng.int(1, 3) : 0;
  for (let k = 0; k < spikes; k++) {
    const i = rng.int(0, n - 1);
    out[i] = Math.max(-32768, Math.min(32767, out[i]! + Math.round(rng.uniform(-300, 300))));
  }
  return out;
}

const PEAK_COUNTS: Record<VehicleClass, [number, number]> = {
  motorcycle: [150, 800],
  car: [1500, 9000],
  van: [2000, 10000],
  bus: [2500, 12000],
  truck: [3000, 14000],
};
const RAW_SNR: Record<VehicleClass, [number, number]> = {
  motorcycle: [25, 150],
  car: [80, 1000],
  van: [80, 1000],
  bus: [80, 1000],
  truck: [80, 1000],
};

/**
 * Generates one dual-loop capture with its ground truth. Deterministic from the rng state.
 * Valid events always fit the meter's window limit (65,536 samples per loop).
 */
export function generateEvent(rng: Rng, opts: Partial<GenerateEventOptions> = {}): GeneratedEvent {
  const scenario = opts.scenario ?? (rng.chance(opts.invalidShare ?? 0.06) ? rng.pick(INVALID_SCENARIOS) : 'valid');
  for (let attempt = 0; ; attempt++) {
    const event = tryGenerate(rng, scenario, opts);
    if (event) return event;
    if (attempt > 50) throw new Error('generateEvent: cannot fit the event in the capture window with these options');
  }
}

function tryGenerate(rng: Rng, scenario: EventScenario, opts: Partial<GenerateEventOptions>): GeneratedEvent | undefined {
  const geometry = opts.geometry ?? randomGeometry(rng);
  const fs = geometry.sampleRateHz;
  const cls = opts.vehicleClass ?? randomClass(rng);
  const speedKmh = opts.speedKmh ?? randomSpeedKmh(rng);
  const vehicle = newVehicle(rng, cls);
  const fringe = rng.uniform(0.08, 0.2);
  const loopA: Loop = { edge: 0, length: geometry.loopLengthM + rng.uniform(-0.02, 0.02), fringe };
  const loopB: Loop = {
    edge: geometry.loopSpacingM,
    length: geometry.loopLengthM + rng.uniform(-0.02, 0.02),
    fringe: fringe * (1 + rng.uniform(-0.06, 0.06)),
  };
  const v = speedKmh / 3.6;
  const [enterA] = activeRange(vehicle, loopA);
  const [, clearB] = activeRange(vehicle, loopB);
  const a = opts.accelerationMs2 ?? randomAcceleration(rng, v, geometry.loopSpacingM, clearB - enterA);
  const T = geometry.loopSpacingM / v;
  const motion = new Motion(v - 0.5 * a * T, a);
  // A given acceleration must leave the vehicle moving until it has cleared loop B.
  if (opts.accelerationMs2 !== undefined && !(motion.v0 > 0 && motion.v0 ** 2 + 2 * a * (clearB + 0.5) > 0.25 * motion.v0 ** 2))
    return undefined;
  const tStart = motion.timeAt(enterA) - rng.uniform(0.12, 0.35);
  let tEnd = motion.timeAt(clearB) + rng.uniform(0.12, 0.35);

  let reason: string | undefined;
  if (scenario === 'window-closed-before-loop-b') {
    const [enterB] = activeRange(vehicle, loopB);
    tEnd = motion.timeAt(enterA + rng.uniform(0.3, Math.max(0.3, enterB - enterA - 0.05)));
    reason = 'capture window closed before loop B fired';
  } else if (scenario === 'window-closed-over-loop-b') {
    // Close while loop B still shows at least half its peak (a clearly unfinished passage).
    const peakB = peakResponse(vehicle, loopB);
    const [enterB] = activeRange(vehicle, loopB);
    const high: number[] = [];
    for (let s = enterB; s <= clearB; s += 0.05) if (response(vehicle, loopB, s) >= 0.5 * peakB) high.push(s);
    tEnd = motion.timeAt(rng.pick(high));
    reason = 'capture window closed while the vehicle was over loop B';
  }
  const n = Math.ceil((tEnd - tStart) * fs);
  if (n > MAX_SAMPLES) return undefined;

  const humHz = rng.chance(0.5) ? 50 : 60;
  const peakCounts = rng.uniform(...PEAK_COUNTS[cls]);
  const noise = Math.min(40, Math.max(1.5, peakCounts / rng.uniform(...RAW_SNR[cls])));
  const gainA = peakCounts / peakResponse(vehicle, loopA);
  const gainB = gainA * (1 + rng.uniform(-0.12, 0.12));
  const adcA = newAdc(rng, humHz, noise, gainA);
  const adcB = newAdc(rng, humHz, noise * rng.uniform(0.8, 1.25), gainB);
  const passage = { v: vehicle, motion };
  let samplesA: Int16Array;
  let samplesB: Int16Array;

  if (scenario === 'noise-only') {
    samplesA = sampleLoop(rng, fs, n, tStart, adcA);
    samplesB = sampleLoop(rng, fs, n, tStart, adcB);
    reason = 'no vehicle (false trigger)';
  } else {
    samplesA = sampleLoop(rng, fs, n, tStart, adcA, { ...passage, loop: loopA });
    samplesB = sampleLoop(rng, fs, n, tStart, adcB, { ...passage, loop: loopB });
  }
  if (scenario === 'dead-loop') {
    const which = rng.chance(0.5) ? 'A' : 'B';
    const mode = rng.pick(['stuck', 'open', 'broken'] as const);
    const dead =
      mode === 'stuck'
        ? new Int16Array(n).fill(Math.round(adcA.offset))
        : mode === 'open'
          ? new Int16Array(n).fill(rng.chance(0.5) ? 32767 : -32768)
          : sampleLoop(rng, fs, n, tStart, which === 'A' ? adcA : adcB);
    if (which === 'A') samplesA = dead;
    else samplesB = dead;
    reason = `loop ${which} dead (${mode})`;
  } else if (scenario === 'wrong-direction') {
    [samplesA, samplesB] = [samplesB, samplesA];
    reason = 'vehicle travelling against the direction of measurement';
  }
  const truth: EventTruth =
    scenario === 'valid'
      ? { valid: true, speedKmh, vehicleClass: cls, vehicleLengthM: vehicle.length }
      : { valid: false, reason: reason!, scenario };
  return { geometry, loopA: samplesA, loopB: samplesB, truth };
}

export interface TwoVehicleOptions {
  /** Fixed (registered) geometry; random as in {@link generateEvent} otherwise. */
  geometry: LoopGeometry;
  /** Classes of the first and the second vehicle; random otherwise. */
  vehicleClasses: [VehicleClass, VehicleClass];
  /** True speed of the first vehicle between the loops, 5..250 km/h. */
  speedKmh: number;
  /**
   * Second vehicle's speed over the first's (true speeds between the loops). Random otherwise:
   * at least 12 % apart, at most 2× (slower or faster with equal chance).
   */
  speedRatio: number;
  /**
   * Distance from the first vehicle's rear to the second's front when that front reaches loop A,
   * in metres; less than spacing + loop length (the first has not left loop B yet). Random otherwise.
   */
  gapM: number;
  /**
   * Least ratio of the weaker vehicle's peak to the stronger's (default 0: any). A vehicle under
   * a tenth of the other's signal hides in its tails; the reference sets use 0.1.
   */
  minPeakShare: number;
}

/** The least speed difference at which two vehicles in the zone must be refused (issue 17: 12 %). */
export const TWO_VEHICLE_MIN_SPEED_RATIO = 1.12;
const TWO_VEHICLE_MAX_SPEED_RATIO = 2;
/** Vehicles never come closer than this (bumper to bumper in a jam). */
const MIN_GAP_M = 0.3;

/**
 * Two vehicles in the detection zone at once, one capture window: a second vehicle's front
 * reaches loop A before the first vehicle's rear has left loop B, at a different speed (their true
 * average speeds between the loops, and their speeds when the second reaches loop A, differ by
 * at least 12 %). The loops
 * see the sum of both responses. The event is invalid: a speed meter must not give a speed that
 * could belong to either vehicle (OIML R 91, 2.2). Deterministic from the rng state.
 */
export function generateTwoVehicleEvent(rng: Rng, opts: Partial<TwoVehicleOptions> = {}): GeneratedEvent {
  for (let attempt = 0; ; attempt++) {
    const event = tryTwoVehicles(rng, opts);
    if (event) return event;
    if (attempt > 200) throw new Error('generateTwoVehicleEvent: no admissible event with these options');
  }
}

function tryTwoVehicles(rng: Rng, opts: Partial<TwoVehicleOptions>): GeneratedEvent | undefined {
  const geometry = opts.geometry ?? randomGeometry(rng);
  const fs = geometry.sampleRateHz;
  const classes = opts.vehicleClasses ?? [randomClass(rng), randomClass(rng)];
  const speed1 = opts.speedKmh ?? randomSpeedKmh(rng);
  let ratio = opts.speedRatio;
  if (ratio === undefined) {
    const r = Math.exp(rng.uniform(Math.log(TWO_VEHICLE_MIN_SPEED_RATIO), Math.log(TWO_VEHICLE_MAX_SPEED_RATIO)));
    ratio = rng.chance(0.5) ? r : 1 / r;
  }
  const speed2 = Math.round(speed1 * ratio * 1000) / 1000;
  if (speed2 < 5 || speed2 > 250) return undefined;
  const first = newVehicle(rng, classes[0]);
  const second = newVehicle(rng, classes[1]);
  const fringe = rng.uniform(0.08, 0.2);
  const loopA: Loop = { edge: 0, length: geometry.loopLengthM + rng.uniform(-0.02, 0.02), fringe };
  const loopB: Loop = {
    edge: geometry.loopSpacingM,
    length: geometry.loopLengthM + rng.uniform(-0.02, 0.02),
    fringe: fringe * (1 + rng.uniform(-0.06, 0.06)),
  };
  const maxGap = geometry.loopSpacingM + loopB.length;
  const gap = opts.gapM ?? rng.uniform(MIN_GAP_M, maxGap);
  if (!(gap >= MIN_GAP_M && gap < maxGap)) throw new Error(`generateTwoVehicleEvent: gapM must be in [${MIN_GAP_M}, ${maxGap.toFixed(2)})`);

  const motions = [speed1, speed2].map((kmh, k) => {
    const v = kmh / 3.6;
    const vehicle = k === 0 ? first : second;
    const [enterA] = activeRange(vehicle, loopA);
    const [, clearB] = activeRange(vehicle, loopB);
    const a = randomAcceleration(rng, v, geometry.loopSpacingM, clearB - enterA);
    const T = geometry.loopSpacingM / v;
    return new Motion(v - 0.5 * a * T, a);
  }) as [Motion, Motion];
  // The second front reaches loop A when the first rear is `gap` ahead of it.
  const start2 = motions[0].timeAt(gap + first.length);
  if (!Number.isFinite(start2)) return undefined;
  const [enterA1] = activeRange(first, loopA);
  const [, clearB2] = activeRange(second, loopB);
  const [, clearB1] = activeRange(first, loopB);
  const tStart = motions[0].timeAt(enterA1) - rng.uniform(0.12, 0.35);
  const tEnd = Math.max(motions[0].timeAt(clearB1), start2 + motions[1].timeAt(clearB2)) + rng.uniform(0.12, 0.35);
  // The speeds differ while both are in the zone, not only on average: braking could close the gap.
  const v1Then = motions[0].speedAt(start2);
  const v2Then = motions[1].speedAt(0);
  if (Math.max(v1Then, v2Then) < TWO_VEHICLE_MIN_SPEED_RATIO * Math.min(v1Then, v2Then)) return undefined;
  // No collision while both are in the window: the second front stays behind the first rear.
  for (let t = start2; t <= tEnd; t += 0.01) {
    if (motions[0].position(t) - first.length - motions[1].position(t - start2) < MIN_GAP_M) return undefined;
  }
  const n = Math.ceil((tEnd - tStart) * fs);
  if (n > MAX_SAMPLES) return undefined;

  const humHz = rng.chance(0.5) ? 50 : 60;
  const peaks = classes.map((c) => rng.uniform(...PEAK_COUNTS[c]));
  if (Math.min(...peaks) < (opts.minPeakShare ?? 0) * Math.max(...peaks)) return undefined;
  const peakA = [peakResponse(first, loopA), peakResponse(second, loopA)];
  const strongest = Math.max(...peaks);
  const strongestClass = classes[peaks.indexOf(strongest)]!;
  const noise = Math.min(40, Math.max(1.5, strongest / rng.uniform(...RAW_SNR[strongestClass])));
  const gainB = 1 + rng.uniform(-0.12, 0.12);
  const adcA = newAdc(rng, humHz, noise, 1);
  const adcB = newAdc(rng, humHz, noise * rng.uniform(0.8, 1.25), gainB);
  const passages = (loop: Loop): LoopPassage[] => [
    { v: first, loop, motion: motions[0], scale: peaks[0]! / peakA[0]! },
    { v: second, loop, motion: motions[1], startS: start2, scale: peaks[1]! / peakA[1]! },
  ];
  const samplesA = sampleLoop(rng, fs, n, tStart, adcA, ...passages(loopA));
  const samplesB = sampleLoop(rng, fs, n, tStart, adcB, ...passages(loopB));
  const vehicles: VehicleTruth[] = [
    { vehicleClass: classes[0], speedKmh: speed1, vehicleLengthM: first.length, peakCounts: Math.round(peaks[0]!) },
    { vehicleClass: classes[1], speedKmh: speed2, vehicleLengthM: second.length, peakCounts: Math.round(peaks[1]!) },
  ];
  const gapM = Math.round(gap * 100) / 100;
  return {
    geometry,
    loopA: samplesA,
    loopB: samplesB,
    truth: {
      valid: false,
      scenario: TWO_VEHICLES_SCENARIO,
      reason: `two vehicles in the zone: ${classes[0]} at ${speed1.toFixed(1)} km/h, then ${classes[1]} at ${speed2.toFixed(1)} km/h, ${gapM} m behind`,
      vehicles,
      gapM,
    },
  };
}
