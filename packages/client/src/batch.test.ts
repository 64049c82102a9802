// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeReadingBatch, encodeReadingBatch, MAX_BATCH_READINGS } from './batch';
import { ClientError } from './errors';

test('a reading batch decodes to the same readings, in order', () => {
  const readings = [Uint8Array.of(1, 2, 3), new Uint8Array(1000).fill(7), Uint8Array.of(9)];
  const back = decodeReadingBatch(encodeReadingBatch(readings));
  assert.deepEqual(
    back.map((r) => Buffer.from(r)),
    readings.map((r) => Buffer.from(r)),
  );
});

test('batches out of bounds or damaged are refused with BAD_REQUEST', () => {
  assert.throws(
    () => encodeReadingBatch([]),
    (e: unknown) => e instanceof ClientError && e.code === 'BAD_REQUEST',
  );
  assert.throws(() => encodeReadingBatch(Array.from({ length: MAX_BATCH_READINGS + 1 }, () => Uint8Array.of(1))), ClientError);
  const good = encodeReadingBatch([Uint8Array.of(1, 2), Uint8Array.of(3)]);
  assert.throws(() => decodeReadingBatch(good.subarray(0, good.length - 1)), /runs past the end/);
  assert.throws(() => decodeReadingBatch(Buffer.concat([good, Uint8Array.of(0)])), /trailing bytes/);
  const badMagic = Buffer.from(good);
  badMagic[0] = 0;
  assert.throws(() => decodeReadingBatch(badMagic), /bad magic/);
});
