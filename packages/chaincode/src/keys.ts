// SPDX-License-Identifier: Apache-2.0
// The LR chaincode's state layout (composite keys, one namespace), owned here and imported by every
// reader of its state (the audit):
//   meter       [meterId]                -> Meter JSON (with its key history)
//   meterstate  [meterId]                -> {"lastSequence": n, "rejected"?: n} (small: one write per reading)
//   measurement [meterId, time16, seq16] -> MeasurementRecord JSON (range-queryable by capture time)
//   mseq        [meterId, seq16]         -> time16                 (lookup by sequence)
//   rejection   [meterId, seq16]         -> ReadingRejection JSON  (readings of a revoked meter)
// Readers without a stub build the keys with @metroledger/protocol's `compositeKey`.

/** The composite-key object types of the LR chaincode's state. */
export const LrKeyTypes = {
  METER: 'meter',
  METER_STATE: 'meterstate',
  MEASUREMENT: 'measurement',
  MEASUREMENT_BY_SEQUENCE: 'mseq',
  REJECTION: 'rejection',
} as const;

/** time16/seq16: zero-padded to 16 digits so that byte order is numeric order. */
export function pad16(n: number): string {
  return n.toString().padStart(16, '0');
}
