// SPDX-License-Identifier: Apache-2.0
// Published surveillance under pseudonyms: no meter id, place or ledger reference left, the same
// statistics, stable pseudonyms within a rotation period and unlinkable across periods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Collected, SurveilReading } from './collect';
import { formatSurveilText, meterPseudonym, pseudonymizeReport, pseudonymPeriod, surveil, SurveilError } from './index';
import { newRng } from '@metroledger/meter';

function collected(): Collected {
  const rng = newRng('pseudonyms');
  const readings: SurveilReading[] = [];
  const meters = new Map<string, { meterId: string; lat: number; lon: number; location: string; speedLimitKmh: number; status: string }>();
  const base = Date.parse('2025-06-30T23:00:00Z');
  for (let i = 1; i <= 7; i++) {
    const meterId = `SP-000${i}`;
    meters.set(meterId, {
      meterId,
      lat: -23.56 + i * 0.002,
      lon: -46.65 + i * 0.002,
      location: `Av. Paulista ${i}00`,
      speedLimitKmh: 60,
      status: 'ACTIVE',
    });
    for (let s = 1; s <= 60; s++) {
      if (i === 3 && (s === 10 || s === 11)) continue; // lost readings: a SEQUENCE_GAP flag
      const speedKmh = (i === 7 ? 95 : 55) + 6 * rng.normal();
      const t = base + s * 90_000;
      readings.push({
        meterId,
        sequence: s,
        captureTimeMs: t,
        txTimeMs: t + 500,
        blockNum: s,
        txId: `tx-${meterId}-${s}`,
        status: 'MEASURED',
        speedKmh,
        speedLimitKmh: 60,
        exceeded: speedKmh > 60,
        rawDigest: createHash('sha256').update(`${meterId}/${s}`).digest('hex'),
      });
    }
  }
  // the same raw data under two meters: a DIGEST_COLLISION naming both
  readings.push({ ...readings[5]!, meterId: 'SP-0002', sequence: 61, txId: 'tx-collision', blockNum: 99 });
  return { readings, meters, blocks: 100, transactions: readings.length };
}

test('a public report names meters only by pseudonyms and leaves out places and ledger references', () => {
  const report = surveil(collected(), 'test ledger');
  const secret = randomBytes(32);
  const pub = pseudonymizeReport(report, { secret });
  assert.equal(pub.pseudonyms.period, '2025-07', 'the period of the last hour of data (monthly rotation)');
  const json = JSON.stringify(pub);
  for (let i = 1; i <= 7; i++) assert.doesNotMatch(json, new RegExp(`SP-000${i}`), `meter SP-000${i} named in the public report`);
  assert.doesNotMatch(json, /Paulista|"lat"|"lon"|"txId"|"blockNum"|tx-/);
  assert.doesNotMatch(formatSurveilText(pub), /SP-000/);
  assert.ok(
    report.flags.some((f) => f.code === 'SEQUENCE_GAP') &&
      report.flags.some((f) => f.code === 'DIGEST_COLLISION') &&
      report.flags.some((f) => f.code === 'NEIGHBOUR_OUTLIER'),
  );
  assert.deepEqual(pub.flags.map((f) => f.code).sort(), report.flags.map((f) => f.code).sort(), 'the same flags');
  // the same statistics, meter by meter, under the publisher's mapping
  for (const m of report.meters) {
    const p = pub.meters.find((x) => x.meterId === meterPseudonym(secret, pub.pseudonyms.period, m.meterId))!;
    const { location: _l, lat: _a, lon: _o, ...expected } = m;
    assert.deepEqual({ ...p, meterId: m.meterId }, expected);
  }
  assert.deepEqual(
    [pub.readings, pub.measured, pub.violations, pub.histogram],
    [report.readings, report.measured, report.violations, report.histogram],
  );
  const outlier = pub.flags.find((f) => f.code === 'NEIGHBOUR_OUTLIER')!;
  assert.equal(outlier.meterId, meterPseudonym(secret, '2025-07', 'SP-0007'));
  assert.ok((outlier.details!['neighbours'] as string[]).every((n) => n.startsWith('P-')));
});

test('pseudonyms are stable within a period, unlinkable across periods and secrets', () => {
  const secret = randomBytes(32);
  const a = meterPseudonym(secret, '2025-06', 'SP-0001');
  assert.match(a, /^P-[a-z2-7]{16}$/);
  assert.equal(meterPseudonym(secret, '2025-06', 'SP-0001'), a);
  assert.notEqual(meterPseudonym(secret, '2025-07', 'SP-0001'), a);
  assert.notEqual(meterPseudonym(randomBytes(32), '2025-06', 'SP-0001'), a);
  assert.notEqual(meterPseudonym(secret, '2025-06', 'SP-0002'), a);
  const report = surveil(collected(), 'x');
  assert.deepEqual(
    pseudonymizeReport(report, { secret, period: '2025-06' }).meters.map((m) => m.meterId),
    pseudonymizeReport(report, { secret, period: '2025-06' }).meters.map((m) => m.meterId),
  );
  assert.throws(() => meterPseudonym(randomBytes(16), '2025-06', 'SP-0001'), SurveilError);
});

test('rotation periods: UTC day, ISO week, calendar month', () => {
  const t = Date.parse('2025-06-04T12:00:00Z');
  assert.equal(pseudonymPeriod(t, 'day'), '2025-06-04');
  assert.equal(pseudonymPeriod(t, 'week'), '2025-W23');
  assert.equal(pseudonymPeriod(t, 'month'), '2025-06');
  assert.equal(pseudonymPeriod(Date.parse('2021-01-03T00:00:00Z'), 'week'), '2020-W53');
  assert.equal(pseudonymPeriod(Date.parse('2024-12-30T00:00:00Z'), 'week'), '2025-W01');
});
