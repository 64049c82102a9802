// SPDX-License-Identifier: Apache-2.0
// The container of `submitReadingBatch`: many signed readings in one transaction (a roadside
// concentrator, a busy meter). It carries no signature of its own; each reading inside keeps its
// meter's signature and is processed one by one.
//
// Format (big-endian): "MLB1" | u16 count (1..MAX_BATCH_READINGS) | count × (u32 length | signed reading),
// MAX_BATCH_BYTES at most in all. One encoding per list of readings (no padding, no trailing bytes).
import { LrError } from './errors';

export const READING_BATCH_MAGIC = 0x4d4c4231; // "MLB1"
/** Bounded so that a batch transaction stays well below a channel's absoluteMaxBytes (10 MB). */
export const MAX_BATCH_READINGS = 256;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

const malformed = (why: string) => new LrError('MALFORMED_BATCH', why);

/** Packs signed readings (encodeSignedReading's bytes) into one batch. Throws MALFORMED_BATCH out of bounds. */
export function encodeReadingBatch(signedReadings: readonly Uint8Array[]): Uint8Array {
  const n = signedReadings.length;
  if (n < 1 || n > MAX_BATCH_READINGS) throw malformed(`a batch holds 1..${MAX_BATCH_READINGS} readings, not ${n}`);
  let size = 6;
  for (const r of signedReadings) {
    if (r.length === 0) throw malformed('a signed reading in a batch cannot be empty');
    size += 4 + r.length;
  }
  if (size > MAX_BATCH_BYTES) throw malformed(`a batch of ${size} bytes exceeds ${MAX_BATCH_BYTES}`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, READING_BATCH_MAGIC);
  view.setUint16(4, n);
  let o = 6;
  for (const r of signedReadings) {
    view.setUint32(o, r.length);
    out.set(r, o + 4);
    o += 4 + r.length;
  }
  return out;
}

/** The signed readings of a batch, as views into `batch`. Throws MALFORMED_BATCH. */
export function decodeReadingBatch(batch: Uint8Array): Uint8Array[] {
  if (batch.length < 6) throw malformed(`a batch of ${batch.length} bytes is truncated`);
  if (batch.length > MAX_BATCH_BYTES) throw malformed(`a batch of ${batch.length} bytes exceeds ${MAX_BATCH_BYTES}`);
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  if (view.getUint32(0) !== READING_BATCH_MAGIC) throw malformed('bad magic: not a reading batch (MLB1)');
  const n = view.getUint16(4);
  if (n < 1 || n > MAX_BATCH_READINGS) throw malformed(`a batch holds 1..${MAX_BATCH_READINGS} readings, not ${n}`);
  const out: Uint8Array[] = [];
  let o = 6;
  for (let i = 0; i < n; i++) {
    if (o + 4 > batch.length) throw malformed(`batch truncated at reading ${i}`);
    const len = view.getUint32(o);
    if (len === 0 || o + 4 + len > batch.length) throw malformed(`reading ${i} runs past the end of the batch`);
    out.push(batch.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  if (o !== batch.length) throw malformed(`${batch.length - o} trailing bytes after the last reading`);
  return out;
}
