// SPDX-License-Identifier: Apache-2.0
// The LR decision: a decoded reading and the meter it claims to come from, as registered, give a
// speed or a refusal. Every legal refusal is made here (or in the computation it calls); the
// chaincode, the audit and the type-approval bench all call this one function.
import { geometryProblem, type LoopGeometry } from './geometry';
import type { RawReading } from './reading';
import { refuse, type SpeedResult } from './result';
import { computeSpeed } from './speed';

/** What the decision needs of a reading: its samples and the rate the meter says it sampled at. */
export type DecisionReading = Pick<RawReading, 'sampleRateHz' | 'loopA' | 'loopB'>;

/** What the decision needs of the registered meter. */
export interface DecisionMeter {
  geometry: LoopGeometry;
}

/**
 * The speed of the vehicle in `reading`, computed with the meter's registered geometry (never
 * with values the reading carries), or the reason there is none. Pure, deterministic, never throws.
 */
export function decideSpeed(reading: DecisionReading, meter: DecisionMeter): SpeedResult {
  const g = meter.geometry;
  const problem = geometryProblem(g);
  if (problem) return refuse('INVALID_GEOMETRY', `registered geometry.${problem.field} ${problem.rule}`);
  // A meter reporting another sample rate than the registered one is misconfigured or tampered
  // with: its timing, hence the speed, cannot be trusted.
  if (reading.sampleRateHz !== g.sampleRateHz) {
    return refuse('SAMPLE_RATE_MISMATCH', `meter reports ${reading.sampleRateHz} Hz, registered ${g.sampleRateHz} Hz`);
  }
  return computeSpeed(reading.loopA, reading.loopB, g);
}
