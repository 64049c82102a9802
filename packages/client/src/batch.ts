// SPDX-License-Identifier: Apache-2.0
// Aggregated submissions: many meters' signed readings in one transaction (a roadside concentrator,
// a busy meter). The batch is a plain container; each reading inside keeps its meter's signature
// and is verified and computed by the LR chaincode one by one (`submitReadingBatch`).
//
// Format (big-endian): "MLB1" | u16 count (1..MAX_BATCH_READINGS) | count × (u32 length | signed reading).
// At most MAX_BATCH_BYTES in all. The chaincode and the audit each decode it with their own code.
import { ClientError } from './errors';

export const READING_BATCH_MAGIC = 0x4d4c4231; // "MLB1"
export const MAX_BATCH_READINGS = 256;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Packs canonical signed readings (as a meter produces them) into one batch. */
export function encodeReadingBatch(signedReadings: readonly Uint8Array[]): Uint8Array {
  const n = signedReadings.length;
  if (n < 1 || n > MAX_BATCH_READINGS) throw new ClientError('BAD_REQUEST', `a batch holds 1..${MAX_BATCH_READINGS} readings, not ${n}`);
  let size = 6;
  for (const r of signedReadings) size += 4 + r.length;
  if (size > MAX_BATCH_BYTES) throw new ClientError('BAD_REQUEST', `a batch of ${size} bytes exceeds ${MAX_BATCH_BYTES}`);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(READING_BATCH_MAGIC, 0);
  out.writeUInt16BE(n, 4);
  let o = 6;
  for (const r of signedReadings) {
    out.writeUInt32BE(r.length, o);
    out.set(r, o + 4);
    o += 4 + r.length;
  }
  return out;
}

/** The signed readings of a batch (views into `batch`). */
export function decodeReadingBatch(batch: Uint8Array): Uint8Array[] {
  const bad = (why: string) => new ClientError('BAD_REQUEST', `not a reading batch: ${why}`);
  if (batch.length < 6 || batch.length > MAX_BATCH_BYTES) throw bad(`${batch.length} bytes`);
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  if (view.getUint32(0) !== READING_BATCH_MAGIC) throw bad('bad magic');
  const n = view.getUint16(4);
  if (n < 1 || n > MAX_BATCH_READINGS) throw bad(`count ${n}`);
  const out: Uint8Array[] = [];
  let o = 6;
  for (let i = 0; i < n; i++) {
    if (o + 4 > batch.length) throw bad(`truncated at reading ${i}`);
    const len = view.getUint32(o);
    if (len === 0 || o + 4 + len > batch.length) throw bad(`reading ${i} runs past the end`);
    out.push(batch.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  if (o !== batch.length) throw bad(`${batch.length - o} trailing bytes`);
  return out;
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
  submit(fn: string, args: string[]): Promise<{ transactionId: string; blockNumber: bigint; result: Uint8Array; attempts: number }>;
}

/**
 * Submits many signed readings in one transaction and waits for its commit. All or nothing: if any
 * reading is not authentic or not acceptable (the errors `submitReading` raises), the chaincode
 * refuses the whole batch and names the reading's index; nothing is written.
 */
export async function submitReadingBatch(client: BatchSubmitter, signedReadings: readonly Uint8Array[]): Promise<SubmittedBatch> {
  const batch = encodeReadingBatch(signedReadings);
  const out = await client.submit('submitReadingBatch', [Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength).toString('base64')]);
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
