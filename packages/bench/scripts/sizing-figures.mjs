// SPDX-License-Identifier: Apache-2.0
// The devnet's sizing figures (packages/bench/src/sizing/figures.ts, DEVNET_MEASURED), measured
// in one run: `metroledger bench endorse` (CPU per endorsement of one peer) and a closed-loop
// `metroledger bench sweep` at a modest load on solo and BFT (the devnet process's and the load
// generator's CPU per committed reading; closed loop, so what the window counts is what it paid for).
//
// Usage (after `npm run build`):
//   node packages/bench/scripts/sizing-figures.mjs [--out DIR] [--clients 16] [--duration 30]
// Prints the measurements as figures.ts takes them, with the machine's load average before and after.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench-results/sizing' },
    clients: { type: 'string', default: '16' },
    duration: { type: 'string', default: '30' },
  },
});
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const cli = join(import.meta.dirname, '..', '..', 'cli', 'dist', 'main.js');
const run = (...args) =>
  execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' } });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const before = load();
run('bench', 'endorse', '--out', join(out, 'endorse.json'), '--duration', values.duration === '30' ? '10' : values.duration);
run(
  'bench',
  'sweep',
  '--ordering',
  'solo,bft',
  '--clients',
  values.clients,
  '--warmup',
  '5',
  '--duration',
  values.duration,
  '--expected-tps',
  '100',
  '--out',
  join(out, 'sweep'),
);
const endorse = JSON.parse(readFileSync(join(out, 'endorse.json'), 'utf8'));
const sweep = JSON.parse(readFileSync(join(out, 'sweep', 'results.json'), 'utf8'));
const per = (ordering, key) => {
  const p = sweep.points.find((x) => x.ordering === ordering);
  return p[key].cpuMs / p.committed;
};
const m = {
  endorseMs: +endorse.best.cpuMsPerEndorsement.toFixed(3),
  soloMs: +per('solo', 'devnetCpu').toFixed(2),
  bftMs: +per('bft', 'devnetCpu').toFixed(2),
  clientMs: +((per('solo', 'loadCpu') + per('bft', 'loadCpu')) / 2).toFixed(2),
};
console.log(`\nload average before: ${before}; after: ${load()}`);
console.log(
  `endorse: ${endorse.best.throughputPerS.toFixed(0)} endorsements/s at ${endorse.best.concurrency} in flight, p50 ${endorse.best.latency.p50Ms.toFixed(2)} ms, p99 ${endorse.best.latency.p99Ms.toFixed(2)} ms`,
);
for (const p of sweep.points)
  console.log(
    `sweep ${p.ordering}: ${p.throughputTps.toFixed(1)} tx/s, ${p.committed} committed, devnet ${p.devnetCpu.cores.toFixed(2)} cores`,
  );
console.log(`DEVNET_MEASURED: ${JSON.stringify(m)}`);
