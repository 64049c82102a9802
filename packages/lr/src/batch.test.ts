// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeReadingBatch, encodeReadingBatch, LrError, MAX_BATCH_READINGS } from './index';

const malformed = (e: unknown) => e instanceof LrError && e.code === 'MALFORMED_BATCH';

test('a batch decodes to the same signed readings, in order, as views into it', () => {
  const readings = [Uint8Array.of(1, 2, 3), Uint8Array.of(4), Uint8Array.of(5, 6)];
  const batch = encodeReadingBatch(readings);
  assert.equal(Buffer.from(batch.subarray(0, 4)).toString('latin1'), 'MLB1');
  const back = decodeReadingBatch(batch);
  assert.deepEqual(
    back.map((r) => [...r]),
    readings.map((r) => [...r]),
  );
  assert.equal(back[0]!.buffer, batch.buffer);
});

test('every damaged or out-of-bounds batch is refused with MALFORMED_BATCH', () => {
  const good = encodeReadingBatch([Uint8Array.of(1, 2), Uint8Array.of(3)]);
  assert.throws(() => encodeReadingBatch([]), malformed);
  assert.throws(() => encodeReadingBatch(Array.from({ length: MAX_BATCH_READINGS + 1 }, () => Uint8Array.of(1))), malformed);
  for (let cut = 0; cut < good.length; cut++) assert.throws(() => decodeReadingBatch(good.subarray(0, cut)), malformed, `cut at ${cut}`);
  assert.throws(() => decodeReadingBatch(Buffer.concat([good, Uint8Array.of(0)])), malformed);
  const badMagic = Buffer.from(good);
  badMagic[3] = 0x32;
  assert.throws(() => decodeReadingBatch(badMagic), malformed);
  const zeroCount = Buffer.from(good);
  zeroCount.writeUInt16BE(0, 4);
  assert.throws(() => decodeReadingBatch(zeroCount), malformed);
});
