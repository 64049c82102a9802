// SPDX-License-Identifier: Apache-2.0
// Reference sets for type approval: many generated captures, each with its ground truth.
import { newRng } from './rng';
import { generateEvent, generateTwoVehicleEvent, type EventTruth } from './signal';

export interface ReferenceCase {
  id: string;
  sampleRateHz: number;
  loopSpacingM: number;
  loopLengthM: number;
  loopA: Int16Array;
  loopB: Int16Array;
  truth: EventTruth;
}

export interface ReferenceSetOptions {
  /** Share of two-vehicle events (a second vehicle enters loop A before the first leaves loop B). Default {@link REFERENCE_TWO_VEHICLE_SHARE}. */
  twoVehicleShare?: number;
}

/** Two-vehicle events in a reference set: 4 %, about 400 in a 10,000-case set. */
export const REFERENCE_TWO_VEHICLE_SHARE = 0.04;
/** In a reference set the weaker of two vehicles gives at least a tenth of the stronger one's peak (see docs/LR-ACCURACY.md). */
export const REFERENCE_TWO_VEHICLE_MIN_PEAK_SHARE = 0.1;

/**
 * `count` reference cases, lazily, deterministic from `seed` (same seed, same cases, on any
 * machine). Single passages come from the stream `metroledger-reference:<seed>`, two-vehicle
 * events and the choice between them from `metroledger-reference-two-vehicles:<seed>`, so the
 * single passages of a seed are the same whatever the share of two-vehicle events.
 */
export function* generateReferenceCases(count: number, seed: number | string, opts: ReferenceSetOptions = {}): Generator<ReferenceCase> {
  const rng = newRng(`metroledger-reference:${seed}`);
  const twoRng = newRng(`metroledger-reference-two-vehicles:${seed}`);
  const share = opts.twoVehicleShare ?? REFERENCE_TWO_VEHICLE_SHARE;
  const width = String(Math.max(count, 1)).length;
  for (let i = 0; i < count; i++) {
    const e =
      share > 0 && twoRng.chance(share)
        ? generateTwoVehicleEvent(twoRng, { minPeakShare: REFERENCE_TWO_VEHICLE_MIN_PEAK_SHARE })
        : generateEvent(rng);
    yield {
      id: `${seed}-${String(i + 1).padStart(width, '0')}`,
      sampleRateHz: e.geometry.sampleRateHz,
      loopSpacingM: e.geometry.loopSpacingM,
      loopLengthM: e.geometry.loopLengthM,
      loopA: e.loopA,
      loopB: e.loopB,
      truth: e.truth,
    };
  }
}
