// SPDX-License-Identifier: Apache-2.0
// Prints the LR result of every case of the project's reference sets and of the main job's readings,
// one JSON line each, so that two builds of the LR software can be compared case by case:
//   node packages/typeapproval/scripts/lr-results.mjs > before.jsonl   (on one commit)
//   node packages/typeapproval/scripts/lr-results.mjs > after.jsonl    (on another)
//   node packages/typeapproval/scripts/lr-results.mjs --compare before.jsonl after.jsonl
// Sets: reference seeds 1 and 2 (10,000 single-vehicle cases each, the generator's original
// stream) and the main job (`metroledger start` defaults: 1,000 meters, 60 s, seed sao-paulo).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as lr from '@metroledger/lr';
import { generateEvent, newRng } from '@metroledger/meter';
import { DEFAULT_SCENARIO, drawVehicle, planArrivals, planMeters } from '@metroledger/scenario';

function digest(loopA, loopB) {
  return createHash('sha256')
    .update(new Uint8Array(loopA.buffer, loopA.byteOffset, loopA.byteLength))
    .update(new Uint8Array(loopB.buffer, loopB.byteOffset, loopB.byteLength))
    .digest('hex')
    .slice(0, 16);
}

/** The LR decision through whatever this build exports: decideSpeed (reading + meter) or computeSpeed. */
function decide(loopA, loopB, geometry) {
  if (typeof lr.decideSpeed === 'function') {
    return lr.decideSpeed({ sampleRateHz: geometry.sampleRateHz, loopA, loopB }, { geometry });
  }
  return lr.computeSpeed(loopA, loopB, geometry);
}

function line(set, id, loopA, loopB, geometry) {
  const r = decide(loopA, loopB, geometry);
  const out = { set, id, input: digest(loopA, loopB) };
  if (r.kind === 'measurement') Object.assign(out, { speedKmh: r.speedKmh, vehicleLengthM: r.vehicleLengthM });
  else Object.assign(out, { code: r.code, detail: r.detail });
  return JSON.stringify(out);
}

function* referenceSet(seed, count) {
  // The single-vehicle stream of generateReferenceCases: same rng name, generateEvent per case.
  const rng = newRng(`metroledger-reference:${seed}`);
  for (let i = 0; i < count; i++) {
    const e = generateEvent(rng);
    yield line(`seed-${seed}`, i + 1, e.loopA, e.loopB, e.geometry);
  }
}

function* mainJob() {
  const o = DEFAULT_SCENARIO;
  const plan = planMeters(o);
  const schedule = planArrivals(o);
  const rng = newRng(`${o.seed}/vehicles`);
  for (let i = 0; i < schedule.timeMs.length; i++) {
    const p = plan[schedule.meter[i]];
    const vehicle = drawVehicle(rng, p.speedLimitKmh);
    const e = generateEvent(rng, {
      geometry: p.geometry,
      vehicleClass: vehicle.vehicleClass,
      speedKmh: vehicle.speedKmh,
      invalidShare: o.faultShare,
    });
    yield line('main-job', i + 1, e.loopA, e.loopB, p.geometry);
  }
}

function compare(beforeFile, afterFile) {
  const read = (f) =>
    new Map(
      readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const o = JSON.parse(l);
          return [`${o.set}/${o.id}`, o];
        }),
    );
  const before = read(beforeFile),
    after = read(afterFile);
  const sets = {};
  let differences = 0;
  for (const [k, b] of before) {
    const a = after.get(k);
    const s = (sets[b.set] ??= { cases: 0, sameInput: 0, sameResult: 0, sameDetail: 0 });
    s.cases++;
    if (!a) {
      differences++;
      console.log(`missing after: ${k}`);
      continue;
    }
    if (a.input !== b.input) {
      differences++;
      console.log(`input differs: ${k}`);
      continue;
    }
    s.sameInput++;
    if (a.speedKmh === b.speedKmh && a.vehicleLengthM === b.vehicleLengthM && a.code === b.code) s.sameResult++;
    else {
      differences++;
      console.log(`result differs: ${k}: ${JSON.stringify(b)} -> ${JSON.stringify(a)}`);
    }
    if (a.detail === b.detail) s.sameDetail++;
  }
  for (const [set, s] of Object.entries(sets))
    console.log(
      `${set}: ${s.cases} cases, ${s.sameInput} identical inputs, ${s.sameResult} identical results (speed, length, refusal code), ${s.sameDetail} identical refusal details`,
    );
  console.log(differences === 0 ? 'IDENTICAL' : `${differences} DIFFERENCES`);
  process.exitCode = differences === 0 ? 0 : 1;
}

if (process.argv[2] === '--compare') compare(process.argv[3], process.argv[4]);
else {
  const write = (l) => process.stdout.write(l + '\n');
  for (const l of referenceSet(1, 10_000)) write(l);
  for (const l of referenceSet(2, 10_000)) write(l);
  for (const l of mainJob()) write(l);
}
