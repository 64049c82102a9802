// SPDX-License-Identifier: Apache-2.0
// What an operator follows of each committed block: its transactions (type, chaincode, validation
// code) and the readings the LR chaincode recorded (measured, refused by the LR software with a
// code, rejected). Read from the committer's notice; the logs and metrics are built on it.
import { common, peer } from '@hyperledger/fabric-protos';
import type { CommitNotice } from '@metroledger/peer';
import { txValidationCodeName } from '@metroledger/protocol';

export interface CommittedTxSummary {
  readonly txId: string;
  /** Fabric's TxValidationCode name: VALID, MVCC_READ_CONFLICT, ENDORSEMENT_POLICY_FAILURE, … */
  readonly validationCode: string;
  /** common.HeaderType name: ENDORSER_TRANSACTION, CONFIG, … */
  readonly type: string;
  /** The invoked chaincode ('' for a config transaction or an unreadable one). */
  readonly chaincode: string;
}

export interface ReadingOutcome {
  readonly meterId: string;
  readonly sequence: number;
  readonly txId: string;
  /** MEASURED; REFUSED by the LR software (`refusalCode`); REJECTED (a revoked meter). */
  readonly status: 'MEASURED' | 'REFUSED' | 'REJECTED';
  readonly refusalCode?: string;
  readonly speedKmh?: number;
  readonly speedLimitExceeded?: boolean;
}

export interface BlockSummary {
  readonly blockNum: number;
  readonly txs: readonly CommittedTxSummary[];
  readonly readings: readonly ReadingOutcome[];
}

// The LR chaincode's event names (@metroledger/chaincode's lrcontract: MEASUREMENT_EVENT, …),
// spelled out so that observing never loads the chaincode module itself.
const MEASUREMENT = 'Measurement';
const MEASUREMENT_BATCH = 'MeasurementBatch';
const READING_REJECTED = 'ReadingRejected';

const HEADER_TYPES = new Map<number, string>(Object.entries(common.HeaderType).map(([name, n]) => [n as number, name]));

function txHeader(envelope: Uint8Array): { type: string; chaincode: string } {
  try {
    const header = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8()).getHeader();
    const ch = common.ChannelHeader.deserializeBinary(header?.getChannelHeader_asU8() ?? new Uint8Array());
    const type = HEADER_TYPES.get(ch.getType()) ?? `UNKNOWN(${ch.getType()})`;
    if (ch.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return { type, chaincode: '' };
    return { type, chaincode: peer.ChaincodeHeaderExtension.deserializeBinary(ch.getExtension_asU8()).getChaincodeId()?.getName() ?? '' };
  } catch {
    return { type: 'UNREADABLE', chaincode: '' };
  }
}

function parse<T>(payload: Uint8Array): T | undefined {
  try {
    return JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

type Outcome = Omit<ReadingOutcome, 'txId'>;

/** The transactions of a committed block, and the reading outcomes the chaincodes named `lrChaincodes` emitted. */
export function summarizeBlock(notice: CommitNotice, lrChaincodes: ReadonlySet<string>): BlockSummary {
  const envelopes = notice.block.getData()?.getDataList_asU8() ?? [];
  const txs = notice.txs.map((tx, i) => ({
    txId: tx.txId,
    validationCode: txValidationCodeName(tx.code),
    ...txHeader(envelopes[i] ?? new Uint8Array()),
  }));
  const readings: ReadingOutcome[] = [];
  for (const ev of notice.events) {
    if (!lrChaincodes.has(ev.chaincodeId)) continue;
    if (ev.eventName === MEASUREMENT || ev.eventName === READING_REJECTED) {
      const r = parse<Outcome & { status?: string }>(ev.payload);
      if (r?.meterId !== undefined) readings.push(outcome(r, ev.txId));
    } else if (ev.eventName === MEASUREMENT_BATCH) {
      for (const r of parse<{ outcomes?: Outcome[] }>(ev.payload)?.outcomes ?? []) readings.push(outcome(r, ev.txId));
    }
  }
  return { blockNum: notice.blockNum, txs, readings };
}

function outcome(r: Outcome, txId: string): ReadingOutcome {
  return {
    meterId: r.meterId,
    sequence: r.sequence,
    txId,
    status: r.status,
    ...(r.refusalCode !== undefined && { refusalCode: r.refusalCode }),
    ...(r.speedKmh !== undefined && { speedKmh: r.speedKmh }),
    ...(r.speedLimitExceeded !== undefined && { speedLimitExceeded: r.speedLimitExceeded }),
  };
}
