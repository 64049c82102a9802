// SPDX-License-Identifier: Apache-2.0
// The São Paulo rush hour as data: which meters, where, and when each vehicle passes.
// Pure and deterministic from a seed, so that a run can be repeated exactly.
import type { LoopGeometry } from '@metroledger/lr';
import { newRng, type Rng, type VehicleClass } from '@metroledger/meter';

export interface ScenarioPlanOptions {
  /** Speed meters in the city. Paper: about 1,000 in São Paulo. */
  readonly meters: number;
  /** Seconds of traffic. */
  readonly seconds: number;
  /** Vehicles per second per meter. Paper: 0.76 at rush hour (2,772 vehicles/h). */
  readonly vehiclesPerSecond: number;
  readonly seed: string | number;
  /** Meter ids are `<prefix>-0001`…; another prefix gives another set of meters on the same network. Default SP. */
  readonly meterIdPrefix?: string;
}

export interface PlannedMeter {
  readonly meterId: string;
  readonly geometry: LoopGeometry;
  readonly speedLimitKmh: number;
  readonly location: { readonly text: string; readonly lat: number; readonly lon: number };
}

/** Vehicle passages in time order: passage i happens `timeMs[i]` after the start at meter `meter[i]`. */
export interface ArrivalSchedule {
  readonly timeMs: Float64Array;
  readonly meter: Int32Array;
}

const ROADS = [
  'Av. Paulista',
  'Marginal Tietê',
  'Marginal Pinheiros',
  'Av. 23 de Maio',
  'Radial Leste',
  'Av. Rebouças',
  'Av. Brasil',
  'Av. do Estado',
];
const SPEED_LIMITS = [40, 50, 50, 60, 60, 70, 90];
const SAMPLE_RATES = [1000, 2000, 4000];

export function planMeters(opts: Pick<ScenarioPlanOptions, 'meters' | 'seed' | 'meterIdPrefix'>): PlannedMeter[] {
  const rng = newRng(`${opts.seed}/meters`);
  return Array.from({ length: opts.meters }, (_, i) => {
    const meterId = `${opts.meterIdPrefix ?? 'SP'}-${String(i + 1).padStart(4, '0')}`;
    return {
      meterId,
      geometry: {
        loopSpacingM: round(rng.uniform(2, 5), 2),
        loopLengthM: round(rng.uniform(1.5, 2), 2),
        sampleRateHz: rng.pick(SAMPLE_RATES),
      },
      speedLimitKmh: rng.pick(SPEED_LIMITS),
      location: {
        text: `${rng.pick(ROADS)}, km ${rng.int(0, 25)}`,
        lat: round(-23.55 + rng.uniform(-0.15, 0.15), 5),
        lon: round(-46.63 + rng.uniform(-0.2, 0.2), 5),
      },
    };
  });
}

/** Poisson arrivals at each meter, merged into one time-ordered schedule. */
export function planArrivals(opts: ScenarioPlanOptions): ArrivalSchedule {
  const rng = newRng(`${opts.seed}/arrivals`);
  const horizonMs = opts.seconds * 1000;
  const meanGapMs = 1000 / opts.vehiclesPerSecond;
  const events: Array<[number, number]> = [];
  for (let m = 0; m < opts.meters; m++) {
    for (let t = exponential(rng, meanGapMs); t < horizonMs; t += exponential(rng, meanGapMs)) events.push([t, m]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const timeMs = new Float64Array(events.length);
  const meter = new Int32Array(events.length);
  events.forEach(([t, m], i) => {
    timeMs[i] = t;
    meter[i] = m;
  });
  return { timeMs, meter };
}

/** Urban traffic: mostly cars, speeds around the limit with a tail above it. */
export function drawVehicle(rng: Rng, speedLimitKmh: number): { vehicleClass: VehicleClass; speedKmh: number } {
  const u = rng.next();
  const vehicleClass: VehicleClass = u < 0.7 ? 'car' : u < 0.85 ? 'motorcycle' : u < 0.93 ? 'van' : u < 0.97 ? 'truck' : 'bus';
  const speedKmh = Math.min(200, Math.max(8, speedLimitKmh * (0.88 + 0.16 * rng.normal())));
  return { vehicleClass, speedKmh: round(speedKmh, 1) };
}

function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng.next());
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
