// SPDX-License-Identifier: Apache-2.0
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { haversineKm, ksTwoSample, quantile, robustZ } from './stats';

/** A deterministic normal sample (Box-Muller over a linear congruential generator). */
function normals(n: number, mu: number, sigma: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

describe('statistics', () => {
  test('KS: samples of one distribution are not told apart; a 10 km/h shift is', () => {
    const same = ksTwoSample(normals(200, 55, 8, 1), normals(200, 55, 8, 2));
    assert.ok(same.p > 0.05, `p=${same.p}`);
    const shifted = ksTwoSample(normals(200, 55, 8, 3), normals(200, 65, 8, 4));
    assert.ok(shifted.p < 1e-6, `p=${shifted.p}`);
    assert.ok(shifted.d > 0.3);
    // Identical samples: D = 0, p = 1; disjoint ones: D = 1.
    assert.deepEqual(ksTwoSample([1, 2, 3], [1, 2, 3]), { d: 0, p: 1 });
    assert.equal(ksTwoSample([1, 2, 3], [7, 8, 9]).d, 1);
  });

  test('robust z ignores one wild neighbour and floors the scale', () => {
    assert.ok(Math.abs(robustZ(56, [54, 55, 56, 57, 200], 2)) < 1);
    assert.equal(robustZ(70, [55, 55, 55, 55], 2), 7.5);
  });

  test('quantiles interpolate; distances are great-circle', () => {
    assert.equal(quantile([10, 20, 30, 40], 0.5), 25);
    assert.ok(Number.isNaN(quantile([], 0.5)));
    // São Paulo (Sé) to Campinas is about 84 km.
    const km = haversineKm(-23.5505, -46.6333, -22.9056, -47.0608);
    assert.ok(km > 80 && km < 90, String(km));
  });
});
