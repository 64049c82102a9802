// SPDX-License-Identifier: Apache-2.0
// The retry policy on a virtual clock (no real sleep) with seeded randomness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRng } from '@metroledger/meter';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, RetryGiveUp, withRetry, type RetryCause, type RetryPolicy, type Verdict } from './retry';
import { VirtualClock } from './clock';

class Retryable extends Error {
  constructor(readonly why: RetryCause) {
    super(why);
  }
}
const classify = (err: unknown): Verdict => (err instanceof Retryable ? { retry: err.why } : { fail: true });
const policy = (p: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...p });

test('backoff ceilings double per attempt up to the maximum; delays fall in the upper half of the ceiling', () => {
  const top = () => 0.999999;
  const bottom = () => 0;
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, top), 19);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, bottom), 10);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 2, top), 39);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 4, bottom), 80);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 30, top), 1999);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 5000, bottom), 1000, 'no overflow for huge attempt numbers');
  const rng = newRng('backoff');
  for (let attempt = 1; attempt <= 12; attempt++) {
    const ceiling = Math.min(2000, 20 * 2 ** (attempt - 1));
    const d = backoffDelayMs(DEFAULT_RETRY_POLICY, attempt, () => rng.next());
    assert.ok(d >= ceiling / 2 && d < ceiling, `attempt ${attempt}: ${d} in [${ceiling / 2}, ${ceiling})`);
  }
});

test('a retryable failure is retried after jittered delays, reproducibly from the seed, until the attempt succeeds', async () => {
  const run = async (seed: string) => {
    const clock = new VirtualClock();
    const rng = newRng(seed);
    const seen: [RetryCause, number, number][] = [];
    let calls = 0;
    const out = await withRetry(
      async (n) => {
        calls++;
        assert.equal(n, calls, 'the attempt number is passed');
        if (n < 5) throw new Retryable(n % 2 ? 'ENDORSEMENT_MISMATCH' : 'MVCC_READ_CONFLICT');
        return 'committed';
      },
      classify,
      { policy: policy(), clock, random: () => rng.next(), onRetry: (c, n, d) => seen.push([c, n, d]) },
    );
    return { out, clock, seen };
  };
  const a = await run('seed-1');
  assert.deepEqual(a.out, { value: 'committed', attempts: 5 });
  assert.equal(a.clock.sleeps.length, 4);
  assert.deepEqual(
    a.seen.map(([c]) => c),
    ['ENDORSEMENT_MISMATCH', 'MVCC_READ_CONFLICT', 'ENDORSEMENT_MISMATCH', 'MVCC_READ_CONFLICT'],
  );
  assert.deepEqual(
    a.seen.map(([, , d]) => d),
    a.clock.sleeps,
    'onRetry sees the delay slept',
  );
  const expected = newRng('seed-1');
  assert.deepEqual(
    a.clock.sleeps,
    [1, 2, 3, 4].map((n) => backoffDelayMs(DEFAULT_RETRY_POLICY, n, () => expected.next())),
  );
  const again = await run('seed-1');
  assert.deepEqual(again.clock.sleeps, a.clock.sleeps, 'same seed, same delays');
  const other = await run('seed-2');
  assert.notDeepEqual(other.clock.sleeps, a.clock.sleeps, 'another seed, other delays');
});

test('a final failure is rethrown at once, without waiting', async () => {
  const clock = new VirtualClock();
  const refusal = new Error('BAD_SIGNATURE: not signed by the meter');
  await assert.rejects(
    withRetry(
      async () => {
        throw refusal;
      },
      classify,
      { policy: policy(), clock },
    ),
    (e) => e === refusal,
  );
  assert.deepEqual(clock.sleeps, []);
});

test('retries stop at maxAttempts with the cause of the last failure', async () => {
  const clock = new VirtualClock();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw new Retryable('UNAVAILABLE');
      },
      classify,
      { policy: policy({ maxAttempts: 6 }), clock, random: () => 0.5 },
    ),
    (e) =>
      e instanceof RetryGiveUp &&
      e.attempts === 6 &&
      e.why === 'ATTEMPTS' &&
      e.retryCause === 'UNAVAILABLE' &&
      (e.cause as Retryable).why === 'UNAVAILABLE',
  );
  assert.equal(calls, 6);
  assert.equal(clock.sleeps.length, 5);
});

test('refusals that may come from a lagging peer are retried for a limited time from their first occurrence', async () => {
  const clock = new VirtualClock();
  const causes: RetryCause[] = ['ENDORSEMENT_MISMATCH', 'ENDORSEMENT_MISMATCH', 'LAGGING_PEER', 'ENDORSEMENT_MISMATCH'];
  const startedAt: number[] = [];
  await assert.rejects(
    withRetry(
      async (n) => {
        startedAt.push(clock.now());
        throw new Retryable(causes[n - 1] ?? 'LAGGING_PEER');
      },
      classify,
      {
        policy: policy({ maxAttempts: 100, laggingPeerMs: 200, initialDelayMs: 40, maxDelayMs: 40 }),
        clock,
        random: () => 0,
      },
    ),
    (e) => e instanceof RetryGiveUp && e.why === 'LAGGING_PEER_TIME' && e.retryCause === 'LAGGING_PEER',
  );
  // 20 ms between attempts; the first LAGGING_PEER failure is attempt 3's, at 40 ms (a mismatch in
  // between does not reset it): no retry is to start past 40 + 200 ms
  assert.deepEqual(
    startedAt,
    Array.from({ length: 13 }, (_, i) => i * 20),
  );
});

test('no retry starts past the time budget, counting the time attempts take', async () => {
  const clock = new VirtualClock();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        clock.advance(1000); // each attempt waits a second for the network
        throw new Retryable('DEADLINE_EXCEEDED');
      },
      classify,
      { policy: policy({ maxElapsedMs: 4500, initialDelayMs: 100, maxDelayMs: 100 }), clock, random: () => 0 },
    ),
    (e) => e instanceof RetryGiveUp && e.why === 'ELAPSED' && e.attempts === 5,
  );
  // attempts start at 0, 1050, 2100, 3150 and 4200 ms; a sixth would start past 4500 ms
  assert.equal(calls, 5);
  assert.equal(clock.now(), 5200);
});
