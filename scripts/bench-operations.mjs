// SPDX-License-Identifier: Apache-2.0
// What the operations view costs the devnet: throughput with metrics alone, with metrics and a
// structured log (pino, JSON to /dev/null), and without either, on the same devnet, interleaved in
// one run on this machine, the order rotating each round (shared machines are noisy: compare the
// ratios within a round, not the figures across rounds). Besides throughput it gives the process's
// CPU time per transaction (devnet and client share the process), which a busy machine disturbs
// far less than wall-clock throughput.
// Usage: npm run build && node scripts/bench-operations.mjs [--rounds 3] [--txs 400] [--concurrency 16]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { startDevnet } = require('@metroledger/devnet');
const { connectAs } = require('@metroledger/devnet/testing/governance');
const pino = require('pino');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    txs: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '16' },
  },
});
const rounds = Number(values.rounds);
const txs = Number(values.txs);
const concurrency = Number(values.concurrency);
const KV = [
  {
    name: 'kv',
    version: '1.0',
    module: join(process.cwd(), 'packages/devnet/dist/testing/kv.js'),
    endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    installedOn: ['LaSIGEMSP', 'PUCPRMSP'],
  },
];

const ARMS = {
  neither: { metrics: false, log: false },
  metrics: { metrics: true, log: false },
  'metrics + log': { metrics: true, log: true },
};

async function once(arm) {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-opsbench-'));
  const logger = arm.log ? pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true })) : undefined;
  const devnet = await startDevnet({ dataDir: dir, chaincodes: KV, metrics: arm.metrics, ...(logger !== undefined && { logger }) });
  const conn = await connectAs(devnet, 'CETSPMSP');
  try {
    const kv = conn.gateway.getNetwork('metrology').getContract('kv');
    let next = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < txs) {
          const i = next++;
          await kv.submitTransaction('put', `k${i}`, 'v'.repeat(200));
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    if (arm.metrics) await fetch(`${devnet.operationsEndpoint}/metrics`).then((r) => r.text());
    return { rate: txs / seconds, cpuUsPerTx: (used.user + used.system) / txs };
  } finally {
    conn.close();
    await devnet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const names = Object.keys(ARMS);
const rates = Object.fromEntries(names.map((n) => [n, []]));
const cpus = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  // the order rotates, so that no arm always runs first or last
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) {
    const { rate, cpuUsPerTx } = await once(ARMS[name]);
    rates[name].push(rate);
    cpus[name].push(cpuUsPerTx);
    console.log(`round ${r + 1}: ${name.padEnd(13)} ${rate.toFixed(1)} tx/s, ${(cpuUsPerTx / 1000).toFixed(2)} ms CPU per transaction`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const name of names.slice(1)) {
  const ratios = rates[name].map((x, i) => x / rates.neither[i]);
  console.log(
    `${name} / neither, throughput: per round ${ratios.map((x) => x.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(3)}, mean ${mean(ratios).toFixed(3)}`,
  );
  const cpuRatios = cpus[name].map((x, i) => x / cpus.neither[i]);
  console.log(
    `${name} / neither, CPU per transaction: per round ${cpuRatios.map((x) => x.toFixed(2)).join(' ')}; median ${median(cpuRatios).toFixed(3)}, mean ${mean(cpuRatios).toFixed(3)}`,
  );
}
console.log(
  `means: ${names.map((n) => `${n} ${mean(rates[n]).toFixed(1)} tx/s, ${(mean(cpus[n]) / 1000).toFixed(2)} ms CPU/tx`).join('; ')} (${txs} transactions, ${concurrency} in flight, ${rounds} rounds, Node ${process.version})`,
);
