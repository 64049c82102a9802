// SPDX-License-Identifier: Apache-2.0
// Clusters whose size is not 3f+1: the quorum bftQuorum(n) = ceil((n+f+1)/2) keeps them safe where
// 2f+1 did not (their own file, so the simulator suites run side by side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type SimulationResult } from './simulator';

function expectOk(r: SimulationResult, opts: object): void {
  if (!r.ok)
    assert.fail(
      `seed ${r.seed} (mix ${r.mix}, n ${r.n}, options ${JSON.stringify(opts)}) failed:\n${r.violations.join('\n')}\n${r.traceTail.slice(-30).join('\n')}`,
    );
}

test('clusters whose quorum is not 2f+1 (n = 5, 6, 8) never fork under an equivocating leader or random faults', () => {
  // With a 2f+1 quorum two quorums of such a cluster can overlap in only Byzantine replicas (or not at all).
  for (const n of [5, 6, 8]) {
    for (let seed = 1; seed <= 2; seed++) {
      const opts = { n, faults: 'none' as const, byzantine: [{ replica: 0, mode: 'equivocate' as const }], requestIntervalMs: 20 };
      expectOk(runSimulation({ seed, ...opts }), opts);
    }
  }
  // Seeds that forked with 2f+1 (`metroledger sim --n 6 --seeds 300` and `--n 5`).
  for (const [n, seed] of [
    [6, 38],
    [6, 47],
    [6, 65],
    [6, 104],
    [6, 296],
    [5, 270],
    [5, 275],
  ] as const) {
    expectOk(runSimulation({ seed, n, faults: 'random' }), { n, faults: 'random' });
  }
});
