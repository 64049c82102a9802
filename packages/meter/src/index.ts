// SPDX-License-Identifier: Apache-2.0
// Field instrument model: dual-loop signal generator, signing meter, reference-set generator.
import type { LoopGeometry } from '@metroledger/lr';

export type MeterGeometry = LoopGeometry;
export { newRng, type Rng } from './rng';
export {
  generateEvent, VEHICLE_CLASSES, INVALID_SCENARIOS,
  type VehicleClass, type EventScenario, type EventTruth, type GeneratedEvent, type GenerateEventOptions,
} from './signal';
export { Meter, type MeterOptions, type CaptureInput } from './meter';
export { generateReferenceCases, type ReferenceCase } from './reference';
