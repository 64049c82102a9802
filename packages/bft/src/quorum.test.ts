// SPDX-License-Identifier: Apache-2.0
// The quorum rule for every cluster size, checked against its two defining properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bftFaultTolerance, bftQuorum } from './index';

test('any two quorums share a correct replica, and the correct replicas alone form a quorum, for every n', () => {
  for (let n = 4; n <= 200; n++) {
    const f = bftFaultTolerance(n);
    const q = bftQuorum(n);
    assert.equal(f, Math.floor((n - 1) / 3), `f for n=${n}`);
    assert.ok(n >= 3 * f + 1, `n=${n} tolerates f=${f}`);
    // Two quorums overlap in at least 2q-n replicas; f of those may be Byzantine.
    assert.ok(2 * q - n >= f + 1, `n=${n}: two quorums of ${q} may share only ${2 * q - n} replicas, f=${f}`);
    assert.ok(q <= n - f, `n=${n}: a quorum of ${q} needs more than the ${n - f} correct replicas`);
  }
});

test("the quorum is SmartBFT/BFT-SMaRt's ceil((n+f+1)/2): 2f+1 when n = 3f+1, more otherwise", () => {
  assert.deepEqual([4, 5, 6, 7, 8, 9, 10, 13].map(bftQuorum), [3, 4, 4, 5, 6, 6, 7, 9]);
});
