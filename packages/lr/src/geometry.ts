// SPDX-License-Identifier: Apache-2.0
// The registered loop geometry and its legal range: the one definition the meter registry
// (chaincode registration) and the LR decision both apply.
import { MAX_SAMPLE_RATE_HZ } from './reading';

export interface LoopGeometry {
  /** Leading edge of loop A to leading edge of loop B, metres. */
  loopSpacingM: number;
  /** Each loop's length along the direction of travel, metres. */
  loopLengthM: number;
  /** ADC samples per second on each loop. */
  sampleRateHz: number;
}

/**
 * The geometries the LR software measures with. Engineering choices, wide around the installations
 * the reference sets cover (spacing 2–5 m, loops 1.5–2 m, 1–4 kHz):
 * - spacing ≥ 0.5 m: below it a 0.1 % timing error is already a large share of the MPE at 250 km/h;
 *   ≤ 50 m: beyond it the constant-acceleration model between the loops no longer holds;
 * - loop length > 0 and ≤ 10 m, and not longer than the spacing (the loops would overlap);
 * - an integer sample rate of 100 Hz..100 kHz: 100 Hz is the least that still resolves mains hum
 *   (the hum filter needs ≥ 2 samples per 60 Hz period); 100 kHz is the reading format's limit.
 */
export const GEOMETRY_LIMITS = Object.freeze({
  minLoopSpacingM: 0.5,
  maxLoopSpacingM: 50,
  maxLoopLengthM: 10,
  minSampleRateHz: 100,
  maxSampleRateHz: MAX_SAMPLE_RATE_HZ,
});

/**
 * Why `g` is not a geometry within {@link GEOMETRY_LIMITS} (the field and the rule it breaks), or
 * undefined when it is one. Takes unchecked values, e.g. a parsed JSON document.
 */
export function geometryProblem(g: Readonly<Record<keyof LoopGeometry, unknown>>): { field: keyof LoopGeometry; rule: string } | undefined {
  // rule: what the field must be, e.g. "must be a number in [0.5, 50]".
  const L = GEOMETRY_LIMITS;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!finite(g.loopSpacingM) || g.loopSpacingM < L.minLoopSpacingM || g.loopSpacingM > L.maxLoopSpacingM) {
    return { field: 'loopSpacingM', rule: `must be a number in [${L.minLoopSpacingM}, ${L.maxLoopSpacingM}]` };
  }
  if (!finite(g.loopLengthM) || g.loopLengthM <= 0 || g.loopLengthM > L.maxLoopLengthM) {
    return { field: 'loopLengthM', rule: `must be a number in (0, ${L.maxLoopLengthM}]` };
  }
  if (
    !finite(g.sampleRateHz) ||
    !Number.isInteger(g.sampleRateHz) ||
    g.sampleRateHz < L.minSampleRateHz ||
    g.sampleRateHz > L.maxSampleRateHz
  ) {
    return { field: 'sampleRateHz', rule: `must be an integer in [${L.minSampleRateHz}, ${L.maxSampleRateHz}]` };
  }
  if ((g.loopLengthM as number) > (g.loopSpacingM as number))
    return { field: 'loopLengthM', rule: 'must not exceed loopSpacingM (loops would overlap)' };
  return undefined;
}
