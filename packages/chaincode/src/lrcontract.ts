// SPDX-License-Identifier: Apache-2.0
// The LR chaincode: the meter registry and the legally relevant processing of signed raw readings.
//
// State layout (composite keys, one namespace):
//   meter       [meterId]                -> Meter JSON
//   meterstate  [meterId]                -> {"lastSequence": n}   (small: one write per reading)
//   measurement [meterId, time16, seq16] -> MeasurementRecord JSON (range-queryable by capture time)
//   mseq        [meterId, seq16]         -> time16                 (lookup by sequence)
// time16/seq16 are zero-padded to 16 digits so that byte order is numeric order.
import { createHash } from 'node:crypto';
import { Context, Contract, Transaction } from 'fabric-contract-api';
import {
  computeSpeed,
  decodeReading,
  decodeSignedReading,
  LR_SOFTWARE_NAME,
  LR_SOFTWARE_VERSION,
  LrError,
  verifyReadingSignature,
  type RawReading,
  type SpeedResult,
} from '@metroledger/lr';
import { NOTIFIED_BODY_MSP_ID } from './config';
import { ChaincodeError } from './errors';
import type { MeasurementRecord, MeasurementRefusalCode, Meter, Page } from './types';
import { checkMeterId, decodeBase64Strict, parseMeterRegistration, parsePageSize, parseUint } from './validation';

const METER = 'meter';
const METER_STATE = 'meterstate';
const MEASUREMENT = 'measurement';
const MEASUREMENT_BY_SEQUENCE = 'mseq';

export const MEASUREMENT_EVENT = 'Measurement';
export const METER_REGISTERED_EVENT = 'MeterRegistered';
export const METER_REVOKED_EVENT = 'MeterRevoked';

function pad16(n: number): string {
  return n.toString().padStart(16, '0');
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Opaque page bookmarks: the next state key, base64url (composite keys contain NUL characters). */
function encodeBookmark(key: string | undefined): string {
  return key ? Buffer.from(key, 'utf8').toString('base64url') : '';
}

function decodeBookmark(bookmark: string, prefix: string): string {
  if (bookmark === '') return '';
  const key = /^[A-Za-z0-9_-]+$/.test(bookmark) ? Buffer.from(bookmark, 'base64url').toString('utf8') : '';
  if (!key.startsWith(prefix) || key.length === prefix.length) {
    throw new ChaincodeError('INVALID_ARGUMENT', 'bookmark does not belong to this query');
  }
  return key;
}

function txTime(ctx: Context): string {
  return ctx.stub.getDateTimestamp().toISOString();
}

export class LrContract extends Contract {
  constructor() {
    super('lr');
  }

  async #getMeter(ctx: Context, meterId: string): Promise<Meter> {
    const bytes = await ctx.stub.getState(ctx.stub.createCompositeKey(METER, [meterId]));
    if (bytes.length === 0) throw new ChaincodeError('METER_NOT_FOUND', `meter ${meterId} is not registered`, { meterId });
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as Meter;
  }

  #requireNotifiedBody(ctx: Context, action: string): void {
    const msp = ctx.clientIdentity.getMSPID();
    if (msp !== NOTIFIED_BODY_MSP_ID) {
      throw new ChaincodeError('ACCESS_DENIED', `only ${NOTIFIED_BODY_MSP_ID} may ${action}; caller is ${msp}`);
    }
  }

  /** Registers a meter (notified body only). Returns the stored meter. */
  @Transaction()
  async registerMeter(ctx: Context, meterJson: string): Promise<Meter> {
    this.#requireNotifiedBody(ctx, 'register meters');
    const registration = parseMeterRegistration(meterJson);
    const key = ctx.stub.createCompositeKey(METER, [registration.meterId]);
    if ((await ctx.stub.getState(key)).length !== 0) {
      throw new ChaincodeError('METER_EXISTS', `meter ${registration.meterId} is already registered`);
    }
    const meter: Meter = { ...registration, status: 'ACTIVE', registeredTxId: ctx.stub.getTxID(), registeredAt: txTime(ctx) };
    const bytes = json(meter);
    await ctx.stub.putState(key, bytes);
    ctx.stub.setEvent(METER_REGISTERED_EVENT, bytes);
    return meter;
  }

  /** Revokes a meter (notified body only): its later readings are rejected. Returns the stored meter. */
  @Transaction()
  async revokeMeter(ctx: Context, meterId: string, reason: string): Promise<Meter> {
    this.#requireNotifiedBody(ctx, 'revoke meters');
    checkMeterId(meterId);
    if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 512) {
      throw new ChaincodeError('INVALID_ARGUMENT', 'reason must be a non-blank string of at most 512 characters');
    }
    const meter = await this.#getMeter(ctx, meterId);
    if (meter.status === 'REVOKED') throw new ChaincodeError('METER_REVOKED', `meter ${meterId} is already revoked`);
    const revoked: Meter = { ...meter, status: 'REVOKED', revocation: { reason, txId: ctx.stub.getTxID(), at: txTime(ctx) } };
    const bytes = json(revoked);
    await ctx.stub.putState(ctx.stub.createCompositeKey(METER, [meterId]), bytes);
    ctx.stub.setEvent(METER_REVOKED_EVENT, bytes);
    return revoked;
  }

  @Transaction(false)
  async getMeter(ctx: Context, meterId: string): Promise<Meter> {
    return this.#getMeter(ctx, checkMeterId(meterId));
  }

  /** Registered meters in meterId order; pageSize 1..100; bookmark '' for the first page. */
  @Transaction(false)
  async listMeters(ctx: Context, pageSize: string, bookmark: string): Promise<Page<Meter>> {
    const size = parsePageSize(pageSize);
    const start = decodeBookmark(bookmark, ctx.stub.createCompositeKey(METER, []));
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(METER, [], size, start);
    const records: Meter[] = [];
    try {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        records.push(JSON.parse(Buffer.from(r.value.value).toString('utf8')) as Meter);
      }
    } finally {
      await iterator.close();
    }
    return { records, bookmark: encodeBookmark(metadata?.bookmark) };
  }

  /**
   * Checks and processes one signed raw reading from a meter's operator. Forged, unauthorized,
   * malformed or replayed input is rejected (the transaction fails, nothing is written). An
   * authentic reading is always stored, as a measurement or as refused by the LR software.
   */
  @Transaction()
  async submitReading(ctx: Context, signedReadingBase64: string): Promise<MeasurementRecord> {
    const envelope = decodeBase64Strict(signedReadingBase64, 'signed reading');
    let readingBytes: Uint8Array;
    let signature: Uint8Array;
    let reading: RawReading;
    try {
      ({ reading: readingBytes, signature } = decodeSignedReading(envelope));
      reading = decodeReading(readingBytes);
    } catch (err) {
      if (err instanceof LrError && err.code === 'MALFORMED_READING') throw new ChaincodeError('MALFORMED_READING', err.message);
      throw err;
    }
    const meterId = reading.meterId;
    const meter = await this.#getMeter(ctx, meterId);
    if (meter.status !== 'ACTIVE') throw new ChaincodeError('METER_REVOKED', `meter ${meterId} was revoked`, { meterId });
    const caller = ctx.clientIdentity.getMSPID();
    if (caller !== meter.ownerMspId) {
      throw new ChaincodeError('ACCESS_DENIED', `readings of meter ${meterId} are submitted by ${meter.ownerMspId}, not ${caller}`);
    }
    // Keys are parsed once per PEM and cached by the LR software.
    if (!verifyReadingSignature(readingBytes, signature, meter.publicKeyPem)) {
      throw new ChaincodeError('BAD_SIGNATURE', `reading ${reading.sequence} is not signed by meter ${meterId}`);
    }
    const stateKey = ctx.stub.createCompositeKey(METER_STATE, [meterId]);
    const stateBytes = await ctx.stub.getState(stateKey);
    const lastSequence = stateBytes.length === 0 ? -1 : (JSON.parse(Buffer.from(stateBytes).toString('utf8')) as { lastSequence: number }).lastSequence;
    if (reading.sequence <= lastSequence) {
      throw new ChaincodeError('REPLAYED_SEQUENCE', `sequence ${reading.sequence} of meter ${meterId} is not above the last accepted ${lastSequence}`);
    }

    const record = this.#measure(ctx, meter, reading, readingBytes);
    const recordBytes = json(record);
    await ctx.stub.putState(stateKey, json({ lastSequence: reading.sequence }));
    await ctx.stub.putState(ctx.stub.createCompositeKey(MEASUREMENT, [meterId, pad16(reading.captureTimeMs), pad16(reading.sequence)]), recordBytes);
    await ctx.stub.putState(ctx.stub.createCompositeKey(MEASUREMENT_BY_SEQUENCE, [meterId, pad16(reading.sequence)]), Buffer.from(pad16(reading.captureTimeMs)));
    ctx.stub.setEvent(MEASUREMENT_EVENT, recordBytes);
    return record;
  }

  #measure(ctx: Context, meter: Meter, reading: RawReading, readingBytes: Uint8Array): MeasurementRecord {
    // The LR software uses the registered geometry; a meter reporting another sample rate is
    // misconfigured or tampered with, and its timing cannot be trusted.
    const result: SpeedResult | { kind: 'refusal'; code: MeasurementRefusalCode; detail: string } =
      reading.sampleRateHz !== meter.geometry.sampleRateHz
        ? { kind: 'refusal', code: 'SAMPLE_RATE_MISMATCH', detail: `meter reports ${reading.sampleRateHz} Hz, registered ${meter.geometry.sampleRateHz} Hz` }
        : computeSpeed(reading.loopA, reading.loopB, meter.geometry);
    const base = {
      meterId: reading.meterId,
      sequence: reading.sequence,
      captureTimeMs: reading.captureTimeMs,
      readingSha256: createHash('sha256').update(readingBytes).digest('hex'),
    };
    const tail = {
      ...(reading.plateImageSha256 ? { plateImageSha256: hex(reading.plateImageSha256) } : {}),
      lrSoftware: { name: LR_SOFTWARE_NAME, version: LR_SOFTWARE_VERSION },
      txId: ctx.stub.getTxID(),
      txTimestamp: txTime(ctx),
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
    return { ...base, status: 'REFUSED', speedLimitKmh: meter.speedLimitKmh, refusalCode: result.code, refusalDetail: result.detail, ...tail };
  }

  @Transaction(false)
  async getMeasurement(ctx: Context, meterId: string, sequence: string): Promise<MeasurementRecord> {
    checkMeterId(meterId);
    const seq = parseUint(sequence, 'sequence');
    const time = Buffer.from(await ctx.stub.getState(ctx.stub.createCompositeKey(MEASUREMENT_BY_SEQUENCE, [meterId, pad16(seq)]))).toString('utf8');
    const bytes = time === '' ? new Uint8Array(0) : await ctx.stub.getState(ctx.stub.createCompositeKey(MEASUREMENT, [meterId, time, pad16(seq)]));
    if (bytes.length === 0) throw new ChaincodeError('MEASUREMENT_NOT_FOUND', `meter ${meterId} has no measurement ${seq}`);
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as MeasurementRecord;
  }

  /**
   * A meter's measurements with capture time in [fromMs, toMs), in capture-time order;
   * pageSize 1..100; bookmark '' for the first page, then the returned one until it is ''.
   */
  @Transaction(false)
  async queryMeasurements(ctx: Context, meterId: string, fromMs: string, toMs: string, pageSize: string, bookmark: string): Promise<Page<MeasurementRecord>> {
    checkMeterId(meterId);
    const from = parseUint(fromMs, 'fromMs');
    const to = parseUint(toMs, 'toMs');
    if (from > to) throw new ChaincodeError('INVALID_ARGUMENT', 'fromMs must not be after toMs');
    const size = parsePageSize(pageSize);
    const prefix = ctx.stub.createCompositeKey(MEASUREMENT, [meterId]);
    const endTime = pad16(to);
    const inRange = (key: string): boolean => ctx.stub.splitCompositeKey(key).attributes[1]! < endTime;
    // The peer starts a paginated scan at the bookmark: the first page starts at fromMs.
    const start = decodeBookmark(bookmark, prefix) || ctx.stub.createCompositeKey(MEASUREMENT, [meterId, pad16(from)]);
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(MEASUREMENT, [meterId], size, start);
    const records: MeasurementRecord[] = [];
    let ended = false;
    try {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        if (!inRange(r.value.key)) {
          ended = true;
          break;
        }
        records.push(JSON.parse(Buffer.from(r.value.value).toString('utf8')) as MeasurementRecord);
      }
    } finally {
      await iterator.close();
    }
    const next = metadata?.bookmark;
    return { records, bookmark: ended || !next || !inRange(next) ? '' : encodeBookmark(next) };
  }
}
