// SPDX-License-Identifier: Apache-2.0
// Property tests of the decoders a meter's bytes go through (raw reading, signed envelope, batch):
// every value round-trips, each value has one encoding and the decoder accepts no other, and any
// other bytes give the decoder's typed LrError, never another exception.
// Fixed seeds: fast-check prints the seed and the shrunk counterexample of a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nearby } from '@metroledger/proptest';
import {
  decodeReading,
  decodeReadingBatch,
  decodeSignedReading,
  encodeReading,
  encodeReadingBatch,
  encodeSignedReading,
  LrError,
  MAX_BATCH_READINGS,
  type LrErrorCode,
  type RawReading,
} from './index';

const smoothLoop = fc
  .tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: 1, max: 40 }))
  .map(([n, amplitude, period]) => Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin(i / period))));
// Smooth signals (one-byte differences, as loops give) and arbitrary i16s (up to three bytes each).
const loop = fc.oneof(smoothLoop, fc.int16Array({ minLength: 1, maxLength: 200 }));
const reading: fc.Arbitrary<RawReading> = fc.record(
  {
    meterId: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 64 }),
    sequence: fc.maxSafeNat(),
    captureTimeMs: fc.maxSafeNat(),
    sampleRateHz: fc.integer({ min: 1, max: 100_000 }),
    loopA: loop,
    loopB: loop,
    plateImageSha256: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  },
  { requiredKeys: ['meterId', 'sequence', 'captureTimeMs', 'sampleRateHz', 'loopA', 'loopB'] },
);
const signedReading = fc.record({
  reading: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  signature: fc.uint8Array({ minLength: 8, maxLength: 72 }),
});
const batch = fc.array(fc.uint8Array({ minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 6 });

/** Version 1 of the reading format (every sample an i16), still decoded for old ledgers; no longer written. */
function encodeReadingV1(r: RawReading): Uint8Array {
  const v2 = Buffer.from(encodeReading(r));
  const header = v2.subarray(0, 7 + r.meterId.length + 28);
  const out = Buffer.alloc(header.length + 2 * (r.loopA.length + r.loopB.length) + (r.plateImageSha256 ? 32 : 0));
  header.copy(out);
  out[4] = 1;
  let o = header.length;
  for (const s of [...r.loopA, ...r.loopB]) {
    out.writeInt16BE(s, o);
    o += 2;
  }
  if (r.plateImageSha256) out.set(r.plateImageSha256, o);
  return out;
}

/** The decoder's contract on any bytes: a value whose encoding is exactly these bytes, or the typed error `code`. */
function canonicalOrRefused<T>(
  input: Uint8Array,
  code: LrErrorCode,
  decode: (b: Uint8Array) => T,
  encode: (v: T, input: Uint8Array) => Uint8Array,
): void {
  let value: T;
  try {
    value = decode(input);
  } catch (e) {
    if (e instanceof LrError && e.code === code) return;
    throw e;
  }
  assert.deepEqual(
    [...encode(value, input)],
    [...input],
    'the decoder accepted bytes that are not the canonical encoding of what it returned',
  );
}
const reencodeReading = (r: RawReading, input: Uint8Array) => (input[4] === 1 ? encodeReadingV1(r) : encodeReading(r));

const codecs = [
  {
    name: 'raw reading',
    code: 'MALFORMED_READING' as const,
    value: reading as fc.Arbitrary<unknown>,
    encode: encodeReading as (v: unknown) => Uint8Array,
    decode: decodeReading as (b: Uint8Array) => unknown,
    reencode: reencodeReading as (v: unknown, input: Uint8Array) => Uint8Array,
    seed: 0x1e_0001,
  },
  {
    name: 'raw reading, format version 1',
    code: 'MALFORMED_READING' as const,
    value: reading as fc.Arbitrary<unknown>,
    encode: encodeReadingV1 as (v: unknown) => Uint8Array,
    decode: decodeReading as (b: Uint8Array) => unknown,
    reencode: reencodeReading as (v: unknown, input: Uint8Array) => Uint8Array,
    seed: 0x1e_0002,
  },
  {
    name: 'signed reading',
    code: 'MALFORMED_READING' as const,
    value: signedReading as fc.Arbitrary<unknown>,
    encode: encodeSignedReading as (v: unknown) => Uint8Array,
    decode: decodeSignedReading as (b: Uint8Array) => unknown,
    reencode: encodeSignedReading as (v: unknown) => Uint8Array,
    seed: 0x1e_0003,
  },
  {
    name: 'reading batch',
    code: 'MALFORMED_BATCH' as const,
    value: batch as fc.Arbitrary<unknown>,
    encode: encodeReadingBatch as (v: unknown) => Uint8Array,
    decode: decodeReadingBatch as (b: Uint8Array) => unknown,
    reencode: encodeReadingBatch as (v: unknown) => Uint8Array,
    seed: 0x1e_0004,
  },
];

/** Compares decoded and original values, bytes by value whatever their class (Buffer, Uint8Array or Int16Array). */
const plain = (x: unknown): unknown => {
  if (ArrayBuffer.isView(x)) return [...(x as Uint8Array)];
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
};

for (const c of codecs) {
  test(`${c.name}: every value round-trips (decoded, it encodes to the same bytes)`, () => {
    fc.assert(
      fc.property(c.value, (v) => {
        const wire = c.encode(v);
        const back = c.decode(wire);
        assert.deepEqual(plain(back), plain(v));
        assert.deepEqual([...c.reencode(back, wire)], [...wire]);
      }),
      { seed: c.seed, numRuns: 300 },
    );
  });

  test(`${c.name}: bytes near a valid encoding decode canonically or throw ${c.code}`, () => {
    fc.assert(
      fc.property(nearby(c.value.map(c.encode)), (m) => canonicalOrRefused(m, c.code, c.decode, c.reencode)),
      { seed: c.seed + 16, numRuns: 1000 },
    );
  });

  test(`${c.name}: random bytes throw ${c.code} or decode canonically`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (m) => canonicalOrRefused(m, c.code, c.decode, c.reencode)),
      { seed: c.seed + 32, numRuns: 1000 },
    );
  });
}

test('an empty signed reading cannot go into a batch: the encoder refuses what the decoder would refuse', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: MAX_BATCH_READINGS }), (readings) => {
      let wire: Uint8Array;
      try {
        wire = encodeReadingBatch(readings);
      } catch (e) {
        assert.ok(e instanceof LrError && e.code === 'MALFORMED_BATCH');
        assert.ok(
          readings.some((r) => r.length === 0),
          'refused a batch of non-empty readings',
        );
        return;
      }
      assert.deepEqual(
        decodeReadingBatch(wire).map((r) => [...r]),
        readings.map((r) => [...r]),
      );
    }),
    { seed: 0x1e_0005, numRuns: 300 },
  );
});
