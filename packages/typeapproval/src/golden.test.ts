// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFUSAL_CODES } from '@metroledger/lr';
import { goldenDir, verifyGoldenVectors, type GoldenExpected } from './index';

test('every golden vector gives exactly its frozen speed, length or refusal (any LR change shows in golden/expected.json)', () => {
  const v = verifyGoldenVectors();
  assert.equal(v.inputsMatch, true, 'golden/inputs.jsonl is the file expected.json was made from');
  assert.equal(
    v.versionMatch,
    true,
    `expected.json was made by ${v.lrSoftware.name} ${v.lrSoftware.version}; regenerate it on purpose (scripts/golden-vectors.mjs --write)`,
  );
  for (const c of v.cases) assert.deepEqual(c.actual, c.expected, `${c.id} (${c.description})`);
  assert.equal(v.verdict, 'PASS');
  assert.ok(v.cases.length >= 50);
});

test('the golden vectors cover every refusal code and every vehicle class', () => {
  const v = verifyGoldenVectors();
  const codes = new Set(v.cases.map((c) => ('refusal' in c.actual ? c.actual.refusal : 'MEASURED')));
  for (const code of [...Object.keys(REFUSAL_CODES), 'MEASURED']) assert.ok(codes.has(code), code);
  for (const cls of ['motorcycle', 'car', 'van', 'bus', 'truck'])
    assert.ok(
      v.cases.some((c) => c.description.startsWith(cls)),
      cls,
    );
});

test('a changed outcome or a changed input fails the golden verdict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'golden-'));
  try {
    cpSync(goldenDir(), dir, { recursive: true });
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as GoldenExpected;
    const [id, outcome] = Object.entries(expected.outcomes).find(([, o]) => 'speedKmh' in o)!;
    expected.outcomes[id] = { ...outcome, speedKmh: (outcome as { speedKmh: number }).speedKmh + 0.1 } as never;
    writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected));
    const v = verifyGoldenVectors(dir);
    assert.equal(v.verdict, 'FAIL');
    assert.deepEqual(
      v.cases.filter((c) => !c.pass).map((c) => c.id),
      [id],
    );
    writeFileSync(
      join(dir, 'inputs.jsonl'),
      readFileSync(join(goldenDir(), 'inputs.jsonl'), 'utf8').replace('"description":"', '"description":"edited: '),
    );
    assert.equal(verifyGoldenVectors(dir).inputsMatch, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
