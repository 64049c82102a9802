// SPDX-License-Identifier: Apache-2.0
// The latency reservoir on a seeded generator: a failure names its seed and replays the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRng } from '@metroledger/meter';
import { PerSecondSeries } from './series';

test('a second with more latencies than its samples keeps an unbiased sample: the median of 10,000 is near the true one, the maximum exact', () => {
  for (const seed of ['reservoir-1', 'reservoir-2', 'reservoir-3']) {
    const rng = newRng(seed);
    const series = new PerSecondSeries(60, 200, rng.next);
    // 10,000 latencies 0..9,999 ms in one second, in rising order: a sample that kept the first
    // (or the last) 200 would have a median near 100 (or 9,900)
    for (let i = 0; i < 10_000; i++) series.addLatency(5_000, i);
    const p = series.points(5_000);
    assert.equal(p.latencyMaxMs.at(-1), 9_999, `seed ${seed}`);
    const median = p.latencyP50Ms.at(-1)!;
    // the sample median of 200 from a uniform 0..9,999 lies within ±1,500 of 5,000 with probability > 0.9999
    assert.ok(Math.abs(median - 5_000) < 1_500, `seed ${seed}: sample median ${median}`);
  }
});

test('the same seed keeps the same sample', () => {
  const run = (seed: string) => {
    const series = new PerSecondSeries(60, 50, newRng(seed).next);
    for (let i = 0; i < 5_000; i++) series.addLatency(1_000, (i * 7919) % 5_000);
    return series.points(1_000).latencyP50Ms;
  };
  assert.deepEqual(run('same'), run('same'));
});
