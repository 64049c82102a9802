// SPDX-License-Identifier: Apache-2.0
// The built `metroledger` command: `devnet reset|up|status` on wrong data directories, and
// `ledger verify` on a sound and a damaged ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataDir } from '@metroledger/devnet';
import { Ledger, readBlockRecords, type BlockRecord } from '@metroledger/ledger';
import { TestChain } from '@metroledger/ledger/testing/blocks';

const MAIN = join(__dirname, '..', 'main.js');
const run = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const dir = mkdtempSync(join(tmpdir(), 'metroledger-devnet-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('devnet reset deletes only a devnet data directory; a missing or foreign one is an error and stays as it was', async () => {
  const project = join(dir, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'src', 'index.ts'), 'precious');
  let r = run('devnet', 'reset', '--data', project);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /NOT_A_DEVNET_DIR: .*refusing to delete it/);
  assert.deepEqual(readdirSync(join(project, 'src')), ['index.ts']);

  r = run('devnet', 'reset', '--data', join(dir, 'no-such-dir'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /NO_DATA_DIR: .*does not exist/);

  const net = join(dir, 'net');
  await prepareDataDir(net);
  mkdirSync(join(net, 'ledger'));
  r = run('devnet', 'reset', '--data', net);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(net), false);
});

test('--data pointing at a file: a typed error, not EEXIST from mkdir', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  for (const args of [
    ['devnet', 'up', '--data', file, '--port', '0'],
    ['devnet', 'reset', '--data', file],
  ]) {
    const r = run(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /BAD_DATA_DIR: the data directory .* is a file/);
    assert.doesNotMatch(r.stderr, /EEXIST/);
  }
  assert.equal(readFileSync(file, 'utf8'), 'x');
});

test('devnet status on a directory where no devnet runs exits 1', () => {
  const r = run('devnet', 'status', '--data', join(dir, 'nothing-here'), '--json');
  assert.equal(r.code, 1);
  assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'NOT_RUNNING');
});

test('ledger verify: exit 0 on a sound ledger; exit 3 listing file, offset and block of each damaged record', async () => {
  const ledgerDir = join(dir, 'ledger');
  const ledger = await Ledger.open(ledgerDir);
  const chain = new TestChain(11, { txPerBlock: 3, writesPerTx: 1, valueBytes: 100, keySpace: 10 });
  for (let i = 0; i < 6; i++) await ledger.commit(chain.nextBlock());
  await ledger.close();

  let r = run('ledger', 'verify', '--data', ledgerDir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /6 readable block\(s\), last block 5/);
  assert.match(r.stdout, /OK: every record matches its checksum/);

  const records: BlockRecord[] = [];
  for await (const e of readBlockRecords(join(ledgerDir, 'chains'))) if (e.kind === 'block') records.push(e);
  const bytes = readFileSync(records[1]!.path);
  for (const n of [1, 4]) bytes[records[n]!.offset + 12 + 80]! ^= 0x10;
  writeFileSync(records[1]!.path, bytes);

  r = run('ledger', 'verify', '--data', ledgerDir, '--json');
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { findings: { code: string; path: string; offset: number; blockNumber: number }[] };
  assert.deepEqual(
    report.findings.map((f) => [f.code, f.path, f.offset, f.blockNumber]),
    [
      ['BAD_CHECKSUM', records[1]!.path, records[1]!.offset, 1],
      ['BAD_CHECKSUM', records[4]!.path, records[4]!.offset, 4],
    ],
  );
  r = run('ledger', 'verify', '--data', ledgerDir);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /2 finding\(s\)/);

  r = run('ledger', 'verify', '--data', join(dir, 'no-ledger-here'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /NO_LEDGER/);
});
