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

/** Why a stored reading has no speed: the LR software's refusal, or the chaincode's own. */
export type MeasurementRefusalCode = RefusalCode | 'SAMPLE_RATE_MISMATCH';

/** One accepted reading, as stored, returned by `submitReading` and emitted as the `Measurement` event. */
export interface MeasurementRecord {
  meterId: string;
  sequence: number;
  /** Meter clock, Unix ms. */
  captureTimeMs: number;
  /** SHA-256 (hex) of the raw reading bytes the meter signed; the bytes are in the transaction. */
  readingSha256: string;
  status: 'MEASURED' | 'REFUSED';
  /** 0.1 km/h resolution; present when MEASURED. */
  speedKmh?: number;
  /** Indicative only; present when MEASURED. */
  vehicleLengthM?: number;
  /** The registered limit at the time of the reading. */
  speedLimitKmh: number;
  /** speedKmh > speedLimitKmh; present when MEASURED. */
  speedLimitExceeded?: boolean;
  /** Present when REFUSED. */
  refusalCode?: MeasurementRefusalCode;
  refusalDetail?: string;
  /** Hex, when the meter sent one. */
  plateImageSha256?: string;
  /**
   * The LR software that computed the record: the algorithm's name and version, the chaincode
   * version it ran in, and the code digest of the installed package it ran from (self-reported;
   * absent when run from a development tree).
   */
  lrSoftware: { name: string; version: string; chaincodeName: string; chaincodeVersion: string; codeDigest?: string };
  /** Index in the meter's keyHistory of the key that verified the reading. */
  meterKeyIndex: number;
  txId: string;
  /** ISO 8601, from the transaction's timestamp (not the meter clock). */
  txTimestamp: string;
}

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
