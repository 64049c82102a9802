// SPDX-License-Identifier: Apache-2.0
// A block as the dashboard shows it, decoded with the project's own decoders: Fabric messages by
// @metroledger/protocol, readings by @metroledger/lr, BFT certificates by @metroledger/ordering.
// Never throws on a bad block or transaction: what does not parse is shown as such.
import type { IdentityDeserializer } from '@metroledger/identity';
import { decodeReading, decodeReadingBatch, decodeSignedReading } from '@metroledger/lr';
import { decisionOfBlock } from '@metroledger/ordering';
import {
  blockEnvelopes,
  blockSignatures,
  decodeBlock,
  getLastConfigIndex,
  getTransactionFilter,
  parseChannelConfig,
  parseEnvelope,
  txValidationCodeName,
  type ChannelConfig,
  type ParsedTransaction,
} from '@metroledger/protocol';
import type { MeasurementRecord, ReadingBatchResult, ReadingRejection } from '@metroledger/chaincode';
import type { MeasurementRow, Party, ReadingDetail, TxDetail } from './api.js';

const CONFIG_TX = 1;
const text = new TextDecoder();

export interface DecodedTx {
  readonly txNumber: number;
  readonly txId: string;
  /** Fabric TxValidationCode (0 VALID). */
  readonly code: number;
  readonly validation: string;
  readonly chaincodeName: string;
  readonly chaincodeVersion: string;
  readonly fn: string;
  readonly timestampMs: number;
  readonly creator?: Party;
  readonly endorsers: readonly Party[];
  /** The readings the transaction recorded (only for a VALID LR transaction). */
  readonly readings: readonly MeasurementRow[];
  readonly parseError?: string;
}

export interface DecodedBlock {
  readonly number: number;
  readonly bytes: number;
  readonly txs: readonly DecodedTx[];
  readonly lastConfigIndex: number;
  /** Set when this is a config block. */
  readonly config?: ChannelConfig;
  /** BFT: the view of its commit certificate (undefined when the metadata is not this project's form). */
  readonly view?: number;
  /** Consenter ids whose signatures the block carries (Fabric 3 BFT identifier headers). */
  readonly signers: readonly number[];
  readonly malformed?: string;
}

export interface DecodeOptions {
  /** Chaincode name of the LR chaincode. Default 'lr'. */
  readonly lrChaincode?: string;
}

function partyOf(ids: IdentityDeserializer, serialized: Uint8Array): Party {
  try {
    const id = ids.deserialize(serialized);
    return { mspId: id.mspId, name: id.commonName };
  } catch {
    return { mspId: '?', name: '(unreadable identity)' };
  }
}

function timestampMs(tx: ParsedTransaction): number {
  return tx.timestamp.seconds * 1000 + Math.floor(tx.timestamp.nanos / 1e6);
}

function argText(tx: ParsedTransaction, i: number): string | undefined {
  const a = tx.args[i];
  return a === undefined ? undefined : text.decode(a);
}

/** The readings a VALID LR transaction recorded, from the chaincode's answer (the result the endorsers signed). */
function readingsOf(tx: ParsedTransaction, fn: string, blockNumber: number, txTimeMs: number): MeasurementRow[] {
  const base = { txId: tx.txId, blockNumber, txTimeMs };
  let answer: unknown;
  try {
    answer = JSON.parse(text.decode(tx.response.payload));
  } catch {
    return [];
  }
  if (fn === 'submitReading') {
    const r = answer as Partial<MeasurementRecord> | Partial<ReadingRejection>;
    if (typeof r.meterId !== 'string' || typeof r.sequence !== 'number' || typeof r.captureTimeMs !== 'number') return [];
    if (r.status === 'REJECTED')
      return [
        {
          ...base,
          meterId: r.meterId,
          sequence: r.sequence,
          captureTimeMs: r.captureTimeMs,
          status: 'REJECTED',
          refusalCode: (r as ReadingRejection).reason,
        },
      ];
    const m = r as Partial<MeasurementRecord>;
    if (m.status !== 'MEASURED' && m.status !== 'REFUSED') return [];
    return [
      {
        ...base,
        meterId: r.meterId,
        sequence: r.sequence,
        captureTimeMs: r.captureTimeMs,
        status: m.status,
        ...(typeof m.speedKmh === 'number' && { speedKmh: m.speedKmh }),
        ...(typeof m.speedLimitKmh === 'number' && { speedLimitKmh: m.speedLimitKmh }),
        ...(typeof m.speedLimitExceeded === 'boolean' && { exceeded: m.speedLimitExceeded }),
        ...(typeof m.refusalCode === 'string' && { refusalCode: m.refusalCode }),
      },
    ];
  }
  if (fn === 'submitReadingBatch') {
    const outcomes = (answer as Partial<ReadingBatchResult>).outcomes;
    if (!Array.isArray(outcomes)) return [];
    // Capture times are in the signed readings themselves (the outcomes do not repeat them).
    let captured: number[] = [];
    try {
      const arg = argText(tx, 1);
      captured =
        arg === undefined
          ? []
          : decodeReadingBatch(Buffer.from(arg, 'base64')).map((s) => decodeReading(decodeSignedReading(s).reading).captureTimeMs);
    } catch {
      captured = [];
    }
    return outcomes.flatMap((o, i) =>
      typeof o.meterId === 'string' &&
      typeof o.sequence === 'number' &&
      (o.status === 'MEASURED' || o.status === 'REFUSED' || o.status === 'REJECTED')
        ? [
            {
              ...base,
              meterId: o.meterId,
              sequence: o.sequence,
              captureTimeMs: captured[i] ?? txTimeMs,
              status: o.status,
              batchIndex: i,
              ...(typeof o.speedKmh === 'number' && { speedKmh: o.speedKmh }),
              ...(typeof o.speedLimitExceeded === 'boolean' && { exceeded: o.speedLimitExceeded }),
              ...(typeof o.refusalCode === 'string' && { refusalCode: o.refusalCode }),
            },
          ]
        : [],
    );
  }
  return [];
}

/** Decodes a serialized common.Block for the dashboard's model. */
export function decodeDashboardBlock(bytes: Uint8Array, ids: IdentityDeserializer, opts: DecodeOptions = {}): DecodedBlock {
  const lr = opts.lrChaincode ?? 'lr';
  let block;
  try {
    block = decodeBlock(bytes);
  } catch (err) {
    return { number: -1, bytes: bytes.length, txs: [], lastConfigIndex: 0, signers: [], malformed: (err as Error).message };
  }
  const number = block.getHeader()?.getNumber() ?? -1;
  const filter = getTransactionFilter(block);
  const envelopes = blockEnvelopes(block);
  const txs: DecodedTx[] = [];
  let config: ChannelConfig | undefined;
  for (let i = 0; i < envelopes.length; i++) {
    const code = filter[i] ?? 0;
    let tx: ParsedTransaction;
    try {
      tx = parseEnvelope(envelopes[i]!);
    } catch (err) {
      txs.push({
        txNumber: i,
        txId: '',
        code,
        validation: txValidationCodeName(code),
        chaincodeName: '',
        chaincodeVersion: '',
        fn: '',
        timestampMs: 0,
        endorsers: [],
        readings: [],
        parseError: (err as Error).message,
      });
      continue;
    }
    if (tx.type === CONFIG_TX) {
      try {
        config = parseChannelConfig(block);
      } catch {
        // shown as a config transaction without its details
      }
    }
    const fn = argText(tx, 0) ?? '';
    const ts = timestampMs(tx);
    txs.push({
      txNumber: i,
      txId: tx.txId,
      code,
      validation: txValidationCodeName(code),
      chaincodeName: tx.type === CONFIG_TX ? '(config)' : tx.chaincodeName,
      chaincodeVersion: tx.chaincodeVersion,
      fn,
      timestampMs: ts,
      ...(tx.creator.length > 0 && { creator: partyOf(ids, tx.creator) }),
      endorsers: tx.endorsements.map((e) => partyOf(ids, e.endorser)),
      readings: code === 0 && tx.chaincodeName === lr ? readingsOf(tx, fn, number, ts) : [],
    });
  }
  let signers: number[] = [];
  let lastConfigIndex = 0;
  try {
    signers = blockSignatures(block).flatMap((s) => (s.consenterId === undefined ? [] : [s.consenterId]));
    lastConfigIndex = getLastConfigIndex(block);
  } catch {
    // a block without readable signatures metadata (the genesis block has none)
  }
  let view: number | undefined;
  if (signers.length > 0) {
    try {
      view = decisionOfBlock(bytes).certificate.view;
    } catch {
      // another orderer's consenter metadata (e.g. Fabric's own SmartBFT): the view is not known
    }
  }
  return {
    number,
    bytes: bytes.length,
    txs,
    lastConfigIndex,
    signers,
    ...(config !== undefined && { config }),
    ...(view !== undefined && { view }),
  };
}

/**
 * One transaction of a block in full, for the drill-down: its parties and, for an LR transaction,
 * each raw reading with its loop signals and the outcome the chaincode recorded.
 * Undefined when the block has no such transaction.
 */
export function transactionDetail(bytes: Uint8Array, txId: string, ids: IdentityDeserializer): TxDetail | undefined {
  const block = decodeBlock(bytes);
  const number = block.getHeader()?.getNumber() ?? -1;
  const filter = getTransactionFilter(block);
  const envelopes = blockEnvelopes(block);
  for (let i = 0; i < envelopes.length; i++) {
    let tx: ParsedTransaction;
    try {
      tx = parseEnvelope(envelopes[i]!);
    } catch {
      continue;
    }
    if (tx.txId !== txId) continue;
    const fn = argText(tx, 0) ?? '';
    const code = filter[i] ?? 0;
    const rows = code === 0 ? readingsOf(tx, fn, number, timestampMs(tx)) : [];
    let answer: Partial<MeasurementRecord> | undefined;
    try {
      answer = JSON.parse(text.decode(tx.response.payload)) as Partial<MeasurementRecord>;
    } catch {
      answer = undefined;
    }
    const signed: Uint8Array[] = [];
    try {
      const arg = argText(tx, 1);
      if (arg !== undefined && fn === 'submitReading') signed.push(Buffer.from(arg, 'base64'));
      if (arg !== undefined && fn === 'submitReadingBatch') signed.push(...decodeReadingBatch(Buffer.from(arg, 'base64')));
    } catch {
      // not a reading transaction, or a malformed one: no readings to show
    }
    const readings: ReadingDetail[] = [];
    for (const [k, s] of signed.entries()) {
      let reading;
      try {
        reading = decodeReading(decodeSignedReading(s).reading);
      } catch {
        continue;
      }
      const row = rows.find((r) => r.meterId === reading.meterId && r.sequence === reading.sequence);
      const full = fn === 'submitReading' ? answer : undefined;
      readings.push({
        meterId: reading.meterId,
        sequence: reading.sequence,
        captureTimeMs: reading.captureTimeMs,
        sampleRateHz: reading.sampleRateHz,
        loopA: Array.from(reading.loopA),
        loopB: Array.from(reading.loopB),
        ...(reading.plateImageSha256 !== undefined && { plateImageSha256: Buffer.from(reading.plateImageSha256).toString('hex') }),
        ...(fn === 'submitReadingBatch' && { batchIndex: k }),
        ...(row !== undefined && {
          outcome: {
            status: row.status,
            ...(row.speedKmh !== undefined && { speedKmh: row.speedKmh }),
            ...(row.speedLimitKmh !== undefined && { speedLimitKmh: row.speedLimitKmh }),
            ...(row.exceeded !== undefined && { exceeded: row.exceeded }),
            ...(row.refusalCode !== undefined && { refusalCode: row.refusalCode }),
            ...(typeof full?.vehicleLengthM === 'number' && { vehicleLengthM: full.vehicleLengthM }),
            ...(typeof full?.refusalDetail === 'string' && { refusalDetail: full.refusalDetail }),
            ...(full?.lrSoftware !== undefined && { lrSoftware: full.lrSoftware }),
          },
        }),
      });
    }
    return {
      txId: tx.txId,
      blockNumber: number,
      txNumber: i,
      validation: txValidationCodeName(code),
      timestampMs: timestampMs(tx),
      ...(tx.creator.length > 0 && { creator: partyOf(ids, tx.creator) }),
      chaincode: { name: tx.type === CONFIG_TX ? '(config)' : tx.chaincodeName, version: tx.chaincodeVersion },
      function: fn,
      endorsers: tx.endorsements.map((e) => partyOf(ids, e.endorser)),
      readings,
    };
  }
  return undefined;
}
