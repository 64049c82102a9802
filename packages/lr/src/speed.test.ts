// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSpeed, withinMpe, type LoopGeometry, type SpeedResult } from './index';

/** The LR decision on two loops' samples, sampled at the registered rate of `g`. */
function computeSpeed(loopA: Int16Array, loopB: Int16Array, g: LoopGeometry): SpeedResult {
  return decideSpeed({ sampleRateHz: g.sampleRateHz, loopA, loopB }, { geometry: g });
}

const geometry: LoopGeometry = { loopSpacingM: 3, loopLengthM: 2, sampleRateHz: 2000 };

/** A box-shaped vehicle over box-shaped loops (the overlap length), at constant speed, plus noise and hum. */
function passage(opts: {
  speedKmh: number;
  lengthM?: number;
  preS?: number;
  windowS?: number;
  amplitude?: number;
  noise?: number;
  seed?: number;
}): { a: Int16Array; b: Int16Array } {
  const v = opts.speedKmh / 3.6;
  const len = opts.lengthM ?? 4.5;
  const pre = opts.preS ?? 0.2;
  const fs = geometry.sampleRateHz;
  const duration = opts.windowS ?? pre + (geometry.loopSpacingM + geometry.loopLengthM + len) / v + 0.2;
  const n = Math.ceil(duration * fs);
  let state = opts.seed ?? 1;
  const rand = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
  const overlap = (s: number, edge: number): number => Math.max(0, Math.min(s, edge + geometry.loopLengthM) - Math.max(s - len, edge));
  const loop = (edge: number): Int16Array =>
    Int16Array.from({ length: n }, (_, i) => {
      const t = i / fs;
      const s = v * (t - pre); // front at loop A's leading edge at t = pre
      const x =
        500 +
        (opts.amplitude ?? 3000) * (overlap(s, edge) / geometry.loopLengthM) +
        20 * Math.sin(2 * Math.PI * 50 * t) +
        (opts.noise ?? 10) * rand();
      return Math.round(x);
    });
  return { a: loop(0), b: loop(geometry.loopSpacingM) };
}

function refusal(r: SpeedResult): string {
  return r.kind === 'refusal' ? r.code : `measured ${r.speedKmh}`;
}

test('a clean passage is measured to within 0.5 % at 0.1 km/h precision, whatever the speed', () => {
  for (const kmh of [7, 36, 88.8, 140, 240]) {
    const { a, b } = passage({ speedKmh: kmh });
    const r = computeSpeed(a, b, geometry);
    assert.equal(r.kind, 'measurement', refusal(r));
    if (r.kind !== 'measurement') return;
    assert.ok(Math.abs(r.speedKmh - kmh) <= 0.005 * kmh + 0.1, `${kmh} km/h measured as ${r.speedKmh}`);
    assert.equal(Math.round(r.speedKmh * 10) / 10, r.speedKmh);
    assert.ok(Math.abs(r.vehicleLengthM - 4.5) < 0.5, `length ${r.vehicleLengthM}`);
  }
});

test('the computation is deterministic and uses the registered geometry', () => {
  const { a, b } = passage({ speedKmh: 60 });
  assert.deepEqual(computeSpeed(a, b, geometry), computeSpeed(a, b, geometry));
  const r1 = computeSpeed(a, b, geometry);
  const r2 = computeSpeed(a, b, { ...geometry, loopSpacingM: 6 });
  assert.ok(r1.kind === 'measurement' && r2.kind === 'measurement');
  assert.ok(Math.abs(r2.speedKmh - 2 * r1.speedKmh) <= 0.2);
});

test('noise only is refused as NO_VEHICLE', () => {
  const { a, b } = passage({ speedKmh: 50, amplitude: 0, windowS: 1.5 });
  assert.equal(refusal(computeSpeed(a, b, geometry)), 'NO_VEHICLE');
});

test('a dead, stuck or saturated loop is refused as LOOP_FAULT', () => {
  const { a, b } = passage({ speedKmh: 50 });
  assert.equal(refusal(computeSpeed(a, new Int16Array(b.length).fill(812), geometry)), 'LOOP_FAULT');
  assert.equal(refusal(computeSpeed(new Int16Array(a.length).fill(32767), b, geometry)), 'LOOP_FAULT');
  const quiet = passage({ speedKmh: 50, amplitude: 0 });
  assert.equal(refusal(computeSpeed(quiet.a, b, geometry)), 'LOOP_FAULT');
  const strong = passage({ speedKmh: 50, amplitude: 12000 });
  assert.equal(refusal(computeSpeed(a, strong.b, geometry)), 'LOOP_FAULT'); // loop gains 4x apart
});

test('an event cut by the capture window is refused as INCOMPLETE_EVENT', () => {
  const full = passage({ speedKmh: 50 });
  const beforeB = passage({ speedKmh: 50, windowS: 0.2 + 2.5 / (50 / 3.6) });
  assert.equal(refusal(computeSpeed(beforeB.a, beforeB.b, geometry)), 'INCOMPLETE_EVENT');
  const overB = Math.ceil((0.2 + 5 / (50 / 3.6)) * geometry.sampleRateHz);
  assert.equal(refusal(computeSpeed(full.a.subarray(0, overB), full.b.subarray(0, overB), geometry)), 'INCOMPLETE_EVENT');
  const late = passage({ speedKmh: 50, preS: 0.02 });
  assert.equal(refusal(computeSpeed(late.a, late.b, geometry)), 'INCOMPLETE_EVENT');
  assert.equal(refusal(computeSpeed(full.a.subarray(0, 300), full.b.subarray(0, 300), geometry)), 'INCOMPLETE_EVENT');
});

test('a vehicle crossing loop B first is refused as INCONSISTENT_EDGES', () => {
  const { a, b } = passage({ speedKmh: 50 });
  assert.equal(refusal(computeSpeed(b, a, geometry)), 'INCONSISTENT_EDGES');
});

test('loops showing different vehicles are refused: their rear edges move at another speed than their fronts', () => {
  const truck = passage({ speedKmh: 50, lengthM: 16 });
  const car = passage({ speedKmh: 50, lengthM: 4.5, windowS: truck.a.length / geometry.sampleRateHz });
  const r = computeSpeed(car.a, truck.b, geometry);
  assert.equal(refusal(r), 'TWO_VEHICLES');
  assert.match((r as { detail: string }).detail, /two speeds/);
});

test('speeds outside 5..250 km/h are refused as OUT_OF_RANGE', () => {
  for (const kmh of [3.5, 290]) {
    const { a, b } = passage({ speedKmh: kmh, lengthM: kmh < 5 ? 2 : 4.5 });
    assert.equal(refusal(computeSpeed(a, b, kmh < 5 ? { ...geometry, sampleRateHz: 1000 } : geometry)), 'OUT_OF_RANGE');
  }
});

test('an unusable registered geometry is refused as INVALID_GEOMETRY', () => {
  const { a, b } = passage({ speedKmh: 50 });
  for (const g of [
    { ...geometry, loopSpacingM: 0 },
    { ...geometry, sampleRateHz: 1.5 },
    { ...geometry, loopLengthM: NaN },
    { ...geometry, loopLengthM: 3.5 },
  ]) {
    const r = decideSpeed({ sampleRateHz: geometry.sampleRateHz, loopA: a, loopB: b }, { geometry: g });
    assert.equal(refusal(r), 'INVALID_GEOMETRY', JSON.stringify(g));
  }
});

test('a reading sampled at another rate than the registered one is refused as SAMPLE_RATE_MISMATCH', () => {
  const { a, b } = passage({ speedKmh: 50 });
  const r = decideSpeed({ sampleRateHz: 1000, loopA: a, loopB: b }, { geometry });
  assert.deepEqual(r, { kind: 'refusal', code: 'SAMPLE_RATE_MISMATCH', detail: 'meter reports 1000 Hz, registered 2000 Hz' });
});

test('the MPE is ±7 km/h up to 100 km/h and ±7 % above', () => {
  assert.equal(withinMpe(57, 50), true);
  assert.equal(withinMpe(57.1, 50), false);
  assert.equal(withinMpe(93, 100), true);
  assert.equal(withinMpe(92.9, 100), false);
  assert.equal(withinMpe(214, 200), true);
  assert.equal(withinMpe(186, 200), true);
  assert.equal(withinMpe(214.1, 200), false);
});

/**
 * Box-shaped vehicles over box-shaped loops: each has its own speed, acceleration, length and
 * strength; the second one's front reaches loop A `gapM` metres behind the first one's rear.
 */
const pair = (p: { a: Int16Array; b: Int16Array }): [Int16Array, Int16Array] => [p.a, p.b];

function vehicles(
  list: { speedKmh: number; lengthM: number; amplitude: number; accel?: number }[],
  gapM: number,
  noise = 6,
): { a: Int16Array; b: Int16Array } {
  const fs = geometry.sampleRateHz;
  const pre = 0.3;
  const first = list[0]!;
  const v1 = first.speedKmh / 3.6;
  const pos = (v: number, acc: number, t: number): number => (t < 0 ? v * t : v * t + 0.5 * acc * t * t);
  // the second front reaches loop A when the first rear is gapM past it
  const starts = [pre, pre + (gapM + first.lengthM) / v1];
  const end =
    Math.max(
      ...list.map((veh, k) => starts[k]! + ((geometry.loopSpacingM + geometry.loopLengthM + veh.lengthM) / (veh.speedKmh / 3.6)) * 1.6),
    ) + 0.3;
  const n = Math.ceil(end * fs);
  let state = 7;
  const rand = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
  const loop = (edge: number): Int16Array =>
    Int16Array.from({ length: n }, (_, i) => {
      const t = i / fs;
      let x = 300 + 15 * Math.sin(2 * Math.PI * 60 * t) + noise * rand();
      list.forEach((veh, k) => {
        const s = pos(veh.speedKmh / 3.6, veh.accel ?? 0, t - starts[k]!);
        const overlap = Math.max(0, Math.min(s, edge + geometry.loopLengthM) - Math.max(s - veh.lengthM, edge));
        x += veh.amplitude * (overlap / geometry.loopLengthM);
      });
      return Math.round(x);
    });
  return { a: loop(0), b: loop(geometry.loopSpacingM) };
}

test('two vehicles in the zone at different speeds are refused as TWO_VEHICLES (OIML R 91, 2.2)', () => {
  // apart on the loops: loop A falls back to its baseline between them
  const apart = vehicles(
    [
      { speedKmh: 60, lengthM: 4.5, amplitude: 3000 },
      { speedKmh: 48, lengthM: 4.2, amplitude: 2600 },
    ],
    2.6,
  );
  const r1 = computeSpeed(apart.a, apart.b, geometry);
  assert.equal(refusal(r1), 'TWO_VEHICLES');
  assert.match((r1 as { detail: string }).detail, /returns to its baseline/);
  // close behind and slower: both over loop A at once, the signal never returns to the baseline
  const close = vehicles(
    [
      { speedKmh: 60, lengthM: 4.5, amplitude: 3000 },
      { speedKmh: 51, lengthM: 4.2, amplitude: 1800 },
    ],
    0.8,
  );
  const r2 = computeSpeed(close.a, close.b, geometry);
  assert.equal(refusal(r2), 'TWO_VEHICLES');
  assert.match((r2 as { detail: string }).detail, /two speeds/);
  // slower still, a little further back
  assert.equal(
    refusal(
      computeSpeed(
        ...pair(
          vehicles(
            [
              { speedKmh: 60, lengthM: 4.5, amplitude: 3000 },
              { speedKmh: 40, lengthM: 4.2, amplitude: 2000 },
            ],
            1,
          ),
        ),
        geometry,
      ),
    ),
    'TWO_VEHICLES',
  );
  // a weak vehicle (a tenth of the signal) just behind a strong one
  const weak = vehicles(
    [
      { speedKmh: 90, lengthM: 12, amplitude: 6000 },
      { speedKmh: 75, lengthM: 2, amplitude: 600 },
    ],
    0.8,
  );
  assert.equal(refusal(computeSpeed(weak.a, weak.b, geometry)), 'TWO_VEHICLES');
});

test('a single vehicle braking or accelerating hard is measured, not taken for two vehicles', () => {
  for (const [kmh, accel] of [
    [60, -8],
    [100, -9],
    [30, 4],
    [120, 3],
  ] as const) {
    const one = vehicles([{ speedKmh: kmh, lengthM: 4.6, amplitude: 3000, accel }], 0);
    const r = computeSpeed(one.a, one.b, geometry);
    assert.equal(r.kind, 'measurement', `${kmh} km/h at ${accel} m/s²: ${refusal(r)}`);
  }
});
