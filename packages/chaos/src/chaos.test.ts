// SPDX-License-Identifier: Apache-2.0
// The short, seeded slice of the chaos suite that `npm test` runs (the whole suite: `npm run chaos`):
// a BFT devnet killed with SIGKILL under load while its replicas crash and restart, a disk that fills
// up, and damaged block files. Every acknowledged reading must survive once, and every damage must
// be detected and never served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatVerdict, runChaos } from './index';

test('chaos slice (seed npm-test): no acknowledged reading lost or doubled, every corruption detected, none served', async (t) => {
  const report = await runChaos(['kill-bft', 'disk-full', 'corrupt'], {
    seed: 'npm-test',
    rounds: 1,
    meters: 4,
    log: (l) => t.diagnostic(l),
  });
  t.diagnostic(formatVerdict(report));
  const totals = report.totals;
  // The faults did happen: a verdict over nothing would pass vacuously.
  assert.equal(totals.kills, 1);
  assert.ok(totals.replicaCrashes >= 1, 'no BFT replica was crashed');
  assert.equal(totals.diskFullHalts, 1);
  assert.equal(totals.corruptionsInjected, 3); // one byte flipped, two cuts
  assert.ok(totals.acknowledged >= 30, `too few readings acknowledged to mean anything (${totals.acknowledged})`);
  assert.deepEqual(
    report.cases.flatMap((c) => c.problems),
    [],
  );
  assert.equal(totals.lost, 0);
  assert.equal(totals.duplicates, 0);
  assert.equal(totals.corruptServed, 0);
  assert.equal(totals.corruptionsDetected, totals.corruptionsInjected);
  assert.equal(report.pass, true);
});
