// SPDX-License-Identifier: Apache-2.0
// `metroledger audit` as an auditor runs it: on a copy of a real Fabric peer's ledger (no option but
// --data: the policies come from the ledger), inline and with workers, and daily from a checkpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackFabricFixture } from '@metroledger/audit/testing/fabric';

const MAIN = join(__dirname, '..', 'main.js');
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-cli-audit-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function audit(...args: string[]): { status: number | null; report: { verdict: string; findings: unknown[]; consensus: string; counts: { blocks: number } } } {
  const r = spawnSync(process.execPath, [MAIN, 'audit', '--quiet', '--json', ...args], { encoding: 'utf8', env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' } });
  assert.equal(r.stderr.includes('metroledger:'), false, r.stderr);
  return { status: r.status, report: JSON.parse(r.stdout) };
}

test('a copy of a Fabric peer\'s ledger passes with no option but --data, inline and with workers', async () => {
  const dir = await unpackFabricFixture('fabric-3.0-bft', join(root, 'bft'));
  for (const workers of ['0', '2']) {
    const { status, report } = audit('--data', dir, '--workers', workers);
    assert.equal(status, 0);
    assert.deepEqual([report.verdict, report.findings, report.consensus], ['PASS', [], 'BFT (4 consenters)']);
  }
});

test('the daily run from a checkpoint, with no new block, passes again and again; a lost tail exits 3', async () => {
  const dir = await unpackFabricFixture('fabric-2.5-raft', join(root, 'raft'));
  const checkpoint = join(root, 'audit.json');
  for (let run = 0; run < 3; run++) {
    const { status, report } = audit('--data', dir, '--checkpoint', checkpoint);
    assert.equal(status, 0, `run ${run + 1}`);
    assert.deepEqual([report.verdict, report.findings, report.counts.blocks], ['PASS', [], run === 0 ? 24 : 0]);
  }
  const file = join(dir, 'ledgersData', 'chains', 'chains', 'metrology', 'blockfile_000000');
  await truncate(file, (await readFile(file)).length - 10);
  const fresh = audit('--data', dir);
  assert.equal(fresh.status, 3);
  assert.equal(fresh.report.verdict, 'FAIL');
});

test('`bench audit` times the audit of an existing ledger per worker count, without building one', async () => {
  const dir = await unpackFabricFixture('fabric-3.0-bft', join(root, 'bench'));
  const r = spawnSync(process.execPath, [MAIN, 'bench', 'audit', '--ledger', dir, '--workers', '0,2'], { encoding: 'utf8', env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' } });
  assert.equal(r.status, 0, r.stderr);
  const runs = [...r.stdout.matchAll(/^workers (\d+): (\d+) readings in [\d.]+ s = \d+ readings\/s \((\d+) signatures verified\), verdict (\w+)$/gm)];
  assert.deepEqual(runs.map((m) => [m[1], m[4]]), [['0', 'PASS'], ['2', 'PASS']]);
  assert.ok(Number(runs[0]![2]) > 0 && runs[0]![2] === runs[1]![2], r.stdout);
});
