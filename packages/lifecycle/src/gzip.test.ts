// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { crc32, gunzipBounded, gzipStored } from './gzip';
import { LifecycleError } from './errors';

test('stored gzip inflates with zlib at block boundaries and for empty input', () => {
  for (const size of [0, 1, 65_534, 65_535, 65_536, 131_070, 200_001]) {
    const data = randomBytes(size);
    const gz = gzipStored(data);
    assert.deepEqual(zlib.gunzipSync(gz), data, `size ${size}`);
    assert.equal(gz.length, 10 + Math.max(1, Math.ceil(size / 65_535)) * 5 + size + 8);
  }
});

test('stored gzip header carries no time, name or OS of the packaging machine', () => {
  const gz = gzipStored(Buffer.from('hello'));
  assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  assert.deepEqual(gzipStored(Buffer.from('hello')), gz);
});

test('crc32 agrees with zlib', () => {
  for (const size of [0, 1, 7, 1000, 70_000]) {
    const data = randomBytes(size);
    assert.equal(crc32(data), zlib.crc32(data));
  }
});

test('gunzipBounded refuses gzip bombs and non-gzip data', () => {
  const bomb = zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024));
  assert.throws(
    () => gunzipBounded(bomb, 1024 * 1024, 'x'),
    (e: unknown) => e instanceof LifecycleError && e.code === 'PACKAGE_TOO_LARGE',
  );
  assert.throws(
    () => gunzipBounded(randomBytes(100), 1024, 'x'),
    (e: unknown) => e instanceof LifecycleError && e.code === 'MALFORMED_PACKAGE',
  );
  const truncated = gzipStored(randomBytes(1000)).subarray(0, 500);
  assert.throws(
    () => gunzipBounded(truncated, 1 << 20, 'x'),
    (e: unknown) => e instanceof LifecycleError && e.code === 'MALFORMED_PACKAGE',
  );
});
