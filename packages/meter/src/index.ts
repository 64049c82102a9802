// SPDX-License-Identifier: Apache-2.0
// Field instrument model: dual-loop signal generator, signing meter, reference-set generator.
import type { LoopGeometry } from '@metroledger/lr';

export type MeterGeometry = LoopGeometry;
export { newRng, type Rng } from './rng';
export {
  generateEvent,
  generateTwoVehicleEvent,
  VEHICLE_CLASSES,
  INVALID_SCENARIOS,
  TWO_VEHICLES_SCENARIO,
  TWO_VEHICLE_MIN_SPEED_RATIO,
  type VehicleClass,
  type EventScenario,
  type InvalidScenario,
  type EventTruth,
  type VehicleTruth,
  type GeneratedEvent,
  type GenerateEventOptions,
  type TwoVehicleOptions,
} from './signal';
export { generateIndependentEvent, type IndependentEventOptions, type IndependentMotion } from './independent';
export { Meter, type MeterOptions, type CaptureInput } from './meter';
export {
  generateReferenceCases,
  REFERENCE_TWO_VEHICLE_SHARE,
  REFERENCE_TWO_VEHICLE_MIN_PEAK_SHARE,
  type ReferenceCase,
  type ReferenceSetOptions,
} from './reference';
