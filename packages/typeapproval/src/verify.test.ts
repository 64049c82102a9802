// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateReferenceCases } from '@metroledger/meter';
import { formatCaseLine, parseCaseLine, runCase, TARGETS, TypeApprovalError, Verification } from './index';

function verifySet(count: number, seed: number): ReturnType<Verification['summary']> {
  const v = new Verification();
  for (const c of generateReferenceCases(count, seed)) v.add(c, runCase(c));
  return v.summary();
}

test('the LR software meets the type-approval targets on 10,000 reference cases (seed 1)', () => {
  const s = verifySet(10_000, 1);
  assert.equal(s.cases, 10_000);
  assert.ok(s.invalid > 100, 'the set contains invalid events');
  assert.equal(s.overall.outsideMpe, TARGETS.maxOutsideMpe, 'no accepted result outside the MPE');
  assert.equal(s.invalidAccepted, 0, 'every invalid event refused');
  assert.ok(s.overall.acceptedShare >= TARGETS.minAcceptedShare, `accepted ${s.overall.acceptedShare}`);
  assert.ok(s.overall.withinOneShare >= TARGETS.minWithinOnePercentShare, `within ±1: ${s.overall.withinOneShare}`);
  assert.equal(s.overall.beyondTwo, TARGETS.maxBeyondTwoPercent, 'every accepted result within ±2 km/h / ±2 %');
  assert.equal(s.verdict, 'PASS', s.failures.join('; '));
  for (const cls of ['motorcycle', 'car', 'van', 'bus', 'truck']) assert.ok(s.byClass[cls]!.valid > 50, cls);
  // Two vehicles in the zone at once (OIML R 91, 2.2): all refused, nearly all with their own code.
  const two = s.invalidByScenario['two-vehicles']!;
  assert.ok(two.cases > 300, `${two.cases} two-vehicle events`);
  assert.equal(two.accepted, 0);
  assert.ok((two.refusedBy['TWO_VEHICLES'] ?? 0) >= 0.8 * two.cases, JSON.stringify(two.refusedBy));
  assert.equal(s.validRefusedBy['TWO_VEHICLES'], undefined, 'no single vehicle refused as two');
});

test('the targets also hold on a second seed (smaller set)', () => {
  const s = verifySet(2_000, 2);
  assert.equal(s.verdict, 'PASS', s.failures.join('; '));
});

test('the verdict fails when a result is outside the MPE or an invalid event is accepted', () => {
  const cases = [...generateReferenceCases(40, 'f')];
  const valid = cases.find((c) => c.truth.valid)!;
  const truth = valid.truth as { speedKmh: number };
  const v = new Verification();
  v.add(valid, { id: valid.id, speedKmh: truth.speedKmh * 1.1 + 8, vehicleLengthM: 4 });
  assert.equal(v.summary().overall.outsideMpe, 1);
  assert.equal(v.summary().verdict, 'FAIL');
  const w = new Verification();
  const invalid = { ...valid, truth: { valid: false as const, reason: 'dead loop' } };
  w.add(invalid, { id: invalid.id, speedKmh: 50, vehicleLengthM: 4 });
  assert.equal(w.summary().invalidAccepted, 1);
  assert.equal(w.summary().verdict, 'FAIL');
});

test('a case line round-trips, truth is optional, and malformed lines give MALFORMED_CASE', () => {
  const [ref] = [...generateReferenceCases(1, 'rt')];
  const parsed = parseCaseLine(formatCaseLine(ref!));
  assert.deepEqual(parsed, { ...ref });
  const { truth: _t, ...bare } = JSON.parse(formatCaseLine(ref!)) as Record<string, unknown>;
  const noTruth = parseCaseLine(JSON.stringify(bare));
  assert.equal(noTruth.truth, undefined);
  const v = new Verification();
  v.add(noTruth, runCase(noTruth));
  assert.equal(v.summary().verdict, undefined);
  for (const line of [
    '{',
    '[]',
    '{"id":"x"}',
    JSON.stringify({ ...bare, loopA: [1, 2, 40000] }),
    JSON.stringify({ ...bare, sampleRateHz: -1 }),
  ]) {
    assert.throws(
      () => parseCaseLine(line),
      (e: unknown) => e instanceof TypeApprovalError && e.code === 'MALFORMED_CASE',
      line,
    );
  }
});

test('a case with an unusable geometry is refused, not thrown', () => {
  const [ref] = [...generateReferenceCases(1, 'g')];
  const outcome = runCase({ ...ref!, loopSpacingM: 0.01 });
  assert.equal('refused' in outcome && outcome.refused, 'INVALID_GEOMETRY');
});
