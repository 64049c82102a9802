// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyRecorder, percentile } from './stats';

test('nearest-rank percentiles over 1..100', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 95), 95);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('the recorder grows past its initial capacity and sorts numerically', () => {
  const r = new LatencyRecorder();
  for (let i = 3000; i >= 1; i--) r.record(i);
  const s = r.summary();
  assert.equal(s.count, 3000);
  assert.equal(s.p50Ms, 1500);
  assert.equal(s.maxMs, 3000);
  assert.equal(s.meanMs, 1500.5);
});
