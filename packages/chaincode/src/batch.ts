// SPDX-License-Identifier: Apache-2.0
// The answer of `submitReadingBatch`. The batch container itself is the LR software's
// (`@metroledger/lr`'s encodeReadingBatch / decodeReadingBatch).
import { decodeReadingBatch as decodeLrBatch, LrError } from '@metroledger/lr';
import { ChaincodeError } from './errors';
import type { MeasurementRecord, ReadingRejection } from './types';

export { MAX_BATCH_BYTES, MAX_BATCH_READINGS } from '@metroledger/lr';

/** The signed readings of a batch, as views into `batch`. Throws MALFORMED_BATCH. */
export function decodeReadingBatch(batch: Uint8Array): Uint8Array[] {
  try {
    return decodeLrBatch(batch);
  } catch (err) {
    if (err instanceof LrError) throw new ChaincodeError('MALFORMED_BATCH', err.message);
    throw err;
  }
}

/** One reading's outcome in a batch; its full record is stored under its own key, as for submitReading. */
export interface BatchReadingOutcome {
  meterId: string;
  sequence: number;
  status: 'MEASURED' | 'REFUSED' | 'REJECTED';
  speedKmh?: number;
  speedLimitExceeded?: boolean;
  refusalCode?: string;
}

/** The answer of `submitReadingBatch` and its `MeasurementBatch` event: outcomes in batch order. */
export interface ReadingBatchResult {
  count: number;
  outcomes: BatchReadingOutcome[];
}

export function batchOutcome(r: MeasurementRecord | ReadingRejection): BatchReadingOutcome {
  const base = { meterId: r.meterId, sequence: r.sequence };
  if (r.status === 'REJECTED') return { ...base, status: 'REJECTED', refusalCode: r.reason };
  if (r.status === 'REFUSED') return { ...base, status: 'REFUSED', ...(r.refusalCode !== undefined ? { refusalCode: r.refusalCode } : {}) };
  return { ...base, status: 'MEASURED', speedKmh: r.speedKmh!, speedLimitExceeded: r.speedLimitExceeded! };
}
