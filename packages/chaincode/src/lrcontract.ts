// SPDX-License-Identifier: Apache-2.0
// The LR chaincode: the meter registry and the legally relevant processing of signed raw readings.
// State layout: ./keys.
//
// The notified body's registry lives in the governance chaincode, read here with
// stub.invokeChaincode (read-only): the transaction records those reads, so a concurrent change of
// an approval invalidates it (MVCC), as in Fabric.
import { createHash } from 'node:crypto';
import { Context, Contract, Transaction } from 'fabric-contract-api';
import { decodeReading, decodeSignedReading, LrError, measurementRecord, verifyReadingSignature, type RawReading } from '@metroledger/lr';
// Types only: the LR package carries no governance code; it talks to that chaincode through the peer.
import type { CallerOrganization, LrApprovalCheck, OrganizationRecord } from '@metroledger/governance/api';
import { callerOf } from './caller';
import {
  GOVERNANCE_CHAINCODE_NAME,
  LR_CHAINCODE_NAME,
  LR_CHAINCODE_VERSION,
  MAX_RECORDED_REJECTIONS,
  NOTIFIED_BODY_MSP_ID,
} from './config';
import { ChaincodeError, type ChaincodeErrorCode } from './errors';
import { LrKeyTypes, pad16 } from './keys';
import type { MeasurementRecord, Meter, MeterKey, Page, ReadingRejection } from './types';
import { batchOutcome, decodeReadingBatch, type ReadingBatchResult } from './batch';
import { RUNNING_SOFTWARE, requireApprovedCode, type LrSoftwareIdentity } from './software';
import { checkMeterId, decodeBase64Strict, p256PublicKeyPem, parseMeterRegistration, parsePageSize, parseUint } from './validation';

const { METER, METER_STATE, MEASUREMENT, MEASUREMENT_BY_SEQUENCE, REJECTION } = LrKeyTypes;

interface MeterState {
  lastSequence: number;
  /** Readings recorded as rejected since revocation. */
  rejected?: number;
}

export const MEASUREMENT_EVENT = 'Measurement';
export const METER_REGISTERED_EVENT = 'MeterRegistered';
export const METER_REVOKED_EVENT = 'MeterRevoked';
export const METER_KEY_ROTATED_EVENT = 'MeterKeyRotated';
export const READING_REJECTED_EVENT = 'ReadingRejected';
export const MEASUREMENT_BATCH_EVENT = 'MeasurementBatch';

/** What the earlier readings of a batch transaction read and wrote (a transaction does not read its own writes). */
interface BatchView {
  readonly meters: Map<string, Meter>;
  readonly states: Map<string, { key: string; state: MeterState }>;
  /** Meter models whose approval of this LR version was checked in this transaction. */
  readonly approvedModels: Set<string>;
  /** The batch's writes, in order, made once every reading has passed. */
  readonly writes: [string, Uint8Array][];
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
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

function checkReason(reason: string): string {
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 512) {
    throw new ChaincodeError('INVALID_ARGUMENT', 'reason must be a non-blank string of at most 512 characters');
  }
  return reason;
}

type GovernanceAnswer<T> = { ok: true; value: T } | { ok: false; message: string };

/** Calls a read-only function of the governance chaincode (same channel) and parses its JSON answer. */
async function queryGovernance<T>(ctx: Context, fn: string, ...args: string[]): Promise<GovernanceAnswer<T>> {
  let res;
  try {
    res = await ctx.stub.invokeChaincode(GOVERNANCE_CHAINCODE_NAME, [fn, ...args], '');
  } catch (err) {
    throw new ChaincodeError('GOVERNANCE_UNAVAILABLE', `cannot call ${GOVERNANCE_CHAINCODE_NAME}.${fn}: ${(err as Error).message}`);
  }
  if (res.status !== 200) return { ok: false, message: res.message ?? '' };
  try {
    return { ok: true, value: JSON.parse(Buffer.from(res.payload ?? []).toString('utf8')) as T };
  } catch {
    throw new ChaincodeError('GOVERNANCE_UNAVAILABLE', `${GOVERNANCE_CHAINCODE_NAME}.${fn} answered something that is not JSON`);
  }
}

/** Whether the meter's model may run this chaincode version: throws MODEL_NOT_APPROVED / LR_VERSION_NOT_APPROVED. */
async function requireLrApproval(ctx: Context, model: string): Promise<void> {
  const answer = await queryGovernance<LrApprovalCheck>(ctx, 'checkLrApproval', model, LR_CHAINCODE_NAME, LR_CHAINCODE_VERSION);
  if (!answer.ok) throw governanceRefusal(answer.message, 'checkLrApproval');
  const check = answer.value;
  if (!check.approved)
    throw new ChaincodeError(check.code as ChaincodeErrorCode, check.detail, { model, chaincodeVersion: LR_CHAINCODE_VERSION });
  requireApprovedCode(check.codeDigest);
}

function governanceRefusal(message: string, fn: string): ChaincodeError {
  if (message.startsWith('ACCESS_DENIED: ')) return new ChaincodeError('ACCESS_DENIED', message.slice('ACCESS_DENIED: '.length));
  return new ChaincodeError('GOVERNANCE_UNAVAILABLE', `${GOVERNANCE_CHAINCODE_NAME}.${fn} failed: ${message}`);
}

/** The key that verifies reading `sequence` of `meter` (for auditors re-verifying stored readings). */
export function meterKeyForSequence(meter: Pick<Meter, 'keyHistory'>, sequence: number): MeterKey | undefined {
  let found: MeterKey | undefined;
  for (const k of meter.keyHistory) if (k.validFromSequence <= sequence) found = k;
  return found;
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

  /** The notified body's registrars: its admins and clients (not its peers). */
  #requireNotifiedBody(ctx: Context, action: string): void {
    const caller = callerOf(ctx);
    if (caller.mspId !== NOTIFIED_BODY_MSP_ID || (caller.role !== 'admin' && caller.role !== 'client')) {
      throw new ChaincodeError(
        'ACCESS_DENIED',
        `only an admin or client of ${NOTIFIED_BODY_MSP_ID} may ${action}; caller is ${caller.mspId} ${caller.role ?? 'member'}`,
      );
    }
  }

  /** Readers: the notified body or an organization registered in the governance chaincode. */
  async #requireMember(ctx: Context): Promise<CallerOrganization> {
    const answer = await queryGovernance<CallerOrganization>(ctx, 'getCallerOrganization');
    if (!answer.ok) throw governanceRefusal(answer.message, 'getCallerOrganization');
    return answer.value;
  }

  async #meterState(ctx: Context, meterId: string): Promise<{ key: string; state: MeterState }> {
    const key = ctx.stub.createCompositeKey(METER_STATE, [meterId]);
    const bytes = await ctx.stub.getState(key);
    return { key, state: bytes.length === 0 ? { lastSequence: -1 } : (JSON.parse(Buffer.from(bytes).toString('utf8')) as MeterState) };
  }

  /**
   * Registers a meter (notified body only). Its owner must be an organization registered as a
   * METER_OWNER, its model type-approved with this chaincode's version. Returns the stored meter.
   */
  @Transaction()
  async registerMeter(ctx: Context, meterJson: string): Promise<Meter> {
    this.#requireNotifiedBody(ctx, 'register meters');
    const registration = parseMeterRegistration(meterJson);
    const key = ctx.stub.createCompositeKey(METER, [registration.meterId]);
    if ((await ctx.stub.getState(key)).length !== 0) {
      throw new ChaincodeError('METER_EXISTS', `meter ${registration.meterId} is already registered`);
    }
    const owner = await queryGovernance<OrganizationRecord>(ctx, 'getOrganization', registration.ownerMspId);
    if (!owner.ok && !owner.message.startsWith('ORGANIZATION_NOT_FOUND: ')) throw governanceRefusal(owner.message, 'getOrganization');
    if (!owner.ok || !owner.value.roles.includes('METER_OWNER')) {
      throw new ChaincodeError('INVALID_METER', `ownerMspId ${registration.ownerMspId} is not an organization registered as a meter owner`);
    }
    await requireLrApproval(ctx, registration.model);
    const txId = ctx.stub.getTxID();
    const at = txTime(ctx);
    const meter: Meter = {
      ...registration,
      status: 'ACTIVE',
      keyHistory: [
        { publicKeyPem: registration.publicKeyPem, validFromSequence: 0, validFromTxId: txId, validFrom: at, reason: 'registration' },
      ],
      registeredTxId: txId,
      registeredAt: at,
    };
    const bytes = json(meter);
    await ctx.stub.putState(key, bytes);
    ctx.stub.setEvent(METER_REGISTERED_EVENT, bytes);
    return meter;
  }

  /**
   * Replaces a meter's public key (notified body only), e.g. after its signing chip was replaced.
   * Readings signed with an earlier key are refused from now on; the key history keeps each key
   * with the first sequence, transaction and time it applies from. Returns the stored meter.
   */
  @Transaction()
  async rotateMeterKey(ctx: Context, meterId: string, newPublicKeyPem: string, reason: string): Promise<Meter> {
    this.#requireNotifiedBody(ctx, 'rotate meter keys');
    checkMeterId(meterId);
    checkReason(reason);
    let publicKeyPem: string;
    try {
      publicKeyPem = p256PublicKeyPem(newPublicKeyPem);
    } catch (err) {
      throw new ChaincodeError('INVALID_ARGUMENT', (err as ChaincodeError).message.replace(/^INVALID_METER: /, ''));
    }
    const meter = await this.#getMeter(ctx, meterId);
    if (meter.status !== 'ACTIVE') throw new ChaincodeError('METER_REVOKED', `meter ${meterId} was revoked`);
    if (meter.keyHistory.some((k) => k.publicKeyPem === publicKeyPem)) {
      throw new ChaincodeError('INVALID_ARGUMENT', `the key was already used by meter ${meterId}; a rotation needs a new key`);
    }
    const { state } = await this.#meterState(ctx, meterId);
    const key: MeterKey = {
      publicKeyPem,
      validFromSequence: state.lastSequence + 1,
      validFromTxId: ctx.stub.getTxID(),
      validFrom: txTime(ctx),
      reason,
    };
    const rotated: Meter = { ...meter, publicKeyPem, keyHistory: [...meter.keyHistory, key] };
    const bytes = json(rotated);
    await ctx.stub.putState(ctx.stub.createCompositeKey(METER, [meterId]), bytes);
    ctx.stub.setEvent(METER_KEY_ROTATED_EVENT, bytes);
    return rotated;
  }

  /**
   * Revokes a meter (notified body only). Its later authentic readings are recorded as rejected
   * (up to MAX_RECORDED_REJECTIONS), never measured. Returns the stored meter.
   */
  @Transaction()
  async revokeMeter(ctx: Context, meterId: string, reason: string): Promise<Meter> {
    this.#requireNotifiedBody(ctx, 'revoke meters');
    checkMeterId(meterId);
    checkReason(reason);
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
    await this.#requireMember(ctx);
    return this.#getMeter(ctx, checkMeterId(meterId));
  }

  /** Registered meters in meterId order; pageSize 1..100; bookmark '' for the first page. */
  @Transaction(false)
  async listMeters(ctx: Context, pageSize: string, bookmark: string): Promise<Page<Meter>> {
    await this.#requireMember(ctx);
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
   * Checks and processes one signed raw reading, submitted by a client of the meter's owner.
   * Forged, unauthorized, malformed or replayed input is rejected (the transaction fails, nothing
   * is written), and so is a reading of a meter whose model no longer approves this LR version
   * (LR_VERSION_NOT_APPROVED). An authentic reading of an active meter is always stored, as a
   * measurement or as refused by the LR software; one of a revoked meter is stored as a
   * ReadingRejection (its sequence still advances, so it cannot be replayed).
   */
  @Transaction()
  async submitReading(ctx: Context, signedReadingBase64: string): Promise<MeasurementRecord | ReadingRejection> {
    return this.#processReading(ctx, decodeBase64Strict(signedReadingBase64, 'signed reading'), undefined);
  }

  /**
   * Many signed readings in one transaction (a roadside concentrator, a busy meter): each one is
   * processed exactly as `submitReading` processes it, in batch order, and stored as its own record.
   * All or nothing: a reading `submitReading` would reject rejects the whole batch (the error names
   * its index; nothing is written). LR refusals and revoked-meter rejections are outcomes, recorded.
   */
  @Transaction()
  async submitReadingBatch(ctx: Context, batchBase64: string): Promise<ReadingBatchResult> {
    const signedReadings = decodeReadingBatch(decodeBase64Strict(batchBase64, 'reading batch'));
    const view: BatchView = { meters: new Map(), states: new Map(), approvedModels: new Set(), writes: [] };
    const outcomes: ReadingBatchResult['outcomes'] = [];
    for (let i = 0; i < signedReadings.length; i++) {
      let r: MeasurementRecord | ReadingRejection;
      try {
        r = await this.#processReading(ctx, signedReadings[i]!, view);
      } catch (err) {
        if (err instanceof ChaincodeError)
          throw new ChaincodeError(err.code, `reading ${i} of the batch: ${err.message.slice(err.code.length + 2)}`, {
            ...err.details,
            index: i,
          });
        throw err;
      }
      outcomes.push(batchOutcome(r));
    }
    for (const [key, value] of view.writes) await ctx.stub.putState(key, value);
    const result: ReadingBatchResult = { count: outcomes.length, outcomes };
    ctx.stub.setEvent(MEASUREMENT_BATCH_EVENT, json(result));
    return result;
  }

  /**
   * The processing of one signed reading. `batch` (in a batch transaction) carries what earlier
   * readings of the same transaction wrote, since a transaction does not read its own writes;
   * per-reading events are left to the batch's single event.
   */
  async #processReading(ctx: Context, envelope: Uint8Array, batch: BatchView | undefined): Promise<MeasurementRecord | ReadingRejection> {
    // A batch writes only once every reading has passed, so a refused batch leaves no write behind.
    const put =
      batch === undefined
        ? (key: string, value: Uint8Array) => ctx.stub.putState(key, value)
        : async (key: string, value: Uint8Array) => void batch.writes.push([key, value]);
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
    let meter = batch?.meters.get(meterId);
    if (meter === undefined) {
      meter = await this.#getMeter(ctx, meterId);
      batch?.meters.set(meterId, meter);
    }
    const caller = callerOf(ctx);
    if (caller.mspId !== meter.ownerMspId || caller.role !== 'client') {
      throw new ChaincodeError(
        'ACCESS_DENIED',
        `readings of meter ${meterId} are submitted by clients of ${meter.ownerMspId}, not ${caller.mspId} ${caller.role ?? 'member'}`,
      );
    }
    // Only the current key: after a rotation, readings signed with an earlier key are refused.
    // Keys are parsed once per PEM and cached by the LR software.
    if (!verifyReadingSignature(readingBytes, signature, meter.publicKeyPem)) {
      throw new ChaincodeError('BAD_SIGNATURE', `reading ${reading.sequence} is not signed by meter ${meterId}'s current key`);
    }
    const { key: stateKey, state } = batch?.states.get(meterId) ?? (await this.#meterState(ctx, meterId));
    if (reading.sequence <= state.lastSequence) {
      throw new ChaincodeError(
        'REPLAYED_SEQUENCE',
        `sequence ${reading.sequence} of meter ${meterId} is not above the last accepted ${state.lastSequence}`,
      );
    }
    const readingSha256 = createHash('sha256').update(readingBytes).digest('hex');
    const meterKeyIndex = meter.keyHistory.length - 1;
    if (meter.status !== 'ACTIVE') {
      const rejected = state.rejected ?? 0;
      if (rejected >= MAX_RECORDED_REJECTIONS) {
        throw new ChaincodeError('METER_REVOKED', `meter ${meterId} was revoked; ${rejected} later readings are recorded already`, {
          meterId,
        });
      }
      const rejection: ReadingRejection = {
        status: 'REJECTED',
        reason: 'METER_REVOKED',
        meterId,
        sequence: reading.sequence,
        captureTimeMs: reading.captureTimeMs,
        readingSha256,
        meterKeyIndex,
        txId: ctx.stub.getTxID(),
        txTimestamp: txTime(ctx),
      };
      const bytes = json(rejection);
      const next: MeterState = { lastSequence: reading.sequence, rejected: rejected + 1 };
      await put(stateKey, json(next));
      batch?.states.set(meterId, { key: stateKey, state: next });
      await put(ctx.stub.createCompositeKey(REJECTION, [meterId, pad16(reading.sequence)]), bytes);
      if (batch === undefined) ctx.stub.setEvent(READING_REJECTED_EVENT, bytes);
      return rejection;
    }
    if (!batch?.approvedModels.has(meter.model)) {
      await requireLrApproval(ctx, meter.model);
      batch?.approvedModels.add(meter.model);
    }

    const record = this.#measure(ctx, meter, reading, readingSha256, meterKeyIndex);
    const recordBytes = json(record);
    const next: MeterState = { lastSequence: reading.sequence };
    await put(stateKey, json(next));
    batch?.states.set(meterId, { key: stateKey, state: next });
    await put(ctx.stub.createCompositeKey(MEASUREMENT, [meterId, pad16(reading.captureTimeMs), pad16(reading.sequence)]), recordBytes);
    await put(
      ctx.stub.createCompositeKey(MEASUREMENT_BY_SEQUENCE, [meterId, pad16(reading.sequence)]),
      Buffer.from(pad16(reading.captureTimeMs)),
    );
    if (batch === undefined) ctx.stub.setEvent(MEASUREMENT_EVENT, recordBytes);
    return record;
  }

  /** The LR software's record of the reading: its decision with the registered geometry, in this transaction. */
  #measure(ctx: Context, meter: Meter, reading: RawReading, readingSha256: string, meterKeyIndex: number): MeasurementRecord {
    return measurementRecord(reading, meter, {
      readingSha256,
      meterKeyIndex,
      chaincodeName: RUNNING_SOFTWARE.chaincodeName,
      chaincodeVersion: RUNNING_SOFTWARE.chaincodeVersion,
      ...(RUNNING_SOFTWARE.codeDigest !== undefined ? { codeDigest: RUNNING_SOFTWARE.codeDigest } : {}),
      txId: ctx.stub.getTxID(),
      txTimestamp: txTime(ctx),
    });
  }

  @Transaction(false)
  async getMeasurement(ctx: Context, meterId: string, sequence: string): Promise<MeasurementRecord> {
    await this.#requireMember(ctx);
    checkMeterId(meterId);
    const seq = parseUint(sequence, 'sequence');
    const time = Buffer.from(await ctx.stub.getState(ctx.stub.createCompositeKey(MEASUREMENT_BY_SEQUENCE, [meterId, pad16(seq)]))).toString(
      'utf8',
    );
    const bytes =
      time === '' ? new Uint8Array(0) : await ctx.stub.getState(ctx.stub.createCompositeKey(MEASUREMENT, [meterId, time, pad16(seq)]));
    if (bytes.length === 0) throw new ChaincodeError('MEASUREMENT_NOT_FOUND', `meter ${meterId} has no measurement ${seq}`);
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as MeasurementRecord;
  }

  /**
   * A meter's measurements with capture time in [fromMs, toMs), in capture-time order;
   * pageSize 1..100; bookmark '' for the first page, then the returned one until it is ''.
   */
  @Transaction(false)
  async queryMeasurements(
    ctx: Context,
    meterId: string,
    fromMs: string,
    toMs: string,
    pageSize: string,
    bookmark: string,
  ): Promise<Page<MeasurementRecord>> {
    await this.#requireMember(ctx);
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

  /** The LR software and code this chaincode runs, as it reports it (the lrSoftware of its measurements). */
  @Transaction(false)
  async getRunningSoftware(_ctx: Context): Promise<LrSoftwareIdentity> {
    return RUNNING_SOFTWARE;
  }

  /** A revoked meter's recorded rejections in sequence order; pageSize 1..100; bookmark '' for the first page. */
  @Transaction(false)
  async listReadingRejections(ctx: Context, meterId: string, pageSize: string, bookmark: string): Promise<Page<ReadingRejection>> {
    await this.#requireMember(ctx);
    checkMeterId(meterId);
    const size = parsePageSize(pageSize);
    const start = decodeBookmark(bookmark, ctx.stub.createCompositeKey(REJECTION, [meterId]));
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(REJECTION, [meterId], size, start);
    const records: ReadingRejection[] = [];
    try {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        records.push(JSON.parse(Buffer.from(r.value.value).toString('utf8')) as ReadingRejection);
      }
    } finally {
      await iterator.close();
    }
    return { records, bookmark: encodeBookmark(metadata?.bookmark) };
  }
}
