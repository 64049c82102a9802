// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planArrivals, planMeters } from './plan';

test('the rush-hour plan has about meters × rate × seconds passages, in time order', () => {
  const opts = { meters: 1000, seconds: 60, vehiclesPerSecond: 0.76, seed: 'sp' };
  const s = planArrivals(opts);
  const expected = 1000 * 60 * 0.76;
  // Poisson: the standard deviation of the total is sqrt(45,600) ≈ 214
  assert.ok(Math.abs(s.timeMs.length - expected) < 1000, `got ${s.timeMs.length}`);
  for (let i = 1; i < s.timeMs.length; i++) assert.ok(s.timeMs[i]! >= s.timeMs[i - 1]!);
  assert.ok(s.timeMs[s.timeMs.length - 1]! < 60_000);
  assert.equal(new Set(s.meter).size, 1000);
});

test('plans are deterministic from the seed', () => {
  const a = planMeters({ meters: 50, seed: 7 });
  const b = planMeters({ meters: 50, seed: 7 });
  const c = planMeters({ meters: 50, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (const m of a) {
    assert.ok(m.geometry.loopSpacingM >= 2 && m.geometry.loopSpacingM <= 5);
    assert.ok(m.geometry.loopLengthM >= 1.5 && m.geometry.loopLengthM <= 2);
  }
});
