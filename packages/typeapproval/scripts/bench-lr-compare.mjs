// SPDX-License-Identifier: Apache-2.0
// Side-by-side throughput of this LR decision against an earlier build of @metroledger/lr, on the
// same readings, interleaved (A B A B ...) so that a busy machine slows both alike. Prints the
// rates of each round and the ratio of medians.
//   node packages/typeapproval/scripts/bench-lr-compare.mjs --old /path/to/old/packages/lr/dist [--rounds 8] [--seconds 1]
// An old build: git archive <commit> packages/lr tsconfig.base.json | tar -x -C /tmp/old && (cd /tmp/old/packages/lr && npx tsc -p .)
import { createRequire } from 'node:module';
import * as lr from '@metroledger/lr';
import { generateEvent, newRng } from '@metroledger/meter';

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
const rounds = Number(arg('--rounds', 8));
const seconds = Number(arg('--seconds', 1));

const rng = newRng('bench-lr');
const geometry = { loopSpacingM: 3, loopLengthM: 2, sampleRateHz: 2000 };
const events = Array.from({ length: 64 }, () => generateEvent(rng, { geometry, scenario: 'valid', speedKmh: rng.uniform(20, 140) }));
const decideOld = old.decideSpeed
  ? (e) => old.decideSpeed({ sampleRateHz: geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry })
  : (e) => old.computeSpeed(e.loopA, e.loopB, geometry);
const decideNew = (e) => lr.decideSpeed({ sampleRateHz: geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry });

function rate(fn) {
  let n = 0,
    sink = 0;
  const start = performance.now(),
    deadline = start + seconds * 1000;
  while (performance.now() < deadline)
    for (let k = 0; k < 8; k++) {
      const r = fn(events[n++ % events.length]);
      if (r.kind === 'measurement') sink += r.speedKmh;
    }
  if (sink < 0) throw new Error('unreachable');
  return n / ((performance.now() - start) / 1000);
}
rate(decideOld);
rate(decideNew); // warm up
const a = [],
  b = [];
for (let i = 0; i < rounds; i++) {
  a.push(rate(decideOld));
  b.push(rate(decideNew));
  console.log(`round ${i + 1}: old ${a[i].toFixed(0)}/s   new ${b[i].toFixed(0)}/s`);
}
const median = (x) => {
  const s = [...x].sort((p, q) => p - q);
  return s[s.length >> 1];
};
console.log(
  `median: old ${median(a).toFixed(0)}/s (${old.LR_SOFTWARE_NAME} ${old.LR_SOFTWARE_VERSION}), new ${median(b).toFixed(0)}/s (${lr.LR_SOFTWARE_NAME} ${lr.LR_SOFTWARE_VERSION}); new/old = ${(median(b) / median(a)).toFixed(2)}`,
);
console.log(
  `readings: ${events.length} car-to-truck passages, 20-140 km/h, ${geometry.sampleRateHz} Hz, ${Math.round(events.reduce((n, e) => n + e.loopA.length, 0) / events.length)} samples per loop on average`,
);
