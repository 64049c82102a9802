// SPDX-License-Identifier: Apache-2.0
// `metroledger audit` as an auditor runs it: on a copy of a real Fabric peer's ledger (no option but
// --data: the policies come from the ledger), inline and with workers, and daily from a checkpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractLr110Module, LR_1_1_0_PACKAGE, unpackFabricFixture, unpackUpgradeFixture } from '@metroledger/audit/testing/fabric';
import { buildChaincodePackage, readChaincodePackage } from '@metroledger/lifecycle';

const MAIN = join(__dirname, '..', 'main.js');
let root: string;
/** LR 1.1.0, which ran the recorded ledgers, whatever LR version is bundled (testdata/fabric approves a placeholder digest: given unverified). */
let lr110: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-cli-audit-'));
  lr110 = await extractLr110Module(join(root, 'lr-1.1.0'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Report {
  verdict: string;
  findings: unknown[];
  consensus: string;
  counts: { blocks: number; readings: number; reexecuted: number };
  lrSoftware: { from: string; version: string; verified: boolean; readings: number; package?: { packageId: string } }[];
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [MAIN, 'audit', '--quiet', ...args], {
    encoding: 'utf8',
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' },
  });
}

function audit(...args: string[]): { status: number | null; report: Report } {
  const r = run('--json', ...args);
  assert.equal(r.stderr.includes('metroledger:'), false, r.stderr);
  return { status: r.status, report: JSON.parse(r.stdout) as Report };
}

test("a copy of a Fabric peer's ledger passes with no option but --data, inline and with workers", async () => {
  const dir = await unpackFabricFixture('fabric-3.0-bft', join(root, 'bft'));
  for (const workers of ['0', '2']) {
    const { status, report } = audit('--data', dir, '--workers', workers, '--lr-module', lr110);
    assert.equal(status, 0);
    assert.deepEqual([report.verdict, report.findings, report.consensus], ['PASS', [], 'BFT (4 consenters)']);
  }
});

test('the daily run from a checkpoint, with no new block, passes again and again; a lost tail exits 3', async () => {
  const dir = await unpackFabricFixture('fabric-2.5-raft', join(root, 'raft'));
  const checkpoint = join(root, 'audit.json');
  for (let run = 0; run < 3; run++) {
    const { status, report } = audit('--data', dir, '--checkpoint', checkpoint, '--lr-module', lr110);
    assert.equal(status, 0, `run ${run + 1}`);
    assert.deepEqual([report.verdict, report.findings, report.counts.blocks], ['PASS', [], run === 0 ? 24 : 0]);
  }
  const file = join(dir, 'ledgersData', 'chains', 'chains', 'metrology', 'blockfile_000000');
  await truncate(file, (await readFile(file)).length - 10);
  const fresh = audit('--data', dir, '--lr-module', lr110);
  assert.equal(fresh.status, 3);
  assert.equal(fresh.report.verdict, 'FAIL');
});

test('--lr-package: the package the ledger approves re-executes its version and the report names it; a modified copy is refused (exit 1, LR_PACKAGE_NOT_APPROVED)', async () => {
  const dir = await unpackUpgradeFixture('3.0.0', join(root, 'upgrade'));
  const approved = readChaincodePackage(await readFile(LR_1_1_0_PACKAGE));
  const { status, report } = audit('--data', dir, '--lr-package', LR_1_1_0_PACKAGE);
  assert.equal(status, 0);
  assert.deepEqual([report.verdict, report.findings, report.counts.reexecuted], ['PASS', [], report.counts.readings]);
  const used = report.lrSoftware.find((u) => u.from === 'package');
  assert.deepEqual(
    [used?.version, used?.verified, used?.readings, used?.package?.packageId],
    ['1.1.0', true, report.counts.readings, approved.packageId],
  );
  const text = run('--data', dir, '--lr-package', LR_1_1_0_PACKAGE).stdout;
  assert.match(
    text,
    new RegExp(
      `LR software metroledger-speed 1\\.1\\.0: 30 reading\\(s\\) re-executed by package ${approved.packageId}.*verified: the package id is approved on the ledger for lr`,
    ),
  );

  const files = new Map(approved.files);
  const speed = 'src/lib/@metroledger/lr/dist/speed.js';
  files.set(
    speed,
    Buffer.from(Buffer.from(files.get(speed)!).toString('utf8').replace('const ONSET_HIGH = 0.4;', 'const ONSET_HIGH = 0.45;')),
  );
  const modified = join(root, 'modified.tgz');
  await writeFile(modified, buildChaincodePackage({ label: approved.label, files }).bytes);
  const refused = run('--data', dir, '--lr-package', modified);
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    /LR_PACKAGE_NOT_APPROVED: the notified body approved neither the package id nor the code digest of .*modified\.tgz/,
  );
  assert.equal(refused.stdout, '');

  const unverified = run('--data', dir, '--lr-module', lr110).stdout;
  assert.match(
    unverified,
    /LR software metroledger-speed 1\.1\.0: 30 reading\(s\) re-executed by module .* \(given by path: NOT verified against an approval\)/,
  );
});

test('`bench audit` times the audit of an existing ledger per worker count, without building one', async () => {
  // a ledger recorded with LR 1.1.0, whose approved package re-executes it
  const dir = await unpackUpgradeFixture('3.0.0', join(root, 'bench'));
  const r = spawnSync(process.execPath, [MAIN, 'bench', 'audit', '--ledger', dir, '--workers', '0,2', '--lr-package', LR_1_1_0_PACKAGE], {
    encoding: 'utf8',
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' },
  });
  assert.equal(r.status, 0, r.stderr);
  const runs = [
    ...r.stdout.matchAll(/^workers (\d+): (\d+) readings in [\d.]+ s = \d+ readings\/s \((\d+) signatures verified\), verdict (\w+)$/gm),
  ];
  assert.deepEqual(
    runs.map((m) => [m[1], m[4]]),
    [
      ['0', 'PASS'],
      ['2', 'PASS'],
    ],
  );
  assert.ok(Number(runs[0]![2]) > 0 && runs[0]![2] === runs[1]![2], r.stdout);
});
