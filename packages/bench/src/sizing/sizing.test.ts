// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from '../errors';
import { FABRIC_FIGURES, type FigureSet } from './figures';
import { formatSizing, sizeDeployment } from './sizing';

const fabric = (cpu: FigureSet['cpu'], orderers = 4): FigureSet => ({
  id: 't',
  kind: 'fabric',
  description: 'test network',
  source: 'test',
  endorsingOrgs: 2,
  commitOnlyPeers: 1,
  orderers,
  readingsPerTx: 1,
  cpu,
});

test('São Paulo on a Fabric network: endorsers scale out, every peer carries the whole commit load', () => {
  // 760 readings/s; endorse 10 ms → 7.6 busy cores per org; commit 2 ms → 1.52 busy cores on every peer;
  // 8-core servers at 70 % give 5.6 cores: each endorsing peer has 5.6 − 1.52 = 4.08 for endorsing → 2 peers
  const s = sizeDeployment(fabric({ endorseMs: 10, commitMs: 2, orderMs: 3, clientMs: 1 }), { meters: 1000, vehiclesPerS: 0.76 });
  assert.equal(s.readingsPerS, 760);
  assert.equal(s.endorsingPeersPerOrg!.count, 2);
  assert.ok(Math.abs(s.endorsingPeersPerOrg!.busyCoresEach - (3.8 + 1.52)) < 1e-9);
  assert.equal(s.endorsingPeersPerOrg!.coresEach, 8); // 5.32 / 0.7 = 7.6 → 8
  assert.equal(s.commitOnlyPeers!.coresEach, 3); // 1.52 / 0.7 = 2.17 → 3
  assert.equal(s.orderers!.count, 4);
  assert.equal(s.orderers!.coresEach, 4); // 2.28 / 0.7 = 3.26 → 4
  assert.equal(s.networkCores, 2 * 2 * 8 + 3 + 4 * 4);
  // ordering at 3 ms per node reaches 5.6 cores first: 1,867 readings/s (commit: 2,800)
  assert.equal(s.ceiling.limitedBy, 'ordering');
  assert.ok(Math.abs(s.ceiling.readingsPerS - 5600 / 3) < 1e-6);
  assert.deepEqual(s.warnings, []);
});

test('more meters need more endorsing peers, and past the commit ceiling no number of them fits', () => {
  const figures = fabric({ endorseMs: 10, commitMs: 2, orderMs: 1, clientMs: 1 });
  const counts = [1000, 2000, 2700].map((meters) => sizeDeployment(figures, { meters, vehiclesPerS: 0.76 }).endorsingPeersPerOrg!.count);
  assert.ok(counts[0]! < counts[1]! && counts[1]! < counts[2]!, String(counts));
  const over = sizeDeployment(figures, { meters: 4000, vehiclesPerS: 0.76 }); // 3,040 readings/s × 2 ms = 6.08 cores > 5.6
  assert.equal(over.endorsingPeersPerOrg!.count, 1);
  assert.ok(over.endorsingPeersPerOrg!.coresEach > 8);
  assert.match(over.warnings.join('\n'), /validating and committing alone takes 6\.08 cores on every peer/);
  assert.match(formatSizing(over).join('\n'), /WARNING: validating and committing alone/);
});

test('the devnet is one process with every role: one commit, both endorsements, every ordering node', () => {
  const devnet: FigureSet = { ...fabric({ endorseMs: 1, commitMs: 2, orderMs: 0.5, clientMs: 2 }), kind: 'devnet' };
  const s = sizeDeployment(devnet, { meters: 1000, vehiclesPerS: 0.76 });
  // (2 × 1 + 2 + 4 × 0.5) ms × 760/s = 4.56 cores busy → 6.51 → 7 cores
  assert.ok(Math.abs(s.devnetProcess!.busyCoresEach - 4.56) < 1e-9);
  assert.equal(s.devnetProcess!.coresEach, 7);
  assert.equal(s.networkCores, 7);
  assert.equal(s.endorsingPeersPerOrg, undefined);
  const small = sizeDeployment(devnet, { meters: 1000, vehiclesPerS: 0.76, coresPerNode: 2 });
  assert.match(small.warnings.join('\n'), /one 2-core machine runs the devnet up to about 233 readings\/s: below the demand of 760/);
});

test('the Fabric figures come from docs/PRODUCTION.md: batches of ten need fewer cores than single readings', () => {
  const one = sizeDeployment(
    FABRIC_FIGURES.find((f) => f.id === 'fabric-3.0')!,
    { meters: 1000, vehiclesPerS: 0.76 },
  );
  const ten = sizeDeployment(
    FABRIC_FIGURES.find((f) => f.id === 'fabric-3.0-batch10')!,
    { meters: 1000, vehiclesPerS: 0.76 },
  );
  assert.ok(ten.networkCores < one.networkCores, `${ten.networkCores} < ${one.networkCores}`);
  assert.equal(ten.transactionsPerS, 76);
  for (const f of FABRIC_FIGURES) assert.match(f.source, /docs\/PRODUCTION\.md/);
});

test('nonsense demand is refused with BAD_OPTION', () => {
  const f = fabric({ endorseMs: 1, commitMs: 1, orderMs: 1, clientMs: 1 });
  for (const bad of [
    { meters: 0, vehiclesPerS: 1 },
    { meters: 1.5, vehiclesPerS: 1 },
    { meters: 10, vehiclesPerS: -1 },
    { meters: 10, vehiclesPerS: 1, utilization: 1.5 },
    { meters: 10, vehiclesPerS: Number.NaN },
  ]) {
    assert.throws(
      () => sizeDeployment(f, bad),
      (e: unknown) => e instanceof BenchError && e.code === 'BAD_OPTION',
      JSON.stringify(bad),
    );
  }
  assert.throws(
    () => sizeDeployment(fabric({ endorseMs: -1, commitMs: 1, orderMs: 1, clientMs: 1 }), { meters: 1, vehiclesPerS: 1 }),
    /endorseMs must be a non-negative/,
  );
});

test('the Fabric figures are those of docs/PRODUCTION.md\'s "Where the CPU goes" table, split as docs/SIZING.md says', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'PRODUCTION.md'), 'utf8');
  for (const f of FABRIC_FIGURES) {
    const [, version] = /^fabric-(\d\.\d)/.exec(f.id)!;
    const row = new RegExp(`^\\| ${version!.replace('.', '\\.')} LR, ${f.readingsPerTx} per tx \\|(.*)\\|$`, 'm').exec(doc);
    assert.ok(row, `no row for ${f.id} in docs/PRODUCTION.md`);
    const [peers, orderers, lr, governance, , client] = row[1]!.split('|').map((c) => Number(c.trim()));
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${f.id} ${what}: ${a} ≠ ${b}`);
    close(f.cpu.commitMs, peers! / 3, 'commit');
    close(f.cpu.orderMs, orderers! / f.orderers, 'order');
    close(f.cpu.endorseMs, (lr! + governance!) / 2, 'endorse');
    close(f.cpu.clientMs, client!, 'client');
  }
});
