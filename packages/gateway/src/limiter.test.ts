// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimiter } from './limiter';

test('no more than the limit run at once, and waiters start in arrival order', async () => {
  const limiter = new ConcurrencyLimiter(3);
  let running = 0, peak = 0;
  const started: number[] = [];
  await Promise.all(Array.from({ length: 20 }, (_, i) => limiter.run(async () => {
    started.push(i);
    peak = Math.max(peak, ++running);
    await new Promise((r) => setTimeout(r, 2));
    running--;
  })));
  assert.equal(peak, 3);
  assert.deepEqual(started, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(limiter.active, 0);
  assert.equal(limiter.queued, 0);
});

test('a failing task releases its slot', async () => {
  const limiter = new ConcurrencyLimiter(1);
  await assert.rejects(limiter.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await limiter.run(async () => 42), 42);
  assert.throws(() => new ConcurrencyLimiter(0), RangeError);
});
