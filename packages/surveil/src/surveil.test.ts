// SPDX-License-Identifier: Apache-2.0
// Surveillance over a real ledger directory with planted patterns: each is flagged on its meter,
// and the honest meters are not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerDirectorySource } from '@metroledger/audit';
import { ForgedLedger } from '@metroledger/audit/testing/forge';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent } from '@metroledger/meter';
import { collectMeasurements, formatSurveilHtml, formatSurveilText, surveil, SurveilError, type SurveilReport } from './index';

let root: string;
let report: SurveilReport;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-surveil-'));
  const f = await ForgedLedger.create(root);
  // Six meters a few hundred metres apart on one avenue.
  const meters = Array.from({ length: 6 }, (_, i) => f.newMeter(`SP-000${i + 1}`));
  for (const [i, m] of meters.entries()) await f.registerMeter(m, { lat: -23.56 + i * 0.002, lon: -46.65 + i * 0.002, speedLimitKmh: 60 });
  // Two meters on a parallel 90 km/h road: faster in km/h, but the same share of their limit, so
  // they are no outliers (and their neighbours do not become outliers because of them).
  const expressway = [f.newMeter('SP-0007'), f.newMeter('SP-0008')];
  for (const [i, m] of expressway.entries())
    await f.registerMeter(m, { lat: -23.555 + i * 0.002, lon: -46.651 + i * 0.002, speedLimitKmh: 90 });
  await f.cut();
  const speed = (mu: number, sigma: number): number => Math.min(140, Math.max(20, mu + sigma * f.rng.normal()));
  // SP-0001: 90 ordinary readings, then 30 much faster ones (a shift in its own history).
  for (let k = 0; k < 120; k++) await f.submit(f.reading(meters[0]!, { speedKmh: k < 90 ? speed(55, 8) : speed(75, 5) }));
  // SP-0002..5 ordinary; SP-0006 much faster than its neighbours.
  for (let k = 0; k < 50; k++) {
    for (const m of meters.slice(1, 5)) await f.submit(f.reading(m, { speedKmh: speed(55, 8) }));
    await f.submit(f.reading(meters[5]!, { speedKmh: speed(95, 6) }));
    for (const m of expressway) await f.submit(f.reading(m, { speedKmh: speed(82.5, 12) }));
    if (k % 10 === 9) await f.cut();
  }
  // Times below are on the forge's clock (the transactions' timestamps), never the wall clock: how
  // long the set-up took must not move a reading across a flag's threshold.
  // The same raw loop signals captured (signed) by SP-0002 and SP-0003.
  const ev = generateEvent(f.rng, { geometry: meters[1]!.geometry, scenario: 'valid', speedKmh: 50 });
  for (const m of [meters[1]!, meters[2]!]) {
    await f.submit(
      Buffer.from(encodeSignedReading(m.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: f.clockMs + 500 }))).toString('base64'),
    );
  }
  // SP-0004 loses two readings, then sends one stamped 20 s before its previous one.
  f.reading(meters[3]!);
  f.reading(meters[3]!);
  const previous = f.clockMs + 500; // a reading is captured 500 ms after the clock; its submission then advances it
  await f.submit(f.reading(meters[3]!));
  await f.submit(f.reading(meters[3]!, { captureTimeMs: previous - 20_000 }));
  // SP-0005's clock is an hour behind.
  await f.submit(f.reading(meters[4]!, { captureTimeMs: f.clockMs + 1_000 - 3_600_000 }));
  await f.cut();
  await f.close();
  report = surveil(await collectMeasurements(ledgerDirectorySource(root)), 'test ledger');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const flagged = (code: string): string[] => [...new Set(report.flags.filter((f) => f.code === code).map((f) => f.meterId))].sort();

describe('surveillance of a ledger', () => {
  test('counts, distributions and violation rates per meter and per hour', () => {
    assert.equal(report.readings, 120 + 250 + 100 + 2 + 2 + 1);
    assert.equal(report.meters.length, 8);
    const m6 = report.meters.find((m) => m.meterId === 'SP-0006')!;
    assert.ok(m6.meanKmh > 85 && m6.violationRate > 0.95, JSON.stringify(m6));
    const m2 = report.meters.find((m) => m.meterId === 'SP-0002')!;
    assert.ok(m2.meanKmh > 48 && m2.meanKmh < 62 && m2.violationRate < 0.5, JSON.stringify(m2));
    assert.equal(
      m2.histogram.reduce((a, b) => a + b, 0),
      m2.measured,
    );
    assert.equal(
      report.hourly.filter((h) => h.meterId === 'SP-0002').reduce((a, h) => a + h.readings, 0),
      m2.readings,
    );
  });

  test('a meter whose recent speeds depart from its own history is flagged (KS)', () => {
    assert.deepEqual(flagged('HISTORY_SHIFT'), ['SP-0001']);
  });

  test('a meter much faster than its neighbours, relative to the speed limits, is flagged (robust z)', () => {
    assert.deepEqual(flagged('NEIGHBOUR_OUTLIER'), ['SP-0006']);
  });

  test('identical raw data under another meter, lost readings, clock anomalies are flagged where they are', () => {
    const collision = report.flags.find((f) => f.code === 'DIGEST_COLLISION')!;
    assert.equal(collision.meterId, 'SP-0003');
    assert.equal((collision.details!['first'] as { meterId: string }).meterId, 'SP-0002');
    assert.deepEqual(flagged('SEQUENCE_GAP'), ['SP-0004']);
    assert.equal(report.flags.find((f) => f.code === 'SEQUENCE_GAP')!.details!['missing'], 2);
    // SP-0005's late clock also puts its last reading before the previous one.
    assert.deepEqual(flagged('CAPTURE_TIME_ORDER'), ['SP-0004', 'SP-0005']);
    assert.deepEqual(flagged('CAPTURE_TIME_SKEW'), ['SP-0005']);
    assert.deepEqual(flagged('SEQUENCE_REPEAT'), []);
  });

  test('text and self-contained HTML reports', () => {
    assert.match(formatSurveilText(report), /HISTORY_SHIFT +SP-0001 /);
    const html = formatSurveilHtml(report);
    assert.match(html, /<svg /);
    assert.doesNotMatch(html, /<script|<link|src="http/);
    assert.throws(() => surveil({ readings: [], meters: new Map(), blocks: 0, transactions: 0 }, 'x', { recentShare: 2 }), SurveilError);
  });
});
