// SPDX-License-Identifier: Apache-2.0
// Settling a replay refusal from the ledger. The LR chaincode refuses a meter's sequence it has
// already accepted (REPLAYED_SEQUENCE). When a retried submission meets that refusal, an earlier
// attempt may have committed although its answer was lost: the ledger's record of that sequence
// says which reading it holds (its SHA-256), and the same reading means the submission succeeded.
import { createHash } from 'node:crypto';
import { decodeReading, decodeReadingBatch, decodeSignedReading, LrError } from '@metroledger/lr';
import { ClientError } from './errors';
import type { Committed, ReplaySettler } from './submit';

/** A reading's place on the ledger and what it is. */
export interface ReadingIdentity {
  readonly meterId: string;
  readonly sequence: number;
  /** SHA-256 (hex) of the canonical reading bytes, as the chaincode records it (`readingSha256`). */
  readonly readingSha256: string;
}

/** What the ledger holds under a meter's sequence (a measurement, LR refusal or revoked-meter rejection record). */
export interface LedgerReading {
  readonly readingSha256: string;
  readonly txId: string;
  readonly [field: string]: unknown;
}

/** Looks a meter's sequence up on the ledger; undefined when the peer asked has no record of it. */
export type ReadingLookup = (meterId: string, sequence: number) => Promise<LedgerReading | undefined>;

/** The identity of a signed reading as a meter sends it. Throws BAD_REQUEST when it does not decode. */
export function readingIdentity(signedReading: Uint8Array): ReadingIdentity {
  try {
    const { reading } = decodeSignedReading(signedReading);
    const { meterId, sequence } = decodeReading(reading);
    return { meterId, sequence, readingSha256: createHash('sha256').update(reading).digest('hex') };
  } catch (err) {
    if (err instanceof LrError) throw new ClientError('BAD_REQUEST', `not a signed reading: ${err.message}`, { cause: err });
    throw err;
  }
}

async function recordsOf(lookup: ReadingLookup, readings: readonly ReadingIdentity[], refusal: ClientError): Promise<LedgerReading[]> {
  const records: LedgerReading[] = [];
  for (const r of readings) {
    const found = await lookup(r.meterId, r.sequence);
    if (found === undefined) {
      // The endorser saw the sequence taken, the peer queried has no record of it: one of them is
      // behind the other. Endorse again later; the retry policy bounds how often.
      throw new ClientError(
        'COMMIT_UNKNOWN',
        `${refusal.message}; the ledger queried has no record of meter ${r.meterId} sequence ${r.sequence} yet`,
        {
          cause: refusal,
          chaincodeCode: 'REPLAYED_SEQUENCE',
          retryCause: 'LAGGING_PEER',
        },
      );
    }
    if (found.readingSha256 !== r.readingSha256) {
      throw new ClientError(
        'ENDORSEMENT_FAILED',
        `${refusal.message}; the ledger holds another reading under meter ${r.meterId} sequence ${r.sequence} (sha256 ${found.readingSha256}, not ${r.readingSha256})`,
        {
          cause: refusal,
          chaincodeCode: 'REPLAYED_SEQUENCE',
          transactionId: found.txId,
        },
      );
    }
    records.push(found);
  }
  return records;
}

async function blockOf(txId: string, context: Parameters<ReplaySettler>[1]): Promise<bigint> {
  if (!context.ours.has(txId)) return -1n;
  return (await context.statusOf(txId)).blockNumber;
}

/** Settles a `submitReading` replay: success with the ledger's record when it is this reading. */
export function settleReadingReplay(signedReading: Uint8Array, lookup: ReadingLookup): ReplaySettler {
  return async (refusal, context): Promise<Committed> => {
    const [record] = await recordsOf(lookup, [readingIdentity(signedReading)], refusal);
    return { transactionId: record!.txId, blockNumber: await blockOf(record!.txId, context), result: Buffer.from(JSON.stringify(record)) };
  };
}

/**
 * Settles a `submitReadingBatch` replay: a batch commits all or nothing in one transaction, so it
 * committed when every reading is on the ledger, unchanged, from one transaction. The result is
 * the batch result the chaincode returned (`{count, outcomes}`), rebuilt from the records.
 */
export function settleBatchReplay(batch: Uint8Array, lookup: ReadingLookup): ReplaySettler {
  return async (refusal, context): Promise<Committed> => {
    let readings: ReadingIdentity[];
    try {
      readings = decodeReadingBatch(batch).map(readingIdentity);
    } catch (err) {
      throw err instanceof LrError ? new ClientError('BAD_REQUEST', `not a reading batch: ${err.message}`, { cause: err }) : err;
    }
    const records = await recordsOf(lookup, readings, refusal);
    const txIds = new Set(records.map((r) => r.txId));
    if (txIds.size !== 1) {
      throw new ClientError(
        'ENDORSEMENT_FAILED',
        `${refusal.message}; the batch's readings are on the ledger from ${txIds.size} transactions, not as this batch`,
        { cause: refusal, chaincodeCode: 'REPLAYED_SEQUENCE' },
      );
    }
    const txId = records[0]!.txId;
    const outcomes = records.map(outcomeOf);
    return {
      transactionId: txId,
      blockNumber: await blockOf(txId, context),
      result: Buffer.from(JSON.stringify({ count: outcomes.length, outcomes })),
    };
  };
}

/** A record as the batch result states it (the chaincode's batchOutcome). */
function outcomeOf(r: LedgerReading): Record<string, unknown> {
  const base = { meterId: r['meterId'], sequence: r['sequence'] };
  if (r['status'] === 'REJECTED') return { ...base, status: 'REJECTED', refusalCode: r['reason'] };
  if (r['status'] === 'REFUSED')
    return { ...base, status: 'REFUSED', ...(r['refusalCode'] !== undefined ? { refusalCode: r['refusalCode'] } : {}) };
  return { ...base, status: 'MEASURED', speedKmh: r['speedKmh'], speedLimitExceeded: r['speedLimitExceeded'] };
}
