// SPDX-License-Identifier: Apache-2.0
// The legally relevant software: raw-reading codec, meter signature check, dual-loop speed computation.
export const LR_SOFTWARE_NAME = 'metroledger-speed';
export const LR_SOFTWARE_VERSION = '1.0.0';
export { LrError, type LrErrorCode } from './errors';
export {
  encodeReading, decodeReading, encodeSignedReading, decodeSignedReading, MAX_SAMPLES_PER_LOOP,
  type RawReading, type SignedReading,
} from './reading';
export { encodeReadingBatch, decodeReadingBatch, READING_BATCH_MAGIC, MAX_BATCH_READINGS, MAX_BATCH_BYTES } from './batch';
export { verifyReadingSignature } from './signature';
export {
  computeSpeed, withinMpe, MIN_SPEED_KMH, MAX_SPEED_KMH,
  type LoopGeometry, type RefusalCode, type SpeedMeasurement, type SpeedRefusal, type SpeedResult,
} from './speed';
