// SPDX-License-Identifier: Apache-2.0
// Makes the golden vectors (packages/typeapproval/golden): frozen reference inputs and the exact
// outputs of the current LR software. Run on purpose only, when an LR change is intended:
//   npx tsc -b && node packages/typeapproval/scripts/golden-vectors.mjs          # what would change
//   npx tsc -b && node packages/typeapproval/scripts/golden-vectors.mjs --write  # rewrite the files
// The inputs are drawn from both signal generators with fixed seeds, so rewriting gives the same
// inputs (and the same inputs.jsonl digest) unless a generator changed.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeReading, LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import {
  generateEvent,
  generateIndependentEvent,
  generateTwoVehicleEvent,
  INVALID_SCENARIOS,
  newRng,
  VEHICLE_CLASSES,
} from '@metroledger/meter';
import { goldenDir, outcomeOf, runGolden } from '@metroledger/typeapproval';

const rng = newRng('metroledger-golden-vectors');
const inputs = [];
const add = (description, e, registered = e.geometry, sampleRateHz = e.geometry.sampleRateHz) => {
  const k = inputs.length + 1;
  const reading = encodeReading({
    meterId: 'GOLDEN-1',
    sequence: k,
    captureTimeMs: 1_750_000_000_000 + 1000 * k,
    sampleRateHz,
    loopA: e.loopA,
    loopB: e.loopB,
  });
  inputs.push({
    id: `golden-${String(k).padStart(3, '0')}`,
    description,
    registered,
    readingBase64: Buffer.from(reading).toString('base64'),
    truth: e.truth,
  });
};
const fast = (fs) => ({ loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: fs });

// Every vehicle class at urban, road and motorway speeds, on a few installations.
for (const vehicleClass of VEHICLE_CLASSES) {
  for (const [speedKmh, fs] of [
    [12, 1000],
    [48, 1000],
    [95, 2000],
    [160, 2000],
    [235, 4000],
  ]) {
    add(
      `${vehicleClass} at ${speedKmh} km/h, steady`,
      generateEvent(rng, { geometry: fast(fs), vehicleClass, speedKmh, scenario: 'valid' }),
    );
  }
}
// Hard braking and acceleration (single vehicles must be measured).
for (const [vehicleClass, speedKmh, accelerationMs2] of [
  ['car', 70, -8],
  ['van', 110, -6],
  ['motorcycle', 40, 4],
  ['truck', 60, -5],
  ['car', 25, 3],
]) {
  add(
    `${vehicleClass} at ${speedKmh} km/h, ${accelerationMs2 < 0 ? 'braking' : 'accelerating'} at ${Math.abs(accelerationMs2)} m/s²`,
    generateEvent(rng, { geometry: fast(1500), vehicleClass, speedKmh, accelerationMs2, scenario: 'valid' }),
  );
}
// Other installations.
for (const geometry of [
  { loopSpacingM: 2, loopLengthM: 1.5, sampleRateHz: 1200 },
  { loopSpacingM: 5, loopLengthM: 2, sampleRateHz: 3000 },
  { loopSpacingM: 4.2, loopLengthM: 1.6, sampleRateHz: 2400 },
]) {
  add(
    `car at 62 km/h, spacing ${geometry.loopSpacingM} m`,
    generateEvent(rng, { geometry, vehicleClass: 'car', speedKmh: 62, scenario: 'valid' }),
  );
}
// Every invalid scenario of a single passage, twice.
for (const scenario of INVALID_SCENARIOS) {
  for (let i = 0; i < 2; i++) add(`invalid: ${scenario}`, generateEvent(rng, { geometry: fast(1000), speedKmh: 50 + 30 * i, scenario }));
}
// Two vehicles in the zone (OIML R 91, 2.2).
for (const [classes, speedKmh, speedRatio, gapM] of [
  [['car', 'car'], 60, 0.85, 0.8],
  [['car', 'car'], 50, 1.2, 2.5],
  [['van', 'car'], 90, 0.8, 1.2],
  [['truck', 'car'], 70, 1.15, 3.5],
  [['car', 'motorcycle'], 80, 0.8, 1.0],
  [['motorcycle', 'car'], 45, 1.3, 1.5],
  [['bus', 'car'], 40, 1.25, 3.0],
  [['car', 'truck'], 100, 0.87, 0.5],
]) {
  add(
    `invalid: two vehicles, ${classes.join(' then ')}, second at ${speedRatio}× the first's speed, ${gapM} m behind`,
    generateTwoVehicleEvent(rng, { geometry: fast(1000), vehicleClasses: classes, speedKmh, speedRatio, gapM, minPeakShare: 0.1 }),
  );
}
// The independent signal model (different physics).
for (const [vehicleClass, speedKmh, motion] of [
  ['car', 55, 'steady'],
  ['truck', 85, 'steady'],
  ['car', 75, 'hard-braking'],
  ['motorcycle', 120, 'steady'],
]) {
  add(
    `independent model: ${vehicleClass} at about ${speedKmh} km/h, ${motion}`,
    generateIndependentEvent(rng, { geometry: fast(1500), vehicleClass, speedKmh, motion }),
  );
}
add(
  'invalid: two vehicles, independent model',
  generateIndependentEvent(rng, { geometry: fast(1500), vehicleClass: 'car', speedKmh: 65, twoVehicles: true }),
);
// Refusals that depend on the registered meter, and the measuring range.
const car = generateEvent(rng, { geometry: fast(1000), vehicleClass: 'car', speedKmh: 50, scenario: 'valid' });
add('meter reports 2000 Hz, registered at 1000 Hz', car, car.geometry, 2000);
add('registered geometry with loops longer than their spacing', car, { loopSpacingM: 1, loopLengthM: 1.8, sampleRateHz: 1000 });
add(
  'car at 262 km/h (above the measuring range)',
  generateEvent(rng, { geometry: fast(4000), vehicleClass: 'car', speedKmh: 262, scenario: 'valid' }),
);

// Two vehicles where the second gives a weak signal (LR 1.2.0 and 1.3.0), taken from the two-vehicle
// study's streams (two-vehicles-study.mjs) by their index there. Project generator: events 1.1.0
// measured and 1.2.0 refuses (2640, 2745, 3608), one 1.2.0 measured and 1.3.0 refuses (42: the
// weaker vehicle behind a valley, check 5), and the one 1.3.0 still measures (2349: a known limit,
// frozen so that any change shows). Independent generator (its stream re-drawn in 1.3.0, when it
// began to require the speeds to differ while both vehicles are in the zone): a weak vehicle
// refused by its faint edges (2), one by check 5 (868), one 1.2.0 measured and 1.3.0 refuses (251:
// the measured motion, extended back to the weak vehicle's edges, has stopped), and the one 1.3.0
// still measures (436).
const studyEvents = (name, make, wanted) => {
  const r = newRng(name),
    out = new Map();
  for (let i = 0; i <= Math.max(...wanted); i++) {
    const e = make(r);
    if (wanted.includes(i)) out.set(i, e);
  }
  return out;
};
const weakShare = (e) => {
  const [v1, v2] = e.truth.vehicles;
  return Math.min(v1.peakCounts, v2.peakCounts) / Math.max(v1.peakCounts, v2.peakCounts);
};
const weakTitle = (what, i, e) => {
  const [v1, v2] = e.truth.vehicles;
  return `invalid: two vehicles, weak second (${what} #${i}): ${v1.vehicleClass} at ${v1.speedKmh.toFixed(1)} km/h then ${v2.vehicleClass} at ${v2.speedKmh.toFixed(1)} km/h, weaker peak ${(100 * weakShare(e)).toFixed(1)} % of the stronger`;
};
for (const [i, e] of studyEvents('two-vehicles-study:reference', (r) => generateTwoVehicleEvent(r), [42, 2349, 2640, 2745, 3608]))
  add(weakTitle('project generator, study event', i, e), e);
for (const [i, e] of studyEvents(
  'two-vehicles-study:independent',
  (r) => generateIndependentEvent(r, { twoVehicles: true }),
  [2, 251, 436, 868],
))
  add(weakTitle('independent generator, study event', i, e), e);

const dir = goldenDir();
const inputsText = inputs.map((i) => JSON.stringify(i)).join('\n') + '\n';
const outcomes = Object.fromEntries(inputs.map((i) => [i.id, runGolden(i)]));
const expected = {
  lrSoftware: { name: LR_SOFTWARE_NAME, version: LR_SOFTWARE_VERSION },
  inputsSha256: createHash('sha256').update(inputsText).digest('hex'),
  outcomes,
};
void outcomeOf;
if (process.argv.includes('--write')) {
  writeFileSync(join(dir, 'inputs.jsonl'), inputsText);
  writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
  console.log(`wrote ${inputs.length} golden vectors (${(inputsText.length / 1024).toFixed(0)} KiB of inputs) to ${dir}`);
} else {
  let old;
  try {
    old = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  } catch {
    old = { outcomes: {} };
  }
  let changed = 0;
  for (const [id, o] of Object.entries(outcomes)) {
    if (JSON.stringify(old.outcomes[id]) !== JSON.stringify(o)) {
      changed++;
      console.log(`${id}: ${JSON.stringify(old.outcomes[id])} -> ${JSON.stringify(o)}`);
    }
  }
  console.log(
    `${inputs.length} vectors, ${changed} outcomes would change; inputs ${old.inputsSha256 === expected.inputsSha256 ? 'unchanged' : 'changed'}. Run with --write to freeze.`,
  );
}
