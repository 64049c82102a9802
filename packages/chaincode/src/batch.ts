// SPDX-License-Identifier: Apache-2.0
// The container of `submitReadingBatch`: many signed readings in one transaction. It carries no
// signature of its own; each reading inside keeps its meter's signature and is processed one by one.
//
// Format (big-endian): "MLB1" | u16 count (1..MAX_BATCH_READINGS) | count × (u32 length | signed reading),
// MAX_BATCH_BYTES at most in all. One encoding per list of readings (no padding, no trailing bytes).
import { ChaincodeError } from './errors';
import type { MeasurementRecord, ReadingRejection } from './types';

export const READING_BATCH_MAGIC = 0x4d4c4231; // "MLB1"
/** Bounded so that a batch transaction stays well below the channel's absoluteMaxBytes (10 MB). */
export const MAX_BATCH_READINGS = 256;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** The signed readings of a batch, as views into `batch`. Throws MALFORMED_BATCH. */
export function decodeReadingBatch(batch: Uint8Array): Uint8Array[] {
  const bad = (why: string) => new ChaincodeError('MALFORMED_BATCH', why);
  if (batch.length < 6) throw bad(`a batch of ${batch.length} bytes is truncated`);
  if (batch.length > MAX_BATCH_BYTES) throw bad(`a batch of ${batch.length} bytes exceeds ${MAX_BATCH_BYTES}`);
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  if (view.getUint32(0) !== READING_BATCH_MAGIC) throw bad('bad batch magic');
  const n = view.getUint16(4);
  if (n < 1 || n > MAX_BATCH_READINGS) throw bad(`a batch holds 1..${MAX_BATCH_READINGS} readings, not ${n}`);
  const out: Uint8Array[] = [];
  let o = 6;
  for (let i = 0; i < n; i++) {
    if (o + 4 > batch.length) throw bad(`batch truncated at reading ${i}`);
    const len = view.getUint32(o);
    if (len === 0 || o + 4 + len > batch.length) throw bad(`reading ${i} runs past the end of the batch`);
    out.push(batch.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  if (o !== batch.length) throw bad(`${batch.length - o} trailing bytes after the last reading`);
  return out;
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
