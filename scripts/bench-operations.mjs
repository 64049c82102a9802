// SPDX-License-Identifier: Apache-2.0
// What the operations view costs the devnet: throughput with metrics and a structured log (pino,
// JSON to /dev/null) against the same devnet without either, interleaved A B A B in one run on
// this machine (shared machines are noisy: compare the ratio, not the figures).
// Usage: npm run build && node scripts/bench-operations.mjs [--rounds 2] [--txs 400] [--concurrency 16]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { startDevnet } = require('../packages/devnet/dist/index.js');
const { connectAs } = require('../packages/devnet/dist/testing/governance.js');
const pino = require('pino');

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, txs: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '16' } } });
const rounds = Number(values.rounds);
const txs = Number(values.txs);
const concurrency = Number(values.concurrency);
const KV = [{ name: 'kv', version: '1.0', module: join(process.cwd(), 'packages/devnet/dist/testing/kv.js'), endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')", installedOn: ['LaSIGEMSP', 'PUCPRMSP'] }];

async function once(withOperations) {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-opsbench-'));
  const logger = withOperations ? pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true })) : undefined;
  const devnet = await startDevnet({ dataDir: dir, chaincodes: KV, metrics: withOperations, ...(logger !== undefined && { logger }) });
  const conn = await connectAs(devnet, 'CETSPMSP');
  try {
    const kv = conn.gateway.getNetwork('metrology').getContract('kv');
    let next = 0;
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < txs) {
        const i = next++;
        await kv.submitTransaction('put', `k${i}`, 'v'.repeat(200));
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    if (withOperations) await fetch(`${devnet.operationsEndpoint}/metrics`).then((r) => r.text());
    return txs / seconds;
  } finally {
    conn.close();
    await devnet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const results = { with: [], without: [] };
for (let r = 0; r < rounds; r++) {
  for (const withOperations of r % 2 === 0 ? [true, false] : [false, true]) {
    const rate = await once(withOperations);
    (withOperations ? results.with : results.without).push(rate);
    console.log(`round ${r + 1}: ${withOperations ? 'metrics + log' : 'neither      '} ${rate.toFixed(1)} tx/s`);
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`mean: with ${mean(results.with).toFixed(1)} tx/s, without ${mean(results.without).toFixed(1)} tx/s, ratio ${(mean(results.with) / mean(results.without)).toFixed(3)} (${txs} transactions, ${concurrency} in flight, ${rounds} rounds, Node ${process.version})`);
