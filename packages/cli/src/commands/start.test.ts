// SPDX-License-Identifier: Apache-2.0
// The main job end to end, at a small scale: `metroledger start` as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const MAIN = join(__dirname, '..', 'main.js');
const run = promisify(execFile);

test('the main job registers its meters, commits every reading as measured or refused, and reports it', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-start-'));
  const data = join(dir, 'run');
  try {
    const { stdout } = await run(process.execPath, [MAIN, 'start', '--meters', '12', '--seconds', '3', '--data', data], { timeout: 110_000 });
    const report = JSON.parse(await readFile(join(data, 'report.json'), 'utf8')) as {
      registeredMeters: number;
      traffic: { planned: number; measured: number; refused: Record<string, number>; failed: Record<string, number> };
    };
    assert.equal(report.registeredMeters, 12);
    const t = report.traffic;
    const refused = Object.values(t.refused).reduce((a, b) => a + b, 0);
    assert.ok(t.planned > 0);
    assert.equal(t.measured + refused, t.planned, 'every reading is on the ledger, measured or refused');
    assert.deepEqual(t.failed, {});
    assert.match(stdout, /meters registered\s+12 in/);
    assert.match(stdout, new RegExp(`measurements committed\\s+${t.measured}\\b`));
    assert.match(stdout, /throughput\s+\d+ tx\/s/);
    assert.match(stdout, /latency capture→commit\s+p50 [\d.]+ ms\s+p95 [\d.]+ ms\s+p99 [\d.]+ ms/);
    assert.ok((await stat(join(data, 'ledger'))).isDirectory());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the main job refuses bad options before it creates anything', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-start-'));
  try {
    for (const args of [['--meters', '0'], ['--seconds', 'soon'], ['--ordering', 'raft']]) {
      const data = join(dir, args.join('_'));
      const err = await run(process.execPath, [MAIN, 'start', ...args, '--data', data]).then(() => undefined, (e: unknown) => e as { code: number; stderr: string });
      assert.ok(err !== undefined && err.code !== 0, `start ${args.join(' ')} must fail`);
      assert.match(err.stderr, args[0] === '--ordering' ? /ordering/ : new RegExp(args[0]!));
      await assert.rejects(stat(data), 'no data directory is created');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
