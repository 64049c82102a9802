// SPDX-License-Identifier: Apache-2.0
// Reference sets for type approval: many generated captures, each with its ground truth.
import { newRng } from './rng';
import { generateEvent, type EventTruth } from './signal';

export interface ReferenceCase {
  id: string;
  sampleRateHz: number;
  loopSpacingM: number;
  loopLengthM: number;
  loopA: Int16Array;
  loopB: Int16Array;
  truth: EventTruth;
}

/** `count` reference cases, lazily, deterministic from `seed` (same seed, same cases, on any machine). */
export function* generateReferenceCases(count: number, seed: number | string): Generator<ReferenceCase> {
  const rng = newRng(`metroledger-reference:${seed}`);
  const width = String(Math.max(count, 1)).length;
  for (let i = 0; i < count; i++) {
    const e = generateEvent(rng);
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
