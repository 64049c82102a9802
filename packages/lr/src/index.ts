// SPDX-License-Identifier: Apache-2.0
// The legally relevant software: raw-reading codec, meter signature check, the LR decision
// (dual-loop speed computation and every legal refusal) and the measurement record.
export { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from './version';
export { LrError, type LrErrorCode } from './errors';
export {
  encodeReading,
  decodeReading,
  encodeSignedReading,
  decodeSignedReading,
  MAX_SAMPLES_PER_LOOP,
  MAX_SAMPLE_RATE_HZ,
  type RawReading,
  type SignedReading,
} from './reading';
export { encodeReadingBatch, decodeReadingBatch, READING_BATCH_MAGIC, MAX_BATCH_READINGS, MAX_BATCH_BYTES } from './batch';
export { verifyReadingSignature } from './signature';
export { GEOMETRY_LIMITS, geometryProblem, type LoopGeometry } from './geometry';
export { REFUSAL_CODES, type RefusalCode, type SpeedMeasurement, type SpeedRefusal, type SpeedResult } from './result';
export { MIN_SPEED_KMH, MAX_SPEED_KMH } from './speed';
export { decideSpeed, type DecisionReading, type DecisionMeter } from './decision';
export { measurementRecord, type MeasurementRecord, type RecordMeter, type RecordContext } from './record';
export { MPE, mpeKmh, withinMpe } from './mpe';
