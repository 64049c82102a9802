// SPDX-License-Identifier: Apache-2.0
// Whether this LR build refuses single vehicles that an earlier build measured (the two-vehicle
// checks must cost no single-vehicle acceptance), and whether it measures two-vehicle events an
// earlier build measured. Both builds decide the same events, side by side; prints a Markdown table.
//   node packages/typeapproval/scripts/single-vehicle-compare.mjs --old /path/to/old/packages/lr/dist [--n 2000]
// An old build: git archive <commit> packages/lr tsconfig.base.json | tar -x -C /tmp/old && ln -s $PWD/node_modules /tmp/old/ && (cd /tmp/old/packages/lr && npx tsc -p .)
import { createRequire } from 'node:module';
import * as lr from '@metroledger/lr';
import { generateEvent, generateIndependentEvent, generateTwoVehicleEvent, newRng } from '@metroledger/meter';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};
const oldDir = arg('--old');
if (!oldDir) {
  console.error('--old <dir of an earlier @metroledger/lr dist> is required');
  process.exit(2);
}
const old = createRequire(import.meta.url)(oldDir);
const N = Number(arg('--n', 2000));
const decider = (L) =>
  L.decideSpeed
    ? (e) => L.decideSpeed({ sampleRateHz: e.geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry: e.geometry })
    : (e) => L.computeSpeed(e.loopA, e.loopB, e.geometry);
const decideOld = decider(old),
  decideNew = decider(lr);
const pct = (x, n) => (n ? `${((100 * x) / n).toFixed(2)} %` : '–');

console.log(`old: ${old.LR_SOFTWARE_NAME} ${old.LR_SOFTWARE_VERSION}; new: ${lr.LR_SOFTWARE_NAME} ${lr.LR_SOFTWARE_VERSION}\n`);
console.log(
  '| events | n | accepted, old | accepted, new | accepted by old, refused by new (codes) | refused by old, accepted by new | same speed where both accept |',
);
console.log('|---|---|---|---|---|---|---|');
function row(name, make, n) {
  let accOld = 0,
    accNew = 0,
    lost = 0,
    gained = 0,
    same = 0,
    both = 0;
  const lostCodes = {};
  for (let i = 0; i < n; i++) {
    const e = make();
    const a = decideOld(e),
      b = decideNew(e);
    const ao = a.kind === 'measurement',
      bo = b.kind === 'measurement';
    if (ao) accOld++;
    if (bo) accNew++;
    if (ao && !bo) {
      lost++;
      lostCodes[b.code] = (lostCodes[b.code] ?? 0) + 1;
    }
    if (!ao && bo) gained++;
    if (ao && bo) {
      both++;
      if (a.speedKmh === b.speedKmh) same++;
    }
  }
  const codes = Object.entries(lostCodes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `| ${name} | ${n} | ${pct(accOld, n)} | ${pct(accNew, n)} | ${lost}${codes ? ` (${codes})` : ''} | ${gained} | ${pct(same, both)} |`,
  );
}
const p = newRng('single-vehicle-compare:project');
row('single, project generator (reference-set mix)', () => generateEvent(p, { scenario: 'valid' }), N);
for (const a of [-8, 4]) {
  const r = newRng(`single-vehicle-compare:${a}`);
  // A motion the vehicle cannot keep over the loops (it would stop) is drawn again.
  const make = () => {
    for (;;) {
      try {
        return generateEvent(r, { scenario: 'valid', accelerationMs2: a, speedKmh: r.uniform(a < 0 ? 70 : 20, 200) });
      } catch {
        /* draw again */
      }
    }
  };
  row(`single, project generator, ${a} m/s² constant`, make, Math.round(N / 4));
}
for (const motion of ['steady', 'hard-braking', 'hard-acceleration']) {
  const r = newRng(`single-vehicle-compare:independent:${motion}`);
  row(`single, independent generator, ${motion}`, () => generateIndependentEvent(r, { motion }), Math.round(N / 4));
}
const t = newRng('single-vehicle-compare:two');
row('two vehicles, project generator', () => generateTwoVehicleEvent(t), Math.round(N / 2));
const ti = newRng('single-vehicle-compare:two-independent');
row('two vehicles, independent generator', () => generateIndependentEvent(ti, { twoVehicles: true }), Math.round(N / 4));
