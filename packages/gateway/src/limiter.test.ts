// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionRefused, ConcurrencyLimiter } from './limiter';

test('no more than the limit run at once, and waiters start in arrival order', async () => {
  const limiter = new ConcurrencyLimiter(3);
  let running = 0,
    peak = 0;
  const started: number[] = [];
  // Each task holds its slot until the test releases it: no timing, the order is the test's.
  const release: (() => void)[] = [];
  const turn = () => new Promise<void>((r) => setImmediate(r));
  const all = Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      limiter.run(async () => {
        started.push(i);
        peak = Math.max(peak, ++running);
        await new Promise<void>((r) => {
          release[i] = r;
        });
        running--;
      }),
    ),
  );
  await turn();
  assert.deepEqual(started, [0, 1, 2], 'three start, the rest wait');
  assert.equal(limiter.queued, 17);
  for (let i = 0; i < 20; i++) {
    release[i]!();
    await turn();
    assert.deepEqual(
      started,
      Array.from({ length: Math.min(20, i + 4) }, (_, k) => k),
      `after task ${i} ends, the next waiter starts`,
    );
  }
  await all;
  assert.equal(peak, 3);
  assert.equal(limiter.active, 0);
  assert.equal(limiter.queued, 0);
});

test('a failing task releases its slot', async () => {
  const limiter = new ConcurrencyLimiter(1);
  await assert.rejects(
    limiter.run(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await limiter.run(async () => 42), 42);
  assert.throws(() => new ConcurrencyLimiter(0), RangeError);
});

test('beyond the queue bound a task is refused at once, and never runs', async () => {
  const limiter = new ConcurrencyLimiter(1, 1);
  let release!: () => void;
  const running = limiter.run(() => new Promise<void>((r) => (release = r)));
  const waiting = limiter.run(async () => 'second');
  let ran = false;
  await assert.rejects(
    limiter.run(async () => {
      ran = true;
    }),
    (err: unknown) => err instanceof AdmissionRefused && err.reason === 'FULL',
  );
  assert.equal(ran, false);
  assert.equal(limiter.queued, 1);
  release();
  await running;
  assert.equal(await waiting, 'second');
  assert.equal(limiter.active, 0);
});

test('a waiting task whose caller went away leaves the queue and never runs; the next one gets the slot', async () => {
  const limiter = new ConcurrencyLimiter(1, 5);
  let release!: () => void;
  const order: string[] = [];
  const running = limiter.run(() => new Promise<void>((r) => (release = r)));
  const gone = new AbortController();
  const abandoned = limiter.run(async () => {
    order.push('abandoned');
  }, gone.signal);
  const kept = limiter.run(async () => {
    order.push('kept');
  });
  gone.abort();
  await assert.rejects(abandoned, (err: unknown) => err instanceof AdmissionRefused && err.reason === 'CANCELLED');
  assert.equal(limiter.queued, 1);
  release();
  await Promise.all([running, kept]);
  assert.deepEqual(order, ['kept']);
  assert.equal(limiter.active, 0);
  // a caller already gone is not admitted even when a slot is free
  await assert.rejects(
    limiter.run(async () => order.push('late'), AbortSignal.abort()),
    (err: unknown) => err instanceof AdmissionRefused && err.reason === 'CANCELLED',
  );
  assert.deepEqual(order, ['kept']);
});
