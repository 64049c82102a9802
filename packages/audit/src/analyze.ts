// SPDX-License-Identifier: Apache-2.0
// The stateless, CPU-heavy part of the audit of one block, run in worker threads (or inline):
// hashes, every signature (orderer, creator, endorsers, meter) and the LR re-execution. It returns
// plain facts; the auditor's main thread judges them in ledger order against the channel MSPs, the
// endorsement policy in force and the rebuilt meter registry.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { LrKeyTypes, pad16 } from '@metroledger/chaincode/api';
import { IdentityDeserializer, verifySignature } from '@metroledger/identity';
import {
  decodeReading,
  decodeReadingBatch,
  decodeSignedReading,
  verifyReadingSignature,
  type LoopGeometry,
  type RawReading,
  type RecordContext,
  type RecordMeter,
} from '@metroledger/lr';
import {
  blockDataHash,
  blockEnvelopes,
  blockHeaderHash,
  blockSignatures,
  compositeKey,
  decodeBlock,
  getTransactionFilter,
  parseEnvelope,
  planTransaction,
  ProtocolError,
  validationCodeOf,
  verifyInline,
  type ParsedTransaction,
  type PlanContext,
} from '@metroledger/protocol';

const { CONFIG } = common.HeaderType;

/**
 * An LR software implementation the auditor can re-run: what a version of @metroledger/lr exports.
 * Its own `measurementRecord` (the one the approved chaincode called) rebuilds the expected record.
 */
export interface LrImplementation {
  readonly name: string;
  readonly version: string;
  measurementRecord(reading: RawReading, meter: RecordMeter, context: RecordContext): object;
  /** Where it came from: 'bundled', 'module:<specifier>' or 'package:<package id>' (the report names it). */
  readonly origin?: string;
}

/** The parts of the LR chaincode's stored meter document the audit uses. */
export interface MeterDoc {
  meterId: string;
  ownerMspId: string;
  /** The current key. */
  publicKeyPem: string;
  geometry: LoopGeometry;
  location?: { text?: string; lat?: number; lon?: number };
  speedLimitKmh: number;
  model?: string;
  status: string;
  /** Every key the meter has had, oldest first (LR chaincode versions with key rotation). */
  keyHistory?: { publicKeyPem: string; validFromSequence: number }[];
  revocation?: { reason?: string };
}

/** A stored measurement record (JSON object). */
export type StoredRecord = Record<string, unknown>;

/** A registered meter as the worker knows it: `rev` changes with every registry write. */
export interface MeterEntry {
  readonly rev: number;
  readonly meter: MeterDoc;
}

export interface AnalyzeContext {
  /** Chaincode name (namespace) of the LR chaincode. */
  readonly lrNamespace: string;
  readonly lrImplementations: ReadonlyMap<string, LrImplementation>;
  /** BFT consenters by id: their signing certificate PEM. */
  readonly consenters: ReadonlyMap<number, string>;
  /** Namespaces whose writes the main thread follows (registry, governance). */
  readonly trackedNamespaces: ReadonlySet<string>;
  readonly meters: ReadonlyMap<string, MeterEntry>;
  readonly deserializer: IdentityDeserializer;
  /** The channel's identity rules, for the validation core's first phase (planTransaction). */
  readonly channel: PlanContext;
  /** Which channel configuration `channel` and `consenters` come from (it changes with config blocks). */
  readonly channelVersion: number;
}

export interface BlockSignatureFact {
  /** Index into BlockAnalysis.identities; -1 when named by consenter id. */
  readonly creator: number;
  readonly consenterId?: number;
  readonly ok: boolean;
}

export interface WriteFact {
  readonly ns: string;
  readonly key: string;
  readonly isDelete: boolean;
  readonly value: Uint8Array;
}

export interface FieldMismatch {
  readonly field: string;
  readonly stored: unknown;
  readonly expected: unknown;
}

export interface ReadingFacts {
  /** The reading's index in a submitReadingBatch transaction (absent for submitReading). */
  readonly batchIndex?: number;
  readonly malformed?: string;
  readonly meterId?: string;
  readonly sequence?: number;
  readonly captureTimeMs?: number;
  readonly readingSha256?: string;
  /** Registry revision of the meter entry the checks below used; -1 if the meter was unknown. */
  readonly meterRev: number;
  readonly signatureOk?: boolean;
  readonly lrVersion?: string;
  /** LrImplementation.origin of the implementation that re-executed it. */
  readonly lrOrigin?: string;
  /** 'unknown-version': no implementation of the recorded LR version; 'no-record': no record written. */
  readonly reexec?: 'match' | 'mismatch' | 'unknown-version' | 'no-record';
  readonly mismatches?: readonly FieldMismatch[];
  readonly status?: 'MEASURED' | 'REFUSED';
  /** The transaction recorded the reading as rejected (revoked meter) instead of measuring it. */
  readonly rejected?: boolean;
}

/** planTransaction's result as data: identities are indices into BlockAnalysis.identities. */
export interface TxPlanFacts {
  readonly decided?: number;
  readonly ifCreatorValid: number;
  readonly endorsers: readonly number[];
  readonly writes: { readonly public: boolean; readonly collections: readonly string[] };
}

export interface TxFacts {
  readonly txNum: number;
  readonly txId: string;
  /** Validation code recorded in the block's TRANSACTIONS_FILTER (undefined if the filter is absent). */
  readonly storedCode: number | undefined;
  readonly parseError?: string;
  readonly type: number;
  readonly channelId: string;
  readonly chaincodeName: string;
  /** The chaincode version the endorsers recorded (ChaincodeAction.chaincode_id.version). */
  readonly chaincodeVersion: string;
  /** args[0] as text. */
  readonly fn: string;
  readonly timestampMs: number;
  /** Index into BlockAnalysis.identities. */
  readonly creator: number;
  /** The validation core's first phase (stateless: parse, channel, membership, tx id, write set). */
  readonly plan: TxPlanFacts;
  /** The plan's signature checks, verified here: the creator's first, then each endorser's in plan order. */
  readonly verified: readonly boolean[];
  readonly writes: readonly WriteFact[];
  readonly reading?: ReadingFacts;
  /** submitReadingBatch: each reading of the batch, in batch order. */
  readonly readings?: readonly ReadingFacts[];
}

export interface BlockAnalysis {
  readonly malformed?: string;
  readonly number: number;
  /** AnalyzeContext.channelVersion this was analyzed with. */
  readonly channelVersion: number;
  readonly previousHash: Uint8Array;
  readonly headerHash: Uint8Array;
  readonly dataHashOk: boolean;
  readonly isConfig: boolean;
  readonly txFilter: Uint8Array | undefined;
  readonly signatures: readonly BlockSignatureFact[];
  readonly signaturesMalformed?: string;
  /** Distinct serialized identities (creators, endorsers, orderers) referenced by index. */
  readonly identities: Uint8Array[];
  readonly txs: readonly TxFacts[];
  /** Signatures verified in this block (for the counts). */
  readonly signaturesVerified: number;
}

const EMPTY = new Uint8Array(0);

const text = new TextDecoder();

function key(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

class IdentityTable {
  readonly list: Uint8Array[] = [];
  readonly #index = new Map<string, number>();
  add(bytes: Uint8Array): number {
    const k = key(bytes);
    let i = this.#index.get(k);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(bytes.slice());
      this.#index.set(k, i);
    }
    return i;
  }
}

function verifyBy(ctx: AnalyzeContext, serialized: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifySignature(ctx.deserializer.deserialize(serialized).publicKey, message, signature);
  } catch {
    return false;
  }
}

/**
 * The record the LR chaincode must have written for this reading, re-computed by `impl`'s own
 * record function. Fields that newer chaincode versions add (the key index, the chaincode's own
 * name and version) are expected when the stored record or the meter document carries them.
 */
export function expectedRecord(
  reading: RawReading,
  readingBytes: Uint8Array,
  meter: MeterDoc,
  impl: LrImplementation,
  tx: { txId: string; timestampMs: number; readingSha256?: string },
  stored?: StoredRecord,
): StoredRecord {
  const storedSw = (stored?.['lrSoftware'] ?? {}) as Record<string, unknown>;
  // Which chaincode ran the LR software is checked against the governance registry, not here.
  const record = impl.measurementRecord(reading, meter, {
    readingSha256: tx.readingSha256 ?? createHash('sha256').update(readingBytes).digest('hex'),
    meterKeyIndex: meter.keyHistory === undefined ? -1 : meter.keyHistory.length - 1,
    chaincodeName: storedSw['chaincodeName'] as string,
    chaincodeVersion: storedSw['chaincodeVersion'] as string,
    // The code digest the chaincode reports (self-reported; see docs/GOVERNANCE.md).
    ...('codeDigest' in storedSw ? { codeDigest: storedSw['codeDigest'] as string } : {}),
    txId: tx.txId,
    txTimestamp: new Date(tx.timestampMs).toISOString(),
  }) as StoredRecord;
  const lrSoftware = record['lrSoftware'] as Record<string, unknown>;
  if (!('chaincodeName' in storedSw)) delete lrSoftware['chaincodeName'];
  if (!('chaincodeVersion' in storedSw)) delete lrSoftware['chaincodeVersion'];
  if (meter.keyHistory === undefined) delete record['meterKeyIndex'];
  return record;
}

/** Field-by-field differences (union of keys), values compared by their JSON text. */
export function compareRecords(stored: Record<string, unknown>, expected: Record<string, unknown>): FieldMismatch[] {
  const out: FieldMismatch[] = [];
  const keys = new Set([...Object.keys(expected), ...Object.keys(stored)]);
  for (const k of keys) {
    const s = stored[k];
    const e = expected[k];
    if (JSON.stringify(s) !== JSON.stringify(e)) out.push({ field: k, stored: s, expected: e });
  }
  return out;
}

/** Meter signature and re-execution of one submitReading transaction, against the meter table in `ctx`. */
export function analyzeReading(tx: ParsedTransaction, writes: readonly WriteFact[], ctx: AnalyzeContext): ReadingFacts {
  const arg = tx.args[1];
  if (arg === undefined) return { malformed: 'submitReading has no argument', meterRev: -1 };
  return analyzeSignedReading(Buffer.from(text.decode(arg), 'base64'), tx, writes, ctx, true);
}

/**
 * Every reading of one submitReadingBatch transaction, checked and re-executed as a submitReading
 * would be. The meter's last sequence is written once per meter, after its last reading of the batch.
 */
export function analyzeReadingBatch(tx: ParsedTransaction, writes: readonly WriteFact[], ctx: AnalyzeContext): ReadingFacts[] {
  const arg = tx.args[1];
  if (arg === undefined) return [{ malformed: 'submitReadingBatch has no argument', meterRev: -1 }];
  let signed: Uint8Array[];
  try {
    signed = decodeReadingBatch(Buffer.from(text.decode(arg), 'base64'));
  } catch (err) {
    return [{ malformed: `the batch does not decode: ${(err as Error).message}`, meterRev: -1 }];
  }
  const meterOf = signed.map((s) => {
    try {
      return decodeReading(decodeSignedReading(s).reading).meterId;
    } catch {
      return undefined;
    }
  });
  return signed.map((s, i) => ({ ...analyzeSignedReading(s, tx, writes, ctx, meterOf.indexOf(meterOf[i], i + 1) < 0), batchIndex: i }));
}

/** Reading `index` of the transaction again (submitReading when index is undefined), e.g. with a newer meter table. */
export function reanalyzeReading(
  tx: ParsedTransaction,
  writes: readonly WriteFact[],
  ctx: AnalyzeContext,
  index: number | undefined,
): ReadingFacts {
  if (index === undefined) return analyzeReading(tx, writes, ctx);
  return analyzeReadingBatch(tx, writes, ctx)[index] ?? { malformed: `no reading ${index} in the batch`, meterRev: -1, batchIndex: index };
}

function analyzeSignedReading(
  envelope: Uint8Array,
  tx: ParsedTransaction,
  writes: readonly WriteFact[],
  ctx: AnalyzeContext,
  checkLastSequence: boolean,
): ReadingFacts {
  let readingBytes: Uint8Array;
  let signature: Uint8Array;
  let reading: RawReading;
  try {
    ({ reading: readingBytes, signature } = decodeSignedReading(envelope));
    reading = decodeReading(readingBytes);
  } catch (err) {
    return { malformed: (err as Error).message, meterRev: -1 };
  }
  const located = {
    meterId: reading.meterId,
    sequence: reading.sequence,
    captureTimeMs: reading.captureTimeMs,
    readingSha256: createHash('sha256').update(readingBytes).digest('hex'),
  };
  const entry = ctx.meters.get(reading.meterId);
  if (entry === undefined) return { ...located, meterRev: -1 };
  const meter = entry.meter;
  let signatureOk: boolean;
  try {
    signatureOk = verifyReadingSignature(readingBytes, signature, meter.publicKeyPem);
  } catch {
    signatureOk = false;
  }
  // Chaincode versions with key rotation record an authentic reading of a revoked meter as a rejection.
  const rejectionKey = compositeKey(LrKeyTypes.REJECTION, [reading.meterId, pad16(reading.sequence)]);
  if (writes.some((w) => w.ns === ctx.lrNamespace && w.key === rejectionKey && !w.isDelete))
    return { ...located, meterRev: entry.rev, signatureOk, rejected: true };
  const recordKey = compositeKey(LrKeyTypes.MEASUREMENT, [reading.meterId, pad16(reading.captureTimeMs), pad16(reading.sequence)]);
  const recordWrite = writes.find((w) => w.ns === ctx.lrNamespace && w.key === recordKey && !w.isDelete);
  if (recordWrite === undefined) return { ...located, meterRev: entry.rev, signatureOk, reexec: 'no-record' };
  let stored: StoredRecord;
  try {
    stored = JSON.parse(text.decode(recordWrite.value)) as StoredRecord;
  } catch {
    return {
      ...located,
      meterRev: entry.rev,
      signatureOk,
      reexec: 'mismatch',
      mismatches: [{ field: '(record)', stored: text.decode(recordWrite.value).slice(0, 200), expected: 'JSON MeasurementRecord' }],
    };
  }
  const sw = (stored['lrSoftware'] ?? {}) as { name?: unknown; version?: unknown };
  const lrVersion = String(sw.version ?? '');
  const storedStatus = stored['status'] === 'MEASURED' || stored['status'] === 'REFUSED' ? stored['status'] : undefined;
  const impl = ctx.lrImplementations.get(lrVersion);
  if (impl === undefined || impl.name !== sw.name) {
    return {
      ...located,
      meterRev: entry.rev,
      signatureOk,
      lrVersion,
      reexec: 'unknown-version',
      ...(storedStatus ? { status: storedStatus } : {}),
    };
  }
  const expected = expectedRecord(
    reading,
    readingBytes,
    meter,
    impl,
    { txId: tx.txId, timestampMs: tx.timestamp.seconds * 1000 + tx.timestamp.nanos / 1e6, readingSha256: located.readingSha256 },
    stored,
  );
  const mismatches = compareRecords(stored, expected);
  const lrOrigin = impl.origin === undefined ? {} : { lrOrigin: impl.origin };
  // The chaincode also advances the meter's last sequence in the same transaction.
  const stateWrite = writes.find((w) => w.ns === ctx.lrNamespace && w.key === compositeKey(LrKeyTypes.METER_STATE, [reading.meterId]));
  const lastSequence = stateWrite === undefined || stateWrite.isDelete ? undefined : safeJson(stateWrite.value)?.lastSequence;
  if (checkLastSequence && lastSequence !== reading.sequence)
    mismatches.push({ field: 'meterstate.lastSequence', stored: lastSequence, expected: reading.sequence });
  return mismatches.length === 0
    ? {
        ...located,
        meterRev: entry.rev,
        signatureOk,
        lrVersion,
        ...lrOrigin,
        reexec: 'match',
        status: expected['status'] as 'MEASURED' | 'REFUSED',
      }
    : {
        ...located,
        meterRev: entry.rev,
        signatureOk,
        lrVersion,
        ...lrOrigin,
        reexec: 'mismatch',
        mismatches,
        ...(storedStatus ? { status: storedStatus } : {}),
      };
}

function safeJson(bytes: Uint8Array): { lastSequence?: unknown } | undefined {
  try {
    return JSON.parse(text.decode(bytes)) as { lastSequence?: unknown };
  } catch {
    return undefined;
  }
}

const METER_KEY_PREFIX = compositeKey(LrKeyTypes.METER, []);

/** The transaction's writes in the namespaces the audit follows. */
export function writesOf(tx: ParsedTransaction, ctx: Pick<AnalyzeContext, 'trackedNamespaces'>): WriteFact[] {
  const writes: WriteFact[] = [];
  for (const rw of tx.rwsets) {
    if (!ctx.trackedNamespaces.has(rw.namespace)) continue;
    for (const w of rw.writes) writes.push({ ns: rw.namespace, key: w.key, isDelete: w.isDelete, value: w.isDelete ? EMPTY : w.value });
  }
  return writes;
}

function txFactsOf(
  tx: ParsedTransaction,
  txNum: number,
  storedCode: number | undefined,
  ids: IdentityTable,
  ctx: AnalyzeContext,
  counter: { sigs: number },
): TxFacts {
  const fn = tx.args[0] === undefined ? '' : text.decode(tx.args[0]);
  const timestampMs = tx.timestamp.seconds * 1000 + Math.floor(tx.timestamp.nanos / 1e6);
  const creator = ids.add(tx.creator);
  // plan -> verify here (the audit's own verifier, in this thread) -> decide on the main thread, in ledger order.
  const plan = planTransaction(tx, ctx.channel);
  const verified = plan.checks.length > 0 ? (verifyInline(plan.checks) as boolean[]) : [];
  counter.sigs += plan.checks.length;
  const planFacts: TxPlanFacts = {
    ...(plan.decided !== undefined && { decided: plan.decided }),
    ifCreatorValid: plan.ifCreatorValid,
    endorsers: plan.endorsers.map((e) => ids.add(e.serialized)),
    writes: plan.writes,
  };
  const base = {
    txNum,
    txId: tx.txId,
    storedCode,
    type: tx.type,
    channelId: tx.channelId,
    chaincodeName: tx.chaincodeName,
    chaincodeVersion: tx.chaincodeVersion,
    fn,
    timestampMs,
    creator,
    plan: planFacts,
    verified,
  };
  if (tx.type === CONFIG) return { ...base, writes: [] };
  // The main thread follows only the registry writes of the LR namespace (and plugins' namespaces);
  // measurement records stay here, where they are compared.
  const writes = writesOf(tx, ctx).filter((w) => w.ns !== ctx.lrNamespace || w.key.startsWith(METER_KEY_PREFIX));
  const facts: TxFacts = { ...base, writes };
  // Only transactions the peers kept can be measurements; failed ones wrote nothing.
  if (tx.chaincodeName === ctx.lrNamespace && fn === 'submitReading' && storedCode === 0) {
    counter.sigs++;
    return { ...facts, reading: analyzeReading(tx, writesOf(tx, ctx), ctx) };
  }
  if (tx.chaincodeName === ctx.lrNamespace && fn === 'submitReadingBatch' && storedCode === 0) {
    const readings = analyzeReadingBatch(tx, writesOf(tx, ctx), ctx);
    counter.sigs += readings.length;
    return { ...facts, readings };
  }
  return facts;
}

/** Everything about one block that needs no ledger state but the meter table. Never throws on bad input. */
export function analyzeBlock(bytes: Uint8Array, ctx: AnalyzeContext): BlockAnalysis {
  let block: common.Block;
  let header: { number: number; previousHash: Uint8Array; dataHash: Uint8Array };
  try {
    block = decodeBlock(bytes);
    const h = block.getHeader()!;
    header = { number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() };
  } catch (err) {
    return {
      malformed: (err as Error).message,
      number: -1,
      channelVersion: ctx.channelVersion,
      previousHash: EMPTY,
      headerHash: EMPTY,
      dataHashOk: false,
      isConfig: false,
      txFilter: undefined,
      signatures: [],
      identities: [],
      txs: [],
      signaturesVerified: 0,
    };
  }
  const envelopes = blockEnvelopes(block);
  const dataHashOk = Buffer.compare(blockDataHash(envelopes), header.dataHash) === 0;
  const filter = getTransactionFilter(block);
  const txFilter = filter.length > 0 ? filter.slice() : undefined;
  const ids = new IdentityTable();
  const counter = { sigs: 0 };

  const signatures: BlockSignatureFact[] = [];
  let signaturesMalformed: string | undefined;
  try {
    for (const s of blockSignatures(block)) {
      counter.sigs++;
      if (s.creator !== undefined) {
        signatures.push({ creator: ids.add(s.creator), ok: verifyBy(ctx, s.creator, s.message, s.signature) });
      } else if (s.consenterId !== undefined) {
        const pem = ctx.consenters.get(s.consenterId);
        let ok = false;
        if (pem !== undefined) {
          try {
            ok = verifySignature(consenterKey(pem), s.message, s.signature);
          } catch {
            ok = false;
          }
        }
        signatures.push({ creator: -1, consenterId: s.consenterId, ok });
      }
    }
  } catch (err) {
    signaturesMalformed = err instanceof ProtocolError ? err.message : String(err);
  }

  const txs: TxFacts[] = [];
  let isConfig = false;
  for (let txNum = 0; txNum < envelopes.length; txNum++) {
    const storedCode = txFilter === undefined || txNum >= txFilter.length ? undefined : txFilter[txNum]!;
    let tx: ParsedTransaction;
    try {
      tx = parseEnvelope(envelopes[txNum]!);
    } catch (err) {
      const loc = bestEffortLocation(envelopes[txNum]!, ctx.lrNamespace);
      const decided = err instanceof ProtocolError ? validationCodeOf(err) : peer.TxValidationCode.INVALID_OTHER_REASON;
      const plan: TxPlanFacts = { decided, ifCreatorValid: decided, endorsers: [], writes: { public: false, collections: [] } };
      txs.push({
        txNum,
        txId: loc.txId,
        ...(loc.reading === undefined ? {} : { reading: loc.reading }),
        storedCode,
        parseError: err instanceof ProtocolError ? err.code : String(err),
        type: 0,
        channelId: '',
        chaincodeName: '',
        chaincodeVersion: '',
        fn: '',
        timestampMs: 0,
        creator: -1,
        plan,
        verified: [],
        writes: [],
      });
      continue;
    }
    if (tx.type === CONFIG) isConfig = true;
    txs.push(txFactsOf(tx, txNum, storedCode, ids, ctx, counter));
  }
  const result: BlockAnalysis = {
    number: header.number,
    channelVersion: ctx.channelVersion,
    previousHash: header.previousHash.slice(),
    headerHash: blockHeaderHash(header),
    dataHashOk,
    isConfig,
    txFilter,
    signatures,
    identities: ids.list,
    txs,
    signaturesVerified: counter.sigs,
  };
  return signaturesMalformed === undefined ? result : { ...result, signaturesMalformed };
}

const consenterKeys = new Map<string, KeyObject>();
function consenterKey(pem: string): KeyObject {
  let k = consenterKeys.get(pem);
  if (k === undefined) {
    k = new X509Certificate(pem).publicKey;
    consenterKeys.set(pem, k);
  }
  return k;
}

/**
 * What can still be read from an envelope that does not fully parse (e.g. its proposal hash no
 * longer matches because its arguments were altered): the tx id and, for a reading, its meter and
 * sequence, so that the finding can name them.
 */
function bestEffortLocation(envelope: Uint8Array, lrNamespace: string): { txId: string; reading?: ReadingFacts } {
  let txId = '';
  try {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8());
    txId = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? EMPTY).getTxId();
    const action = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0];
    if (action === undefined) return { txId };
    const cpp = peer.ChaincodeProposalPayload.deserializeBinary(
      peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getChaincodeProposalPayload_asU8(),
    );
    const spec = peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()).getChaincodeSpec();
    const args = spec?.getInput()?.getArgsList_asU8() ?? [];
    if (
      spec?.getChaincodeId()?.getName() !== lrNamespace ||
      args[0] === undefined ||
      text.decode(args[0]) !== 'submitReading' ||
      args[1] === undefined
    )
      return { txId };
    const { reading } = decodeSignedReading(Buffer.from(text.decode(args[1]), 'base64'));
    // The meter id and sequence sit in the header of the reading, before the samples.
    const r = decodeReading(reading);
    return { txId, reading: { meterId: r.meterId, sequence: r.sequence, meterRev: -1 } };
  } catch {
    return { txId };
  }
}
