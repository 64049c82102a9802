// SPDX-License-Identifier: Apache-2.0
// The two-vehicle study behind docs/LR-ACCURACY.md: how the LR decision treats two vehicles in the
// detection zone across speed ratios, gaps, classes and signal strengths, on the project's signal
// generator and on the independent one (other physics), and whether single vehicles that brake
// or accelerate hard are ever taken for two. Prints Markdown tables. Deterministic from the seeds.
//   npx tsc -b && node packages/typeapproval/scripts/two-vehicles-study.mjs [--n 4000] [--n-independent 1000]
import { decideSpeed, withinMpe } from '@metroledger/lr';
import { generateEvent, generateIndependentEvent, generateTwoVehicleEvent, newRng, VEHICLE_CLASSES } from '@metroledger/meter';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const N = arg('--n', 4000);
const NI = arg('--n-independent', 1000);
const decide = (e) => decideSpeed({ sampleRateHz: e.geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry: e.geometry });
const pct = (x, n) => (n ? `${((100 * x) / n).toFixed(1)} %` : '–');

function table(title, rows) {
  console.log(
    `\n**${title}**\n\n| group | events | refused as TWO_VEHICLES | as INCONSISTENT_EDGES | other refusal | accepted |\n|---|---|---|---|---|---|`,
  );
  for (const [k, b] of Object.entries(rows))
    console.log(`| ${k} | ${b.n} | ${pct(b.two, b.n)} | ${pct(b.inc, b.n)} | ${pct(b.other, b.n)} | ${b.acc} |`);
}
function tally(into, key, r) {
  const b = (into[key] ??= { n: 0, two: 0, inc: 0, other: 0, acc: 0 });
  b.n++;
  if (r.kind === 'measurement') b.acc++;
  else if (r.code === 'TWO_VEHICLES') b.two++;
  else if (r.code === 'INCONSISTENT_EDGES') b.inc++;
  else b.other++;
}
function twoVehicleStudy(name, make, n) {
  const all = {},
    byRatio = {},
    byGap = {},
    byPair = {},
    byShare = {};
  const t0 = performance.now();
  const accepted = [];
  for (let i = 0; i < n; i++) {
    const e = make();
    const [v1, v2] = e.truth.vehicles;
    const ratio = Math.max(v1.speedKmh, v2.speedKmh) / Math.min(v1.speedKmh, v2.speedKmh);
    const share = Math.min(v1.peakCounts, v2.peakCounts) / Math.max(v1.peakCounts, v2.peakCounts);
    const L = e.geometry.loopLengthM;
    const r = decide(e);
    if (r.kind === 'measurement') {
      const stronger = v1.peakCounts >= v2.peakCounts ? v1 : v2;
      accepted.push({ share, ratio, off: Math.abs(r.speedKmh - stronger.speedKmh), mpe: !withinMpe(r.speedKmh, stronger.speedKmh) });
    }
    tally(all, 'all', r);
    tally(byRatio, ratio < 1.2 ? 'speeds 12–20 % apart' : ratio < 1.4 ? '20–40 % apart' : '40 %–2× apart', r);
    tally(
      byGap,
      e.truth.gapM < L
        ? 'gap < loop length (both over loop A)'
        : e.truth.gapM < e.geometry.loopSpacingM
          ? 'loop length ≤ gap < spacing'
          : 'gap ≥ spacing',
      r,
    );
    const classes = [v1.vehicleClass, v2.vehicleClass];
    tally(
      byPair,
      classes.includes('motorcycle')
        ? 'a motorcycle involved'
        : classes.some((c) => c === 'bus' || c === 'truck')
          ? 'a bus or truck, no motorcycle'
          : 'cars and vans',
      r,
    );
    tally(byShare, share < 0.05 ? 'weaker signal < 5 % of the stronger' : share < 0.1 ? '5–10 %' : share < 0.2 ? '10–20 %' : '≥ 20 %', r);
  }
  console.log(`\n### ${name}: ${n} two-vehicle events (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  table('All', all);
  table('By speed difference', byRatio);
  table('By gap (first rear to second front when the second reaches loop A)', byGap);
  table('By vehicle classes', byPair);
  table("By the weaker vehicle's signal", byShare);
  if (accepted.length > 0) {
    console.log(
      `\nAccepted (a speed given): ${accepted.length} of ${n} (${pct(accepted.length, n)}); the weaker vehicle's signal at most ${pct(Math.max(...accepted.map((a) => a.share)), 1)} of the stronger's; the speed given is the stronger vehicle's within ${Math.max(...accepted.map((a) => a.off)).toFixed(2)} km/h (${accepted.filter((a) => a.mpe).length} outside its MPE).`,
    );
  }
}

const ref = newRng('two-vehicles-study:reference');
twoVehicleStudy('Project generator', () => generateTwoVehicleEvent(ref), N);
const ind = newRng('two-vehicles-study:independent');
twoVehicleStudy('Independent generator (other physics)', () => generateIndependentEvent(ind, { twoVehicles: true }), NI);

// Single vehicles braking or accelerating hard: never taken for two.
console.log(
  '\n### Single vehicles braking or accelerating hard\n\n| generator | motion | events | accepted | refused as TWO_VEHICLES | other refusals | accepted within ±1 km/h / 1 % | outside the MPE | largest error (km/h) |\n|---|---|---|---|---|---|---|---|---|',
);
const hard = newRng('two-vehicles-study:hard');
for (const a of [-8, -6, -4, 2.5, 4]) {
  const s = { n: 0, acc: 0, two: 0, other: 0, within: 0, max: 0, outMpe: 0 };
  for (let i = 0; i < Math.round(N / 8); i++) {
    const vehicleClass = hard.pick(VEHICLE_CLASSES);
    const speedKmh = a < -5 ? hard.uniform(70, 200) : a < 0 ? hard.uniform(50, 200) : hard.uniform(20, 200);
    let e;
    try {
      e = generateEvent(hard, { vehicleClass, speedKmh, accelerationMs2: a, scenario: 'valid' });
    } catch {
      continue;
    }
    const r = decide(e);
    s.n++;
    if (r.kind === 'measurement') {
      s.acc++;
      const err = Math.abs(r.speedKmh - e.truth.speedKmh);
      s.max = Math.max(s.max, err);
      if (err <= Math.max(1, 0.01 * e.truth.speedKmh) + 1e-9) s.within++;
      if (!withinMpe(r.speedKmh, e.truth.speedKmh)) s.outMpe++;
    } else if (r.code === 'TWO_VEHICLES') s.two++;
    else s.other++;
  }
  console.log(
    `| project | ${a} m/s² constant | ${s.n} | ${pct(s.acc, s.n)} | ${s.two} | ${s.other} | ${pct(s.within, s.acc)} | ${s.outMpe} | ${s.max.toFixed(2)} |`,
  );
}
for (const motion of ['steady', 'hard-braking', 'hard-acceleration']) {
  const s = { n: 0, acc: 0, two: 0, other: 0, within: 0, max: 0, outMpe: 0 };
  const codes = {};
  for (let i = 0; i < Math.round(NI / 2); i++) {
    const e = generateIndependentEvent(ind, { motion });
    const r = decide(e);
    s.n++;
    if (r.kind === 'measurement') {
      s.acc++;
      const err = Math.abs(r.speedKmh - e.truth.speedKmh);
      s.max = Math.max(s.max, err);
      if (err <= Math.max(1, 0.01 * e.truth.speedKmh) + 1e-9) s.within++;
      if (!withinMpe(r.speedKmh, e.truth.speedKmh)) s.outMpe++;
    } else {
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      if (r.code === 'TWO_VEHICLES') s.two++;
      else s.other++;
    }
  }
  console.log(
    `| independent | ${motion}${motion === 'steady' ? '' : ' (starting at a random moment: jerk)'} | ${s.n} | ${pct(s.acc, s.n)} | ${s.two} | ${s.other} (${Object.entries(
      codes,
    )
      .filter(([k]) => k !== 'TWO_VEHICLES')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}) | ${pct(s.within, s.acc)} | ${s.outMpe} | ${s.max.toFixed(2)} |`,
  );
}
