// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import {
  decodeReading,
  decodeSignedReading,
  encodeReading,
  encodeSignedReading,
  LrError,
  verifyReadingSignature,
  type RawReading,
} from './index';

function sampleReading(plate = true): RawReading {
  const loopA = new Int16Array(300).map((_, i) => Math.round(1000 * Math.sin(i / 7)) - 500);
  const loopB = new Int16Array(280).map((_, i) => ((i * 977) % 65536) - 32768);
  const r: RawReading = {
    meterId: 'SP-0042 Av. Paulista',
    sequence: 2 ** 40 + 7,
    captureTimeMs: 1_700_000_000_123,
    sampleRateHz: 2000,
    loopA,
    loopB,
  };
  if (plate) r.plateImageSha256 = new Uint8Array(32).map((_, i) => i * 7);
  return r;
}

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function toDer(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint): number[] => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    const bytes = [...Buffer.from(hex, 'hex')];
    if (bytes[0]! & 0x80) bytes.unshift(0);
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...int(r), ...int(s)];
  return Uint8Array.from([0x30, body.length, ...body]);
}

function parseDer(sig: Uint8Array): { r: bigint; s: bigint } {
  const rl = sig[3]!;
  const r = BigInt('0x' + Buffer.from(sig.subarray(4, 4 + rl)).toString('hex'));
  const sl = sig[5 + rl]!;
  const s = BigInt('0x' + Buffer.from(sig.subarray(6 + rl, 6 + rl + sl)).toString('hex'));
  return { r, s };
}

function signLowS(privateKey: import('node:crypto').KeyObject, msg: Uint8Array): Uint8Array {
  const { r, s } = parseDer(createSign('sha256').update(msg).sign(privateKey));
  return toDer(r, s > N / 2n ? N - s : s);
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

function assertMalformed(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof LrError && e.code === 'MALFORMED_READING');
}

test('a reading round-trips through its canonical encoding, with and without plate hash', () => {
  for (const plate of [true, false]) {
    const r = sampleReading(plate);
    const bytes = encodeReading(r);
    const back = decodeReading(bytes);
    assert.deepEqual(back, r);
    assert.deepEqual(encodeReading(back), bytes);
  }
});

test('every truncation and any trailing byte is rejected as MALFORMED_READING', () => {
  const bytes = encodeReading(sampleReading());
  for (let len = 0; len < bytes.length; len++) assertMalformed(() => decodeReading(bytes.subarray(0, len)));
  assertMalformed(() => decodeReading(Uint8Array.from([...bytes, 0])));
});

test('bad magic, version, flags, lengths and identifiers are rejected', () => {
  const bytes = encodeReading(sampleReading());
  const patched = (offset: number, value: number): Uint8Array => {
    const c = bytes.slice();
    c[offset] = value;
    return c;
  };
  assertMalformed(() => decodeReading(patched(0, 0x58)));
  assertMalformed(() => decodeReading(patched(4, 3)));
  assertMalformed(() => decodeReading(patched(5, 0x82)));
  assertMalformed(() => decodeReading(patched(6, 0)));
  assertMalformed(() => decodeReading(patched(7, 0x07)));
  // nA = 65537 (beyond the per-loop bound)
  const idLen = bytes[6]!;
  const nAOffset = 7 + idLen + 20;
  const big = bytes.slice();
  new DataView(big.buffer).setUint32(nAOffset, 65_537);
  assertMalformed(() => decodeReading(big));
  assertMalformed(() => encodeReading({ ...sampleReading(), meterId: '' }));
  assertMalformed(() => encodeReading({ ...sampleReading(), meterId: 'é' }));
  assertMalformed(() => encodeReading({ ...sampleReading(), sequence: -1 }));
  assertMalformed(() => encodeReading({ ...sampleReading(), loopA: new Int16Array(65_537) }));
});

/** The same reading in format version 1: every sample a big-endian i16. */
function encodeFixedSamples(r: RawReading): Uint8Array {
  const v2 = encodeReading(r);
  const headerLen = 7 + v2[6]! + 28;
  const plate = r.plateImageSha256 ?? new Uint8Array(0);
  const out = new Uint8Array(headerLen + 2 * (r.loopA.length + r.loopB.length) + plate.length);
  out.set(v2.subarray(0, headerLen));
  out[4] = 1;
  const view = new DataView(out.buffer);
  let o = headerLen;
  for (const loop of [r.loopA, r.loopB])
    for (const x of loop) {
      view.setInt16(o, x);
      o += 2;
    }
  out.set(plate, o);
  return out;
}

test('samples are stored as minimal varint differences: extremes round-trip, smooth signals take about a byte a sample', () => {
  const extremes: RawReading = {
    ...sampleReading(false),
    loopA: Int16Array.from([32767, -32768, 32767, 0, -1, 1, -64, 63, 64, -65]),
    loopB: Int16Array.from([-32768]),
  };
  assert.deepEqual(decodeReading(encodeReading(extremes)), extremes);
  const smooth: RawReading = {
    ...sampleReading(false),
    loopA: new Int16Array(4000).map((_, i) => Math.round(3000 * Math.exp(-(((i - 2000) / 400) ** 2)))),
    loopB: new Int16Array(4000),
  };
  const bytes = encodeReading(smooth);
  assert.ok(bytes.length < 1.1 * 8000 + 64, `${bytes.length} bytes for 8000 samples`);
  assert.deepEqual(decodeReading(bytes), smooth);
});

test('a non-minimal varint, a sample beyond i16 and bytes left between samples and plate are rejected', () => {
  const r: RawReading = { ...sampleReading(false), loopA: Int16Array.from([5]), loopB: Int16Array.from([7]) };
  const bytes = encodeReading(r);
  const headerLen = bytes.length - 2;
  assert.deepEqual([...bytes.subarray(headerLen)], [10, 14]); // each loop starts from 0: zigzag(5) = 10, zigzag(7) = 14
  const withSamples = (...samples: number[]) => Uint8Array.from([...bytes.subarray(0, headerLen), ...samples]);
  assert.deepEqual(decodeReading(withSamples(10, 14)), r);
  assertMalformed(() => decodeReading(withSamples(0x8a, 0x00, 14))); // 10 in two bytes
  assertMalformed(() => decodeReading(withSamples(0x80, 0xf1, 0x04, 14))); // zigzag 80000: a first sample of 40000
  assertMalformed(() => decodeReading(withSamples(0x80, 0x80, 0x80, 0x01, 14))); // a fourth varint byte
  assertMalformed(() => decodeReading(withSamples(10, 14, 0)));
});

test('readings in format version 1 (fixed i16 samples) still decode, strictly', () => {
  for (const plate of [true, false]) {
    const r = sampleReading(plate);
    const v1 = encodeFixedSamples(r);
    assert.deepEqual(decodeReading(v1), r);
    assertMalformed(() => decodeReading(v1.subarray(0, v1.length - 1)));
    assertMalformed(() => decodeReading(Uint8Array.from([...v1, 0])));
    assert.ok(encodeReading(r).length < v1.length);
  }
});

test('a signed reading envelope round-trips and rejects truncation and trailing bytes', () => {
  const reading = encodeReading(sampleReading());
  const signature = signLowS(privateKey, reading);
  const env = encodeSignedReading({ reading, signature });
  const back = decodeSignedReading(env);
  assert.deepEqual(Uint8Array.from(back.reading), reading);
  assert.deepEqual(Uint8Array.from(back.signature), signature);
  for (let len = 0; len < env.length; len++) assertMalformed(() => decodeSignedReading(env.subarray(0, len)));
  assertMalformed(() => decodeSignedReading(Uint8Array.from([...env, 1])));
});

test('the meter signature verifies, and any changed byte of reading or signature is rejected', () => {
  const reading = encodeReading(sampleReading());
  const signature = signLowS(privateKey, reading);
  assert.equal(verifyReadingSignature(reading, signature, publicKeyPem), true);
  for (let i = 0; i < reading.length; i++) {
    const t = reading.slice();
    t[i] ^= 0x01;
    assert.equal(verifyReadingSignature(t, signature, publicKeyPem), false, `reading byte ${i}`);
  }
  for (let i = 0; i < signature.length; i++) {
    for (const mask of [0x01, 0x80]) {
      const t = signature.slice();
      t[i] ^= mask;
      assert.equal(verifyReadingSignature(reading, t, publicKeyPem), false, `signature byte ${i}`);
    }
  }
});

test('the high-S twin of a valid signature is rejected', () => {
  const reading = encodeReading(sampleReading());
  const { r, s } = parseDer(signLowS(privateKey, reading));
  assert.equal(verifyReadingSignature(reading, toDer(r, s), publicKeyPem), true);
  assert.equal(verifyReadingSignature(reading, toDer(r, N - s), publicKeyPem), false);
});

test('a signature by another key is rejected; an unparsable key is INVALID_PUBLIC_KEY', () => {
  const reading = encodeReading(sampleReading());
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  assert.equal(verifyReadingSignature(reading, signLowS(other.privateKey, reading), publicKeyPem), false);
  assert.throws(
    () => verifyReadingSignature(reading, signLowS(privateKey, reading), 'not a key'),
    (e: unknown) => e instanceof LrError && e.code === 'INVALID_PUBLIC_KEY',
  );
});
