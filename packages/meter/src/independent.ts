// SPDX-License-Identifier: Apache-2.0
// A second dual-loop signal generator with different physics, for cross-checks only: the LR
// software was tuned on signal.ts, so judging it on signal.ts alone could hide a fit to that
// model. This generator shares no code and no model with it:
//
// - Vehicles are metal plates (engine block, floor pan, frame, axles, trailer floor) at their own
//   heights above the road, not Gaussian bumps.
// - A loop is two transverse wires; a plate element at distance x past the leading wire and height
//   h couples as the square of the wires' vertical field there, (x/(x²+h²) − (x−L)/((x−L)²+h²))²:
//   sensitivity peaks near the wires and spreads with height, unlike a blurred box.
// - The detector saturates softly (y = G·R / (1 + G·R/S)), with a different gain on each loop.
// - Motion has jerk: a vehicle may start braking (down to −8 m/s²) or accelerating during the
//   passage, so its acceleration is not constant; position is integrated numerically.
// - The ADC adds a random-walk drift, 50/60 Hz hum with 3rd and 5th harmonics, white plus
//   coloured noise, short bursts of 2–3 samples, and a sample clock off by up to ±100 ppm.
//
// Ground truth is the same quantity as everywhere: the front's average speed between the leading
// edges of the loops.
import type { LoopGeometry } from '@metroledger/lr';
import type { Rng } from './rng';
import { TWO_VEHICLE_MIN_SPEED_RATIO, TWO_VEHICLES_SCENARIO, type GeneratedEvent, type VehicleClass, type VehicleTruth } from './signal';

export type IndependentMotion = 'steady' | 'hard-braking' | 'hard-acceleration';

export interface IndependentEventOptions {
  geometry: LoopGeometry;
  vehicleClass: VehicleClass;
  /** True average front speed between the loops, 5..250 km/h (approximately: jerk moves it a little). */
  speedKmh: number;
  motion: IndependentMotion;
  /** A second vehicle at a speed 12 %..2× different enters loop A before the first has left loop B. */
  twoVehicles: boolean;
}

interface Plate {
  from: number;
  to: number;
  height: number;
  strength: number;
}
interface Vehicle {
  cls: VehicleClass;
  length: number;
  plates: Plate[];
}

const MAX_SAMPLES = 65_536;
const RATES = [1000, 1200, 1500, 2000, 2400, 3000, 4000];
const SLICE_M = 0.02;
const GRID_M = 0.02;
/** A loop's field is followed this far beyond its wires (the coupling there is below 1e-4 of its peak). */
const REACH_M = 4;
/** Each motion starts this far before loop A's leading wire. */
const APPROACH_M = 6;

function plates(rng: Rng, cls: VehicleClass): Vehicle {
  const u = (a: number, b: number): number => rng.uniform(a, b);
  const p: Plate[] = [];
  let length: number;
  switch (cls) {
    case 'motorcycle':
      length = u(1.9, 2.4);
      p.push({ from: 0.05, to: 0.35, height: u(0.28, 0.38), strength: u(0.2, 0.4) }); // front rim and fork
      p.push({ from: u(0.5, 0.7), to: u(1.1, 1.3), height: u(0.3, 0.45), strength: 1 }); // engine
      p.push({ from: length - 0.45, to: length - 0.1, height: u(0.28, 0.38), strength: u(0.3, 0.5) }); // rear rim
      break;
    case 'car':
    case 'van': {
      length = cls === 'car' ? u(3.6, 5.3) : u(4.8, 6.8);
      const lift = cls === 'van' ? 0.1 : 0;
      p.push({ from: 0, to: 0.2, height: 0.4 + lift, strength: u(0.2, 0.4) }); // bumper beam
      p.push({ from: 0.25, to: u(1.1, 1.5), height: u(0.17, 0.28) + lift, strength: 1 }); // engine block
      p.push({ from: 1.5, to: length - 1.1, height: u(0.2, 0.3) + lift, strength: u(0.4, 0.7) }); // floor pan
      p.push({ from: length - 1.2, to: length - 0.55, height: u(0.22, 0.3) + lift, strength: u(0.5, 0.8) }); // rear axle, exhaust
      p.push({ from: length - 0.2, to: length, height: 0.45 + lift, strength: u(0.2, 0.4) });
      break;
    }
    case 'bus':
      length = u(10, 14.5);
      p.push({ from: 0, to: length, height: u(0.45, 0.6), strength: u(0.3, 0.5) }); // frame
      p.push({ from: 2.1, to: 2.9, height: 0.45, strength: u(0.6, 0.9) }); // front axle
      p.push({ from: length - 3.6, to: length - 2.7, height: 0.45, strength: u(0.6, 0.9) }); // rear axle
      p.push({ from: length - 2.6, to: length - 0.7, height: u(0.45, 0.55), strength: u(0.8, 1.1) }); // engine
      break;
    case 'truck': {
      length = u(9, 20);
      const tractor = u(5.5, 6.8);
      p.push({ from: 0.3, to: 1.9, height: u(0.45, 0.6), strength: 1.2 }); // engine
      p.push({ from: 0, to: tractor, height: u(0.65, 0.8), strength: u(0.4, 0.6) }); // tractor frame
      p.push({ from: tractor - 2.2, to: tractor - 0.6, height: 0.5, strength: u(0.6, 0.9) }); // drive axles
      p.push({ from: tractor - 1.5, to: length, height: u(1.0, 1.3), strength: u(0.3, 0.5) }); // trailer floor
      const axles = rng.int(1, 3);
      for (let k = 0; k < axles; k++)
        p.push({ from: length - 1.6 - 1.3 * k, to: length - 1.0 - 1.3 * k, height: 0.5, strength: u(0.6, 0.9) });
      break;
    }
  }
  return { cls, length: Math.round(length * 100) / 100, plates: p };
}

/** Coupling of a plate element at `x` past the leading wire, height `h`, with a loop of length `len`. */
function coupling(x: number, h: number, len: number): number {
  const b = x / (x * x + h * h) - (x - len) / ((x - len) ** 2 + h * h);
  return b * b;
}

/** The loop's response as a function of the front's position past the loop's leading wire, tabulated. */
function responseTable(v: Vehicle, len: number): { from: number; values: Float64Array } {
  const from = -REACH_M;
  const to = len + v.length + REACH_M;
  const values = new Float64Array(Math.ceil((to - from) / GRID_M) + 2);
  for (const plate of v.plates) {
    for (let d = plate.from; d < plate.to; d += SLICE_M) {
      const w = plate.strength * SLICE_M;
      for (let i = 0; i < values.length; i++) {
        const x = from + i * GRID_M - d - SLICE_M / 2; // element position past the leading wire
        if (x < -REACH_M || x > len + REACH_M) continue;
        values[i] += w * coupling(x, plate.height, len);
      }
    }
  }
  return { from, values };
}

function lookup(t: { from: number; values: Float64Array }, s: number): number {
  const x = (s - t.from) / GRID_M;
  const i = Math.floor(x);
  if (i < 0 || i >= t.values.length - 1) return 0;
  return t.values[i]! + (t.values[i + 1]! - t.values[i]!) * (x - i);
}

/** Front position over time, integrated with jerk: acceleration a0, then a1 reached linearly over `rampS` from `switchS`. */
class JerkMotion {
  readonly dt: number;
  readonly pos: Float64Array;
  constructor(v0: number, a0: number, a1: number, switchS: number, rampS: number, durationS: number, dt: number) {
    this.dt = dt;
    const n = Math.ceil(durationS / dt) + 2;
    this.pos = new Float64Array(n);
    let v = v0,
      x = 0;
    for (let i = 1; i < n; i++) {
      const t = i * dt;
      const a = t < switchS ? a0 : t < switchS + rampS ? a0 + ((a1 - a0) * (t - switchS)) / rampS : a1;
      const vNext = Math.max(0.3, v + a * dt); // never stops inside the window
      x += 0.5 * (v + vNext) * dt;
      v = vNext;
      this.pos[i] = x;
    }
  }
  /** Position at time t (m); t from the motion's start (before it: the initial speed). */
  at(t: number): number {
    const x = t / this.dt;
    const i = Math.floor(x);
    if (i < 0) return (this.pos[1]! / this.dt) * t;
    if (i >= this.pos.length - 1) return this.pos[this.pos.length - 1]!;
    return this.pos[i]! + (this.pos[i + 1]! - this.pos[i]!) * (x - i);
  }
  /** Speed at time t (m/s), from the integrated positions either side. */
  speedAt(t: number): number {
    return (this.at(t + this.dt) - this.at(t - this.dt)) / (2 * this.dt);
  }
  /** First time the front reaches `s` (m), by bisection. */
  timeAt(s: number): number {
    let lo = 0,
      hi = this.pos.length - 1;
    if (this.pos[hi]! < s) return Infinity;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.pos[mid]! < s) lo = mid;
      else hi = mid;
    }
    return (lo + (s - this.pos[lo]!) / (this.pos[hi]! - this.pos[lo]!)) * this.dt;
  }
}

function randomClass(rng: Rng): VehicleClass {
  const u = rng.next();
  return u < 0.15 ? 'motorcycle' : u < 0.6 ? 'car' : u < 0.75 ? 'van' : u < 0.85 ? 'bus' : 'truck';
}

interface Passage {
  vehicle: Vehicle;
  motion: JerkMotion;
  startS: number;
  strength: number;
  truthKmh: number;
}

/** A passage; its motion starts APPROACH_M before loop A's leading wire. */
function passage(rng: Rng, cls: VehicleClass, kmh: number, kind: IndependentMotion, spacing: number, fs: number): Passage | undefined {
  const vehicle = plates(rng, cls);
  const v = kmh / 3.6;
  const travel = APPROACH_M + spacing + 2 + vehicle.length + REACH_M;
  const a0 = rng.uniform(-0.4, 0.4);
  let a1 = a0;
  if (kind === 'hard-braking') a1 = -rng.uniform(4, 8);
  else if (kind === 'hard-acceleration') a1 = rng.uniform(2, cls === 'motorcycle' ? 6 : 4);
  // The change starts somewhere between half a transit before loop A and the front reaching loop B.
  const switchS = APPROACH_M / v + rng.uniform(-0.5, 1) * (spacing / v);
  const duration = (travel / v) * 3 + 1;
  const motion = new JerkMotion(v, a0, a1, switchS, rng.uniform(0.2, 0.6), duration, 1 / (4 * fs));
  const tA = motion.timeAt(APPROACH_M);
  const tB = motion.timeAt(APPROACH_M + spacing);
  if (!Number.isFinite(tB)) return undefined;
  // keep vehicles that are still moving at ≥ 40 % of their speed when they clear loop B
  const tClear = motion.timeAt(APPROACH_M + spacing + 2 + vehicle.length);
  if (!Number.isFinite(tClear) || (motion.at(tClear + 0.01) - motion.at(tClear)) / 0.01 < 0.4 * v) return undefined;
  const truthKmh = Math.round(((3.6 * spacing) / (tB - tA)) * 1000) / 1000;
  if (truthKmh < 5 || truthKmh > 250) return undefined;
  const peaks: Record<VehicleClass, [number, number]> = {
    motorcycle: [150, 900],
    car: [1200, 9000],
    van: [1500, 10000],
    bus: [2000, 12000],
    truck: [2500, 13000],
  };
  return { vehicle, motion, startS: -tA, strength: rng.uniform(...peaks[cls]), truthKmh };
}

/**
 * One dual-loop capture from the independent model, with its ground truth. Deterministic from the
 * rng state. Valid unless `twoVehicles`.
 */
export function generateIndependentEvent(rng: Rng, opts: Partial<IndependentEventOptions> = {}): GeneratedEvent {
  for (let attempt = 0; attempt < 200; attempt++) {
    const e = tryIndependent(rng, opts);
    if (e) return e;
  }
  throw new Error('generateIndependentEvent: no admissible event with these options');
}

function tryIndependent(rng: Rng, opts: Partial<IndependentEventOptions>): GeneratedEvent | undefined {
  const geometry = opts.geometry ?? {
    loopSpacingM: Math.round(rng.uniform(2, 5) * 100) / 100,
    loopLengthM: Math.round(rng.uniform(1.5, 2) * 100) / 100,
    sampleRateHz: rng.pick(RATES),
  };
  const fs = geometry.sampleRateHz;
  const s = geometry.loopSpacingM;
  const kind: IndependentMotion = opts.motion ?? (rng.chance(0.7) ? 'steady' : rng.chance(0.6) ? 'hard-braking' : 'hard-acceleration');
  const kmh = opts.speedKmh ?? Math.exp(rng.uniform(Math.log(5.5), Math.log(240)));
  const first = passage(rng, opts.vehicleClass ?? randomClass(rng), kmh, kind, s, fs);
  if (!first) return undefined;
  const lenA = geometry.loopLengthM + rng.uniform(-0.03, 0.03);
  const lenB = geometry.loopLengthM + rng.uniform(-0.03, 0.03);
  const all: Passage[] = [first];
  let gapM: number | undefined;
  let entrySpeedsKmh: [number, number] | undefined;
  if (opts.twoVehicles) {
    const r = Math.exp(rng.uniform(Math.log(1.12), Math.log(2)));
    const second = passage(rng, randomClass(rng), kmh * (rng.chance(0.5) ? r : 1 / r), rng.chance(0.8) ? 'steady' : kind, s, fs);
    if (!second) return undefined;
    const ratio = second.truthKmh / first.truthKmh;
    if (ratio < TWO_VEHICLE_MIN_SPEED_RATIO && ratio > 1 / TWO_VEHICLE_MIN_SPEED_RATIO) return undefined;
    // The second front reaches loop A when the first rear is `gap` ahead of it; the first rear has not left loop B.
    gapM = rng.uniform(0.5, s + lenB);
    const tSecondAtA = first.motion.timeAt(APPROACH_M + gapM + first.vehicle.length) + first.startS;
    second.startS = tSecondAtA - second.motion.timeAt(APPROACH_M);
    // The speeds differ while both are in the zone, not only on average (as the project's generator
    // requires): a first vehicle braking or speeding up over a slow passage may match the second's speed by then.
    const v1Then = first.motion.speedAt(tSecondAtA - first.startS);
    const v2Then = second.motion.speedAt(tSecondAtA - second.startS);
    if (Math.max(v1Then, v2Then) < TWO_VEHICLE_MIN_SPEED_RATIO * Math.min(v1Then, v2Then)) return undefined;
    entrySpeedsKmh = [Math.round(v1Then * 3600) / 1000, Math.round(v2Then * 3600) / 1000];
    for (let t = tSecondAtA; t < tSecondAtA + 10; t += 0.01) {
      const rear1 = first.motion.at(t - first.startS) - first.vehicle.length;
      const front2 = second.motion.at(t - second.startS);
      if (rear1 - front2 < 0.3) return undefined; // collision
      if (front2 > APPROACH_M + s + lenB + second.vehicle.length) break;
    }
    all.push(second);
  }
  // Window: from before the first front comes within 3 m of loop A to after the last rear is 3 m past loop B.
  const start = first.startS + first.motion.timeAt(APPROACH_M - 3) - rng.uniform(0.12, 0.4);
  const end =
    Math.max(...all.map((p) => p.startS + p.motion.timeAt(APPROACH_M + s + lenB + p.vehicle.length + 3))) + rng.uniform(0.12, 0.4);
  if (!Number.isFinite(end)) return undefined;
  const clock = 1 + rng.uniform(-1e-4, 1e-4);
  const n = Math.ceil((end - start) * fs);
  if (n > MAX_SAMPLES || n < 10) return undefined;

  const tables = all.map((p) => [responseTable(p.vehicle, lenA), responseTable(p.vehicle, lenB)] as const);
  const peakOf = (t: { values: Float64Array }): number => t.values.reduce((m, v) => Math.max(m, v), 0);
  const scale = all.map((p, k) => p.strength / peakOf(tables[k]![0]));
  const strongest = Math.max(...all.map((p) => p.strength));
  const weakest = all.reduce((w, p) => (p.strength < w.strength ? p : w));
  const snr = weakest.vehicle.cls === 'motorcycle' ? rng.uniform(20, 150) : rng.uniform(60, 1000);
  const white = Math.max(1, Math.min(45, weakest.strength / snr));
  const saturation = 8 * strongest;
  const gains = [1, 1 + rng.uniform(-0.15, 0.15)];
  const hum = {
    hz: (rng.chance(0.7) ? 60 : 50) + rng.uniform(-0.1, 0.1),
    amp: rng.uniform(0, 80),
    h3: rng.uniform(0, 0.3),
    h5: rng.uniform(0, 0.1),
    phase: rng.uniform(0, 2 * Math.PI),
  };
  const loops = [0, 1].map((which) => {
    const out = new Int16Array(n);
    const offset = rng.uniform(-1500, 1500);
    const walk = rng.uniform(0.5, 3) / Math.sqrt(fs);
    const sigma = white * (which === 0 ? 1 : rng.uniform(0.8, 1.25));
    let drift = 0,
      coloured = 0;
    const edge = which === 0 ? APPROACH_M : APPROACH_M + s;
    for (let i = 0; i < n; i++) {
      const t = start + i / (fs * clock);
      let r = 0;
      all.forEach((p, k) => {
        r += scale[k]! * lookup(tables[k]![which]!, p.motion.at(t - p.startS) - edge);
      });
      const g = gains[which]! * r;
      const y = g / (1 + g / saturation);
      drift += walk * rng.normal();
      coloured = 0.95 * coloured + 0.3 * sigma * rng.normal();
      const w = 2 * Math.PI * hum.hz * t + hum.phase;
      const x =
        offset +
        drift +
        y +
        hum.amp * (Math.sin(w) + hum.h3 * Math.sin(3 * w) + hum.h5 * Math.sin(5 * w)) +
        sigma * rng.normal() +
        coloured;
      const q = Math.round(x);
      out[i] = q < -32768 ? -32768 : q > 32767 ? 32767 : q;
    }
    if (rng.chance(0.05)) {
      for (let b = rng.int(1, 4); b > 0; b--) {
        const i = rng.int(0, n - 3);
        const jump = Math.round(rng.uniform(100, 500) * (rng.chance(0.5) ? 1 : -1));
        for (let k = 0; k < rng.int(2, 3); k++) out[i + k] = Math.max(-32768, Math.min(32767, out[i + k]! + jump));
      }
    }
    return out;
  });
  const truthOf = (p: Passage): VehicleTruth => ({
    vehicleClass: p.vehicle.cls,
    speedKmh: p.truthKmh,
    vehicleLengthM: p.vehicle.length,
    peakCounts: Math.round(p.strength),
  });
  if (all.length === 1) {
    return { geometry, loopA: loops[0]!, loopB: loops[1]!, truth: { valid: true, ...truthOf(first) } };
  }
  const [v1, v2] = all.map(truthOf) as [VehicleTruth, VehicleTruth];
  return {
    geometry,
    loopA: loops[0]!,
    loopB: loops[1]!,
    truth: {
      valid: false,
      scenario: TWO_VEHICLES_SCENARIO,
      vehicles: [v1, v2],
      gapM: Math.round(gapM! * 100) / 100,
      entrySpeedsKmh,
      reason: `two vehicles in the zone (independent model): ${v1.vehicleClass} at ${v1.speedKmh.toFixed(1)} km/h, then ${v2.vehicleClass} at ${v2.speedKmh.toFixed(1)} km/h`,
    },
  };
}
