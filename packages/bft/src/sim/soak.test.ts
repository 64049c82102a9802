// SPDX-License-Identifier: Apache-2.0
// 40 seeds of the soak's random mix (fault mix and cluster size, 4..10, drawn per seed) in the test
// suite; the full soak is `npm run sim -- --seeds 10000` (docs/BFT.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak } from './simulator';

test('40 seeds of the random mix (cluster size drawn 4..10) keep safety, validity and liveness', () => {
  const soak = runSoak({ seeds: 40, from: 10_000, log: () => undefined });
  assert.deepEqual(soak.failed, []);
  assert.equal(soak.ran, 40);
  assert.ok(soak.faults.crashes > 0 && soak.faults.partitions > 0 && soak.faults.messagesDropped > 0 && soak.faults.byzantineReplicas > 0);
});
