// SPDX-License-Identifier: Apache-2.0
// The JSON documents the LR chaincode takes and stores.
import type { LoopGeometry, RefusalCode } from '@metroledger/lr';

/** The argument of `registerMeter`, as JSON. Unknown fields are rejected. */
export interface MeterRegistration {
  /** 1..64 printable ASCII, as in the meter's readings. */
  meterId: string;
  /** MSP id of the organization that operates the meter and submits its readings. */
  ownerMspId: string;
  /** The meter's ECDSA P-256 public key, PEM (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY"). */
  publicKeyPem: string;
  /** Loop spacing 0.5..50 m, loop length 0 < l <= spacing and <= 10 m, sample rate 100..100000 Hz (integer). */
  geometry: LoopGeometry;
  location: { text: string; lat: number; lon: number };
  /** 1..250 km/h. */
  speedLimitKmh: number;
  model: string;
}

export type MeterStatus = 'ACTIVE' | 'REVOKED';

/** One public key of a meter and from when it is valid. */
export interface MeterKey {
  publicKeyPem: string;
  /** The first reading sequence signed with this key: readings from here up to the next key's validFromSequence (exclusive). */
  validFromSequence: number;
  /** The transaction that registered or rotated in this key, and its time (ISO 8601). */
  validFromTxId: string;
  validFrom: string;
  reason: string;
}

/** A registered meter, as stored and returned by `getMeter`. `publicKeyPem` is the current key. */
export interface Meter extends MeterRegistration {
  status: MeterStatus;
  /** Every key the meter has had, oldest first; the last one is `publicKeyPem`. */
  keyHistory: MeterKey[];
  registeredTxId: string;
  /** ISO 8601, from the registering transaction's timestamp. */
  registeredAt: string;
  revocation?: { reason: string; txId: string; at: string };
}

/** Why a stored reading has no speed: every refusal is the LR software's (the LR decision owns them all). */
export type MeasurementRefusalCode = RefusalCode;

/** The measurement record is the LR software's: it builds the record the chaincode stores and the auditor re-computes. */
export type { MeasurementRecord } from '@metroledger/lr';

/**
 * An authentic reading of a revoked meter: recorded (so the attempt is on the ledger) but not
 * measured. Returned by `submitReading` and emitted as the `ReadingRejected` event.
 */
export interface ReadingRejection {
  status: 'REJECTED';
  reason: 'METER_REVOKED';
  meterId: string;
  sequence: number;
  captureTimeMs: number;
  readingSha256: string;
  meterKeyIndex: number;
  txId: string;
  txTimestamp: string;
}

/** One page of a paginated query; an empty bookmark means there is nothing more. */
export interface Page<T> {
  records: T[];
  bookmark: string;
}
