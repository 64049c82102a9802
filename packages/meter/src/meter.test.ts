// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSpeed, decodeReading, decodeSignedReading, encodeSignedReading, verifyReadingSignature } from '@metroledger/lr';
import {
  generateEvent,
  generateIndependentEvent,
  generateReferenceCases,
  generateTwoVehicleEvent,
  INVALID_SCENARIOS,
  Meter,
  newRng,
  VEHICLE_CLASSES,
} from './index';

test('the rng is deterministic per seed and different across seeds', () => {
  const draw = (seed: number | string): number[] => {
    const r = newRng(seed);
    return Array.from({ length: 5 }, () => r.next());
  };
  assert.deepEqual(draw(1), draw(1));
  assert.deepEqual(draw('1'), draw(1));
  assert.notDeepEqual(draw(1), draw(2));
  const r = newRng('n');
  let sum = 0,
    sq = 0;
  for (let i = 0; i < 20_000; i++) {
    const x = r.normal();
    sum += x;
    sq += x * x;
  }
  assert.ok(Math.abs(sum / 20_000) < 0.03 && Math.abs(sq / 20_000 - 1) < 0.05);
});

test('reference cases are reproducible from their seed', () => {
  const a = [...generateReferenceCases(20, 'x')];
  const b = [...generateReferenceCases(20, 'x')];
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.map((c) => c.loopA),
    [...generateReferenceCases(20, 'y')].map((c) => c.loopA),
  );
  assert.equal(a[0]!.id, 'x-01');
});

test('every vehicle class at low, urban and motorway speeds is measured within ±1 km/h / ±1 %', () => {
  const rng = newRng('classes');
  for (const vehicleClass of VEHICLE_CLASSES) {
    for (const speedKmh of [12, 55, 180]) {
      const e = generateEvent(rng, { vehicleClass, speedKmh, scenario: 'valid' });
      assert.deepEqual(e.truth, {
        valid: true,
        speedKmh,
        vehicleClass,
        vehicleLengthM: (e.truth as { vehicleLengthM: number }).vehicleLengthM,
      });
      const r = decideSpeed({ sampleRateHz: e.geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry: e.geometry });
      assert.equal(r.kind, 'measurement', `${vehicleClass} at ${speedKmh}: ${JSON.stringify(r)}`);
      if (r.kind === 'measurement')
        assert.ok(Math.abs(r.speedKmh - speedKmh) <= Math.max(1, 0.01 * speedKmh), `${vehicleClass}: ${speedKmh} measured ${r.speedKmh}`);
    }
  }
});

test('every invalid scenario is refused', () => {
  const rng = newRng('invalid');
  for (const scenario of INVALID_SCENARIOS) {
    for (let i = 0; i < 20; i++) {
      const e = generateEvent(rng, { scenario });
      assert.equal(e.truth.valid, false);
      const r = decideSpeed({ sampleRateHz: e.geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry: e.geometry });
      assert.equal(r.kind, 'refusal', `${scenario}: ${JSON.stringify(r)}`);
    }
  }
});

test('valid events fit the meter window and are trimmed around the passage', () => {
  for (const c of generateReferenceCases(300, 'size')) {
    assert.ok(c.loopA.length <= 65_536 && c.loopA.length === c.loopB.length);
    assert.ok(c.sampleRateHz >= 1000 && c.sampleRateHz <= 4000);
    assert.ok(c.loopSpacingM >= 2 && c.loopSpacingM <= 5 && c.loopLengthM >= 1.5 && c.loopLengthM <= 2);
    if (c.truth.valid && c.truth.vehicleClass === 'car' && c.truth.speedKmh > 40) assert.ok(c.loopA.length / c.sampleRateHz < 2.5);
  }
});

test('a meter signs consecutive readings that the LR software verifies and decodes', () => {
  const geometry = { loopSpacingM: 3, loopLengthM: 2, sampleRateHz: 2000 };
  const meter = Meter.create({ meterId: 'SP-001', geometry });
  const e = generateEvent(newRng('m'), { geometry, scenario: 'valid' });
  const plate = new Uint8Array(32).fill(9);
  const s1 = meter.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: 1_700_000_000_000, plateImageSha256: plate });
  const s2 = meter.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: 1_700_000_000_500 });
  for (const s of [s1, s2]) {
    const env = decodeSignedReading(encodeSignedReading(s));
    assert.equal(verifyReadingSignature(env.reading, env.signature, meter.publicKeyPem), true);
  }
  const r1 = decodeReading(s1.reading);
  assert.deepEqual([r1.meterId, r1.sequence, r1.sampleRateHz, r1.plateImageSha256], ['SP-001', 1, 2000, plate]);
  assert.equal(decodeReading(s2.reading).sequence, 2);
  assert.equal(meter.sequence, 2);
  // A meter restored from its key and last sequence continues the series with the same identity.
  const again = Meter.create({ meterId: 'SP-001', geometry, privateKeyPem: meter.exportPrivateKeyPem(), lastSequence: 2 });
  assert.equal(again.publicKeyPem, meter.publicKeyPem);
  assert.equal(decodeReading(again.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: 1 }).reading).sequence, 3);
});

test('meter signatures are always low-S', () => {
  const meter = Meter.create({ meterId: 'LOW-S', geometry: { loopSpacingM: 3, loopLengthM: 2, sampleRateHz: 1000 } });
  const half = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n >> 1n;
  for (let i = 0; i < 64; i++) {
    const { signature } = meter.capture({ loopA: new Int16Array([i]), loopB: new Int16Array([1]), captureTimeMs: i });
    const rLen = signature[3]!;
    const sLen = signature[5 + rLen]!;
    const s = BigInt('0x' + Buffer.from(signature.subarray(6 + rLen, 6 + rLen + sLen)).toString('hex'));
    assert.ok(s <= half);
  }
});

const decide = (e: {
  geometry: { loopSpacingM: number; loopLengthM: number; sampleRateHz: number };
  loopA: Int16Array;
  loopB: Int16Array;
}) => decideSpeed({ sampleRateHz: e.geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry: e.geometry });

test('two-vehicle events: the second front reaches loop A before the first rear leaves loop B, at a speed 12 % to 2x different', () => {
  const rng = newRng('two-shape');
  for (let i = 0; i < 40; i++) {
    const e = generateTwoVehicleEvent(rng);
    assert.equal(e.truth.valid, false);
    if (e.truth.valid) return;
    assert.equal(e.truth.scenario, 'two-vehicles');
    const [v1, v2] = e.truth.vehicles!;
    const ratio = Math.max(v1!.speedKmh, v2!.speedKmh) / Math.min(v1!.speedKmh, v2!.speedKmh);
    assert.ok(ratio >= 1.12 - 1e-6 && ratio <= 2 + 1e-6, `ratio ${ratio}`);
    assert.ok(e.truth.gapM! >= 0.3 && e.truth.gapM! < e.geometry.loopSpacingM + e.geometry.loopLengthM + 0.03, `gap ${e.truth.gapM}`);
  }
});

test("the LR software refuses every two-vehicle event whose weaker vehicle gives a tenth of the other one's signal, nearly always as TWO_VEHICLES", () => {
  const rng = newRng('two-refused');
  const codes: Record<string, number> = {};
  for (let i = 0; i < 200; i++) {
    const r = decide(generateTwoVehicleEvent(rng, { minPeakShare: 0.1 }));
    const code = r.kind === 'refusal' ? r.code : 'ACCEPTED';
    codes[code] = (codes[code] ?? 0) + 1;
  }
  assert.equal(codes['ACCEPTED'], undefined, JSON.stringify(codes));
  assert.ok(codes['TWO_VEHICLES']! >= 180, JSON.stringify(codes));
});

test('single vehicles braking at up to 8 m/s² or accelerating at up to 4 m/s² are measured, not taken for two', () => {
  const rng = newRng('hard');
  for (const accelerationMs2 of [-8, -6, -4, 2.5, 4]) {
    for (const vehicleClass of VEHICLE_CLASSES) {
      for (const speedKmh of accelerationMs2 < -5 ? [70, 100, 140] : accelerationMs2 < 0 ? [50, 90, 130] : [30, 70, 130]) {
        const e = generateEvent(rng, { vehicleClass, speedKmh, accelerationMs2, scenario: 'valid' });
        const r = decide(e);
        assert.notEqual(r.kind === 'refusal' && r.code, 'TWO_VEHICLES', `${vehicleClass} ${speedKmh} km/h at ${accelerationMs2} m/s²`);
        if (r.kind === 'measurement')
          assert.ok(Math.abs(r.speedKmh - speedKmh) <= Math.max(2, 0.02 * speedKmh), `${vehicleClass} ${speedKmh} measured ${r.speedKmh}`);
      }
    }
  }
});

test('the independent generator (other physics) gives valid passages with their truth, and two-vehicle events', () => {
  const rng = newRng('independent');
  let measured = 0;
  for (let i = 0; i < 12; i++) {
    const e = generateIndependentEvent(rng, { speedKmh: 40 + 10 * i, motion: 'steady' });
    assert.equal(e.truth.valid, true);
    const r = decide(e);
    if (r.kind === 'measurement' && e.truth.valid) {
      measured++;
      assert.ok(Math.abs(r.speedKmh - e.truth.speedKmh) <= 0.03 * e.truth.speedKmh + 1, `${r.speedKmh} vs ${e.truth.speedKmh}`);
    }
  }
  assert.ok(measured >= 10);
  for (let i = 0; i < 10; i++) {
    const two = generateIndependentEvent(rng, { twoVehicles: true });
    assert.equal(two.truth.valid, false);
    if (two.truth.valid) return;
    // Different speeds while both are in the zone, not only on average over each one's passage.
    const [v1, v2] = two.truth.entrySpeedsKmh!;
    assert.ok(Math.max(v1, v2) >= 1.12 * Math.min(v1, v2) - 1e-3, `speeds ${v1} and ${v2} km/h when the second reached loop A`);
  }
});

test('a weak vehicle set apart from the measured one by a valley, moving at another speed, is refused as TWO_VEHICLES', () => {
  // Event 42 of the two-vehicle study's project stream: a van braking at 36 km/h and a motorcycle
  // 0.9 m behind at 25 km/h, 7 % of its signal. LR 1.2.0 gave the van's speed; its faint edges
  // were timed too loosely to tell.
  const rng = newRng('two-vehicles-study:reference');
  for (let i = 0; i < 42; i++) generateTwoVehicleEvent(rng);
  const r = decide(generateTwoVehicleEvent(rng));
  assert.equal(r.kind, 'refusal');
  if (r.kind !== 'refusal') return;
  assert.equal(r.code, 'TWO_VEHICLES');
  assert.match(r.detail, /part behind a valley .* at half its height, moves at 25\.\d km\/h/);
});
