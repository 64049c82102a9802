// SPDX-License-Identifier: Apache-2.0
// Canonical binary encoding of a raw reading and of its signed envelope.
//
// Reading, all fixed-size integers big-endian:
//   'MLRR' | u8 version=2 | u8 flags (bit0 = plate hash present) | u8 meterId length | meterId ASCII
//   | u64 sequence | u64 captureTimeMs | u32 sampleRateHz | u32 nA | u32 nB
//   | loop A samples | loop B samples | [32 bytes plate image SHA-256]
// Version 2 stores each loop's samples as differences from the previous sample (the first from 0),
// zigzag-mapped and written as minimal LEB128 varints: a loop's signal is smooth at the sampling
// rate, so most samples take one byte instead of two. That halves what a meter sends and what the
// ledger keeps, losslessly. Version 1 (every sample an i16) is still decoded, for ledgers written
// before version 2; readings are encoded as version 2 only.
// Signed reading:
//   'MLRS' | u8 version=1 | u32 reading length | reading | u8 signature length | DER signature
// Decoding is strict: within a version, exactly one byte sequence decodes to a given reading.
import { LrError } from './errors';

export interface RawReading {
  meterId: string;
  sequence: number;
  captureTimeMs: number;
  sampleRateHz: number;
  loopA: Int16Array;
  loopB: Int16Array;
  plateImageSha256?: Uint8Array;
}

export interface SignedReading {
  reading: Uint8Array;
  signature: Uint8Array;
}

export const MAX_SAMPLES_PER_LOOP = 65_536;
export const MAX_SAMPLE_RATE_HZ = 100_000;
const READING_MAGIC = 0x4d4c5252; // 'MLRR'
const SIGNED_MAGIC = 0x4d4c5253; // 'MLRS'
const SIGNED_FORMAT_VERSION = 1;
const FIXED_SAMPLES_VERSION = 1;
const DELTA_SAMPLES_VERSION = 2;
const FLAG_PLATE = 0x01;
const MAX_METER_ID = 64;
const MAX_DER_SIGNATURE = 72; // P-256: SEQUENCE(2 + 2 x (2 + 33))

function malformed(detail: string, details?: Record<string, unknown>): LrError {
  return new LrError('MALFORMED_READING', `malformed reading: ${detail}`, details);
}

function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function checkUint53(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw malformed(`${name} must be an integer in 0..2^53-1`, { [name]: v });
}

function writeUint64(view: DataView, offset: number, v: number): void {
  view.setUint32(offset, Math.floor(v / 0x1_0000_0000));
  view.setUint32(offset + 4, v >>> 0);
}

function readUint53(view: DataView, offset: number, name: string): number {
  const hi = view.getUint32(offset);
  if (hi > 0x1f_ffff) throw malformed(`${name} exceeds 2^53-1`);
  return hi * 0x1_0000_0000 + view.getUint32(offset + 4);
}

/** Canonical compact binary encoding of a raw reading. Throws `MALFORMED_READING` for out-of-bound fields. */
export function encodeReading(r: RawReading): Uint8Array {
  if (typeof r.meterId !== 'string' || r.meterId.length < 1 || r.meterId.length > MAX_METER_ID || !isPrintableAscii(r.meterId)) {
    throw malformed('meterId must be 1..64 printable ASCII characters');
  }
  checkUint53('sequence', r.sequence);
  checkUint53('captureTimeMs', r.captureTimeMs);
  if (!Number.isInteger(r.sampleRateHz) || r.sampleRateHz < 1 || r.sampleRateHz > MAX_SAMPLE_RATE_HZ) {
    throw malformed(`sampleRateHz must be an integer in 1..${MAX_SAMPLE_RATE_HZ}`);
  }
  for (const [name, loop] of [
    ['loopA', r.loopA],
    ['loopB', r.loopB],
  ] as const) {
    if (!(loop instanceof Int16Array) || loop.length < 1 || loop.length > MAX_SAMPLES_PER_LOOP) {
      throw malformed(`${name} must be an Int16Array of 1..${MAX_SAMPLES_PER_LOOP} samples`);
    }
  }
  const plate = r.plateImageSha256;
  if (plate !== undefined && plate.length !== 32) throw malformed('plateImageSha256 must be 32 bytes');

  const idLen = r.meterId.length;
  const headerLen = 4 + 1 + 1 + 1 + idLen + 8 + 8 + 4 + 4 + 4;
  // at most 3 bytes per sample (a zigzag difference of two i16 has 17 bits)
  const out = new Uint8Array(headerLen + 3 * (r.loopA.length + r.loopB.length) + (plate ? 32 : 0));
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint32(o, READING_MAGIC);
  o += 4;
  view.setUint8(o++, DELTA_SAMPLES_VERSION);
  view.setUint8(o++, plate ? FLAG_PLATE : 0);
  view.setUint8(o++, idLen);
  for (let i = 0; i < idLen; i++) out[o++] = r.meterId.charCodeAt(i);
  writeUint64(view, o, r.sequence);
  o += 8;
  writeUint64(view, o, r.captureTimeMs);
  o += 8;
  view.setUint32(o, r.sampleRateHz);
  o += 4;
  view.setUint32(o, r.loopA.length);
  o += 4;
  view.setUint32(o, r.loopB.length);
  o += 4;
  o = writeDeltas(out, o, r.loopA);
  o = writeDeltas(out, o, r.loopB);
  if (plate) {
    out.set(plate, o);
    o += 32;
  }
  return out.slice(0, o);
}

function writeDeltas(out: Uint8Array, o: number, loop: Int16Array): number {
  let prev = 0;
  for (let i = 0; i < loop.length; i++) {
    const d = loop[i]! - prev;
    prev = loop[i]!;
    let z = (d << 1) ^ (d >> 31); // zigzag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
    while (z >= 0x80) {
      out[o++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    out[o++] = z;
  }
  return o;
}

/**
 * Reads `n` delta-coded samples at `o` into `into`; returns the next offset, or a refusal detail.
 * Strict: minimal varints only (no needless continuation byte), every sample within i16.
 */
function readDeltas(bytes: Uint8Array, o: number, into: Int16Array, end: number): number | string {
  let prev = 0;
  for (let i = 0; i < into.length; i++) {
    if (o >= end) return `truncated in the samples (sample ${i} of ${into.length})`;
    let z = bytes[o++]!;
    if (z >= 0x80) {
      // the rare multi-byte sample (most differences fit in one byte)
      z &= 0x7f;
      let shift = 7;
      let b: number;
      do {
        if (o >= end) return `truncated in the samples (sample ${i} of ${into.length})`;
        if (shift > 14) return `sample ${i} is not a valid varint`;
        b = bytes[o++]!;
        z |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      if (b === 0) return `sample ${i} is not minimally encoded`;
    }
    const v = prev + ((z >>> 1) ^ -(z & 1));
    if (v < -32768 || v > 32767) return `sample ${i} is out of the i16 range`;
    into[i] = v;
    prev = v;
  }
  return o;
}

/** Strict inverse of {@link encodeReading}. Throws `MALFORMED_READING` with a detail. */
export function decodeReading(bytes: Uint8Array): RawReading {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (o: number, n: number, what: string): void => {
    if (o + n > bytes.length) throw malformed(`truncated at ${what} (offset ${o}, need ${n} bytes, have ${bytes.length - o})`);
  };
  let o = 0;
  need(o, 7, 'header');
  if (view.getUint32(0) !== READING_MAGIC) throw malformed('bad magic');
  const version = view.getUint8(4);
  if (version !== FIXED_SAMPLES_VERSION && version !== DELTA_SAMPLES_VERSION) throw malformed(`unsupported format version ${version}`);
  const flags = view.getUint8(5);
  if ((flags & ~FLAG_PLATE) !== 0) throw malformed(`unknown flags 0x${flags.toString(16)}`);
  const idLen = view.getUint8(6);
  o = 7;
  if (idLen < 1 || idLen > MAX_METER_ID) throw malformed(`meterId length ${idLen} out of 1..${MAX_METER_ID}`);
  need(o, idLen, 'meterId');
  let meterId = '';
  for (let i = 0; i < idLen; i++) {
    const c = bytes[o + i]!;
    if (c < 0x20 || c > 0x7e) throw malformed('meterId is not printable ASCII');
    meterId += String.fromCharCode(c);
  }
  o += idLen;
  need(o, 28, 'fixed fields');
  const sequence = readUint53(view, o, 'sequence');
  o += 8;
  const captureTimeMs = readUint53(view, o, 'captureTimeMs');
  o += 8;
  const sampleRateHz = view.getUint32(o);
  o += 4;
  if (sampleRateHz < 1 || sampleRateHz > MAX_SAMPLE_RATE_HZ)
    throw malformed(`sampleRateHz ${sampleRateHz} out of 1..${MAX_SAMPLE_RATE_HZ}`);
  const nA = view.getUint32(o);
  o += 4;
  const nB = view.getUint32(o);
  o += 4;
  for (const [name, n] of [
    ['loopA', nA],
    ['loopB', nB],
  ] as const) {
    if (n < 1 || n > MAX_SAMPLES_PER_LOOP) throw malformed(`${name} has ${n} samples, allowed 1..${MAX_SAMPLES_PER_LOOP}`);
  }
  const hasPlate = (flags & FLAG_PLATE) !== 0;
  const plateBytes = hasPlate ? 32 : 0;
  const loopA = new Int16Array(nA);
  const loopB = new Int16Array(nB);
  if (version === FIXED_SAMPLES_VERSION) {
    const expected = o + 2 * (nA + nB) + plateBytes;
    if (bytes.length < expected) throw malformed(`truncated: ${bytes.length} bytes, expected ${expected}`);
    if (bytes.length > expected) throw malformed(`${bytes.length - expected} trailing bytes`);
    for (let i = 0; i < nA; i++, o += 2) loopA[i] = view.getInt16(o);
    for (let i = 0; i < nB; i++, o += 2) loopB[i] = view.getInt16(o);
  } else {
    const samplesEnd = bytes.length - plateBytes;
    if (samplesEnd < o + nA + nB)
      throw malformed(`truncated: ${bytes.length} bytes cannot hold ${nA + nB} samples${hasPlate ? ' and the plate hash' : ''}`);
    for (const loop of [loopA, loopB]) {
      const next = readDeltas(bytes, o, loop, samplesEnd);
      if (typeof next === 'string') throw malformed(`${loop === loopA ? 'loopA' : 'loopB'}: ${next}`);
      o = next;
    }
    if (o !== samplesEnd) throw malformed(`${samplesEnd - o} trailing bytes after the samples`);
  }
  const reading: RawReading = { meterId, sequence, captureTimeMs, sampleRateHz, loopA, loopB };
  if (hasPlate) reading.plateImageSha256 = bytes.slice(o, o + 32);
  return reading;
}

/** Envelope: the exact reading bytes the meter signed, and its DER signature. */
export function encodeSignedReading(s: SignedReading): Uint8Array {
  if (s.reading.length < 1 || s.reading.length > 0xffff_ffff) throw malformed('reading must not be empty');
  if (s.signature.length < 8 || s.signature.length > MAX_DER_SIGNATURE) throw malformed(`signature must be 8..${MAX_DER_SIGNATURE} bytes`);
  const out = new Uint8Array(4 + 1 + 4 + s.reading.length + 1 + s.signature.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, SIGNED_MAGIC);
  view.setUint8(4, SIGNED_FORMAT_VERSION);
  view.setUint32(5, s.reading.length);
  out.set(s.reading, 9);
  let o = 9 + s.reading.length;
  view.setUint8(o++, s.signature.length);
  out.set(s.signature, o);
  return out;
}

/** Strict inverse of {@link encodeSignedReading}. The returned arrays are views into `bytes` (no copy). */
export function decodeSignedReading(bytes: Uint8Array): SignedReading {
  if (bytes.length < 10) throw malformed(`signed reading truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== SIGNED_MAGIC) throw malformed('bad signed-reading magic');
  if (view.getUint8(4) !== SIGNED_FORMAT_VERSION) throw malformed(`unsupported signed-reading version ${view.getUint8(4)}`);
  const readingLen = view.getUint32(5);
  if (readingLen < 1 || 9 + readingLen + 1 > bytes.length)
    throw malformed(`signed reading truncated in reading (declared ${readingLen} bytes)`);
  const reading = bytes.subarray(9, 9 + readingLen);
  const sigLen = view.getUint8(9 + readingLen);
  const sigStart = 10 + readingLen;
  if (sigLen < 8 || sigLen > MAX_DER_SIGNATURE) throw malformed(`signature length ${sigLen} out of 8..${MAX_DER_SIGNATURE}`);
  if (sigStart + sigLen > bytes.length) throw malformed('signed reading truncated in signature');
  if (sigStart + sigLen < bytes.length) throw malformed(`${bytes.length - sigStart - sigLen} trailing bytes after signature`);
  return { reading, signature: bytes.subarray(sigStart, sigStart + sigLen) };
}
