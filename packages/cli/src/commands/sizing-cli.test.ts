// SPDX-License-Identifier: Apache-2.0
// `metroledger bench endorse` then `metroledger sizing` on its results, through the built command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const MAIN = join(__dirname, '..', 'main.js');
const exec = promisify(execFile);
const run = (...args: string[]) =>
  exec(process.execPath, [MAIN, ...args], { timeout: 240_000, env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' } });
const fails = async (args: string[], message: RegExp): Promise<void> => {
  await assert.rejects(run(...args), (err: { code?: number; stderr?: string }) => {
    assert.notEqual(err.code, 0);
    assert.match(err.stderr ?? '', message);
    return true;
  });
};

test('sizing answers São Paulo on Fabric 3.0 from docs/PRODUCTION.md, and batches of ten need fewer cores', async () => {
  const { stdout } = await run('sizing', '--meters', '1000', '--rate', '0.76', '--fabric');
  assert.match(stdout, /1000 meters × 0\.76 vehicles\/s = 760 readings\/s/);
  assert.match(stdout, /from docs\/PRODUCTION\.md/);
  assert.match(stdout, /endorsing peers: \d+ peers? × \d+ cores? .* for each of the 2 endorsing organizations/);
  assert.match(stdout, /ordering: 4 nodes × \d+ cores?/);
  const total = (out: string) => Number(/network total: (\d+) cores/.exec(out)![1]);
  const batch = JSON.parse((await run('sizing', '--fabric', '3.0', '--readings-per-tx', '10', '--json')).stdout) as {
    networkCores: number;
    transactionsPerS: number;
  };
  assert.equal(batch.transactionsPerS, 76);
  assert.ok(batch.networkCores < total(stdout), `${batch.networkCores} < ${total(stdout)}`);
  // a faster endorser needs fewer endorsing peers: the figures given replace the documented ones
  const fast = JSON.parse((await run('sizing', '--fabric', '--commit-ms', '1', '--endorse-ms', '1', '--json')).stdout) as {
    endorsingPeersPerOrg: { count: number; coresEach: number };
    figures: { source: string };
  };
  assert.deepEqual([fast.endorsingPeersPerOrg.count, fast.endorsingPeersPerOrg.coresEach], [1, 3]); // 760 × 2 ms = 1.52 cores / 0.7 → 3
  assert.match(fast.figures.source, /given: --endorse-ms 1, --commit-ms 1/);
});

test('sizing refuses what it cannot answer, with the reason', async () => {
  await fails(['sizing', '--meters', '0'], /meters must be a positive integer/);
  await fails(['sizing', '--fabric', '9.9'], /no Fabric figures for version 9\.9 .* known: 3\.0/);
  await fails(['sizing', '--readings-per-tx', '10'], /the devnet's figures are for one reading per transaction/);
  await fails(['sizing', '--rate', 'fast'], /--rate must be a number/);
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-sizing-'));
  try {
    await writeFile(join(dir, 'bad.json'), '{"points": []}');
    await fails(['sizing', '--endorse-results', join(dir, 'bad.json')], /no CPU per endorsement in it/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(
  'bench endorse measures one endorsing peer on a fresh devnet, and sizing takes its CPU per endorsement',
  { timeout: 300_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metroledger-bench-endorse-'));
    try {
      const out = join(dir, 'endorse.json');
      const { stdout } = await run(
        'bench',
        'endorse',
        '--data',
        join(dir, 'devnet'),
        '--concurrency',
        '1,4',
        '--warmup',
        '0.2',
        '--duration',
        '1',
        '--meters',
        '3',
        '--proposals',
        '12',
        '--out',
        out,
      );
      assert.match(stdout, /one endorsing peer: \d+ endorsements\/s at \d+ in flight, latency p50 [\d.]+ ms, p99 [\d.]+ ms/);
      assert.doesNotMatch(stdout, /FAILED/);
      const r = JSON.parse(await readFile(out, 'utf8')) as {
        peer: string;
        points: { verification: string; concurrency: number; endorsed: number; failed: number; cpuMsPerEndorsement: number }[];
        best: { cpuMsPerEndorsement: number };
      };
      assert.equal(r.peer, 'peer0.lasige.example.com:7051');
      assert.deepEqual(
        r.points.map((p) => `${p.verification}/${p.concurrency}`),
        ['inline/1', 'pool/1', 'pool/4'],
      );
      for (const p of r.points) {
        assert.equal(p.failed, 0);
        assert.ok(p.endorsed > 0 && p.cpuMsPerEndorsement > 0, JSON.stringify(p));
      }
      const sized = JSON.parse((await run('sizing', '--endorse-results', out, '--ordering', 'bft', '--json')).stdout) as {
        figures: { cpu: { endorseMs: number }; source: string };
        devnetProcess: { coresEach: number };
      };
      assert.equal(sized.figures.cpu.endorseMs, r.best.cpuMsPerEndorsement);
      assert.match(sized.figures.source, /from .*endorse\.json \(peer0\.lasige\.example\.com:7051/);
      assert.ok(sized.devnetProcess.coresEach >= 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
