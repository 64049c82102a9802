// SPDX-License-Identifier: Apache-2.0
// End to end: the built `metroledger` command for `lr generate`, `lr verify` and `bench lr`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', 'main.js');
const run = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const dir = mkdtempSync(join(tmpdir(), 'metroledger-lr-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('lr generate writes reproducible JSON Lines, to a file or stdout', () => {
  const file = join(dir, 'set.jsonl');
  const g = run('lr', 'generate', '--count', '25', '--seed', '3', '--out', file);
  assert.equal(g.code, 0, g.stderr);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 25);
  const first = JSON.parse(lines[0]!);
  assert.deepEqual(Object.keys(first), ['id', 'sampleRateHz', 'loopSpacingM', 'loopLengthM', 'loopA', 'loopB', 'truth']);
  const again = run('lr', 'generate', '--count', '25', '--seed', '3');
  assert.equal(again.stdout, readFileSync(file, 'utf8'));
});

test('lr verify prints a summary with a PASS verdict on a generated set', () => {
  const file = join(dir, 'verify.jsonl');
  assert.equal(run('lr', 'generate', '--count', '60', '--seed', '4', '--out', file).code, 0);
  const v = run('lr', 'verify', file);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /cases: 60/);
  assert.match(v.stdout, /abs error km\/h: p50 [\d.]+ +p95 [\d.]+ +p99 [\d.]+ +max [\d.]+/);
  assert.match(v.stdout, /invalid events wrongly accepted: 0/);
  assert.match(v.stdout, /verdict: PASS/);
});

test('lr verify reports a malformed line by number, goes on, accepts cases without truth, and exits non-zero', () => {
  const lines = run('lr', 'generate', '--count', '4', '--seed', '5').stdout.trimEnd().split('\n');
  const bare = lines.map((l) => {
    const { truth: _t, ...rest } = JSON.parse(l);
    return JSON.stringify(rest);
  });
  const file = join(dir, 'mixed.jsonl');
  writeFileSync(file, [bare[0], bare[1], '{"id": "broken", "loopA": [', bare[2], bare[3]].join('\n') + '\n');
  const v = run('lr', 'verify', file);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /mixed\.jsonl:3: MALFORMED_CASE/);
  assert.match(v.stdout, /cases: 4/);
  assert.match(v.stdout, /no accuracy verdict/);
  const j = run('lr', 'verify', '--json', file);
  assert.equal(j.code, 1);
  const out = j.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const results = out.slice(0, -1) as unknown as { id: string; speedKmh?: number; refused?: string }[];
  assert.equal(results.length, 4);
  assert.deepEqual(
    results.map((r) => r.id),
    bare.map((l) => JSON.parse(l!).id),
  );
  for (const r of results) assert.ok(typeof r.speedKmh === 'number' || typeof r.refused === 'string');
  // the last line sums up: no ground truth, so no verdict, and the malformed line counted
  const last = out.at(-1) as unknown as { summary: { cases: number; malformed: number }; verdict: string };
  assert.deepEqual([last.summary.cases, last.summary.malformed, last.verdict], [4, 1, 'NO_VERDICT']);
});

test('lr verify --json ends with the summary and the verdict', () => {
  const file = join(dir, 'verify-json.jsonl');
  assert.equal(run('lr', 'generate', '--count', '30', '--seed', '6', '--out', file).code, 0);
  const j = run('lr', 'verify', '--json', file);
  assert.equal(j.code, 0, j.stderr);
  const lines = j.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 31);
  const last = lines.at(-1) as unknown as { summary: { cases: number; accepted: number; failures: string[] }; verdict: string };
  assert.equal(last.verdict, 'PASS');
  assert.equal(last.summary.cases, 30);
  assert.deepEqual(last.summary.failures, []);
});

test('lr verify on an empty set fails with EMPTY_SET instead of judging nothing', () => {
  const file = join(dir, 'empty.jsonl');
  writeFileSync(file, '');
  for (const args of [[file], ['--json', file]]) {
    const v = run('lr', 'verify', ...args);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stderr, /^metroledger: EMPTY_SET: .*empty\.jsonl holds no reference case: there is nothing to judge/);
    assert.equal(v.stdout, '');
  }
  const blank = join(dir, 'blank.jsonl');
  writeFileSync(blank, '\n\n');
  assert.match(run('lr', 'verify', blank).stderr, /EMPTY_SET/);
});

test('bench lr prints computations/s and verifications/s', () => {
  const b = run('bench', 'lr', '--seconds', '0.2');
  assert.equal(b.code, 0, b.stderr);
  // Figures, not targets: any positive rate is a working bench (the machine's load decides the value).
  const comp = Number(/LR speed computations\/s: +(\d+)/.exec(b.stdout)?.[1]);
  const ver = Number(/meter signature verifications\/s: +(\d+)/.exec(b.stdout)?.[1]);
  assert.ok(comp > 0 && ver > 0, b.stdout);
});
