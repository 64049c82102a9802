// SPDX-License-Identifier: Apache-2.0
// The measurement record: what the LR chaincode stores for an authentic reading of an active
// meter, and what an auditor re-computes from the ledger's raw reading to check it. One pure
// function builds it for both, so the record the auditor expects is the approved code's own.
import { decideSpeed, type DecisionMeter } from './decision';
import type { RawReading } from './reading';
import type { RefusalCode } from './result';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from './version';

/** One processed reading, as stored, returned by `submitReading` and emitted as the `Measurement` event. */
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
  refusalCode?: RefusalCode;
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

/** The registered meter, as far as the record depends on it. */
export interface RecordMeter extends DecisionMeter {
  speedLimitKmh: number;
}

/** Where and by what the reading was processed: the transaction and the chaincode around the LR software. */
export interface RecordContext {
  /** SHA-256 (hex) of the signed reading bytes. */
  readingSha256: string;
  meterKeyIndex: number;
  chaincodeName: string;
  chaincodeVersion: string;
  /** The code digest of the installed package the chaincode runs from, when it knows one. */
  codeDigest?: string;
  txId: string;
  /** ISO 8601. */
  txTimestamp: string;
}

/** The record of `reading` from `meter` (its registered geometry and speed limit). Pure and deterministic. */
export function measurementRecord(reading: RawReading, meter: RecordMeter, context: RecordContext): MeasurementRecord {
  const result = decideSpeed(reading, meter);
  // The key order is the stored JSON's: peers endorse byte-identical records.
  const base = {
    meterId: reading.meterId,
    sequence: reading.sequence,
    captureTimeMs: reading.captureTimeMs,
    readingSha256: context.readingSha256,
  };
  const plate = reading.plateImageSha256;
  const tail = {
    ...(plate ? { plateImageSha256: Buffer.from(plate.buffer, plate.byteOffset, plate.byteLength).toString('hex') } : {}),
    lrSoftware: {
      name: LR_SOFTWARE_NAME,
      version: LR_SOFTWARE_VERSION,
      chaincodeName: context.chaincodeName,
      chaincodeVersion: context.chaincodeVersion,
      ...(context.codeDigest !== undefined ? { codeDigest: context.codeDigest } : {}),
    },
    meterKeyIndex: context.meterKeyIndex,
    txId: context.txId,
    txTimestamp: context.txTimestamp,
  };
  if (result.kind === 'measurement') {
    return {
      ...base,
      status: 'MEASURED',
      speedKmh: result.speedKmh,
      vehicleLengthM: result.vehicleLengthM,
      speedLimitKmh: meter.speedLimitKmh,
      speedLimitExceeded: result.speedKmh > meter.speedLimitKmh,
      ...tail,
    };
  }
  return {
    ...base,
    status: 'REFUSED',
    speedLimitKmh: meter.speedLimitKmh,
    refusalCode: result.code,
    refusalDetail: result.detail,
    ...tail,
  };
}
