// SPDX-License-Identifier: Apache-2.0
// Aggregated submissions: many meters' signed readings in one transaction (a roadside concentrator,
// a busy meter), each verified and computed by the LR chaincode one by one (`submitReadingBatch`).
// The container format is the LR software's (`@metroledger/lr`).
import { decodeReadingBatch as decodeLrBatch, encodeReadingBatch as encodeLrBatch, LrError } from '@metroledger/lr';
import { ClientError } from './errors';

export { MAX_BATCH_BYTES, MAX_BATCH_READINGS } from '@metroledger/lr';

function asClientError<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof LrError) throw new ClientError('BAD_REQUEST', `${what}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Packs canonical signed readings (as a meter produces them) into one batch. Throws BAD_REQUEST. */
export function encodeReadingBatch(signedReadings: readonly Uint8Array[]): Uint8Array {
  return asClientError('cannot make a reading batch', () => encodeLrBatch(signedReadings));
}

/** The signed readings of a batch (views into `batch`). Throws BAD_REQUEST. */
export function decodeReadingBatch(batch: Uint8Array): Uint8Array[] {
  return asClientError('not a reading batch', () => decodeLrBatch(batch));
}

/** One reading's outcome in a committed batch, in batch order (the full record is on the ledger). */
export interface BatchReadingOutcome {
  readonly meterId: string;
  readonly sequence: number;
  readonly status: 'MEASURED' | 'REFUSED' | 'REJECTED';
  readonly speedKmh?: number;
  readonly speedLimitExceeded?: boolean;
  readonly refusalCode?: string;
}

export interface SubmittedBatch {
  readonly transactionId: string;
  readonly blockNumber: bigint;
  readonly attempts: number;
  readonly outcomes: readonly BatchReadingOutcome[];
}

/** What `submitReadingBatch` needs of a client (MetroledgerClient has it). */
export interface BatchSubmitter {
  submitBatch(batch: Uint8Array): Promise<{ transactionId: string; blockNumber: bigint; result: Uint8Array; attempts: number }>;
}

/**
 * Submits many signed readings in one transaction and waits for its commit. All or nothing: if any
 * reading is not authentic or not acceptable (the errors `submitReading` raises), the chaincode
 * refuses the whole batch and names the reading's index; nothing is written.
 */
export async function submitReadingBatch(client: BatchSubmitter, signedReadings: readonly Uint8Array[]): Promise<SubmittedBatch> {
  const batch = encodeReadingBatch(signedReadings);
  const out = await client.submitBatch(batch);
  let parsed: { outcomes?: BatchReadingOutcome[] };
  try {
    parsed = JSON.parse(Buffer.from(out.result).toString('utf8')) as { outcomes?: BatchReadingOutcome[] };
  } catch (cause) {
    throw new ClientError('BAD_RESPONSE', 'submitReadingBatch: the chaincode returned something other than JSON', { cause });
  }
  if (!Array.isArray(parsed.outcomes) || parsed.outcomes.length !== signedReadings.length) {
    throw new ClientError('BAD_RESPONSE', `submitReadingBatch: expected ${signedReadings.length} outcomes`);
  }
  return { transactionId: out.transactionId, blockNumber: out.blockNumber, attempts: out.attempts, outcomes: parsed.outcomes };
}
