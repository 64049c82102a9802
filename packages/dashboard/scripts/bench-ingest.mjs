// SPDX-License-Identifier: Apache-2.0
// What following a channel costs the process that serves the dashboard: per transaction, the
// decode and model update, and packages/surveil's per-block collection; per recompute, the
// statistics over the readings held. Blocks are forged in-process with the real chaincodes.
// Usage (after npm run build): node packages/dashboard/scripts/bench-ingest.mjs [readings] [meters] [perBlock]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ledgerDirectorySource, memorySource } = require('@metroledger/audit');
const { ForgedLedger } = require('@metroledger/audit/testing/forge');
const { IdentityDeserializer } = require('@metroledger/identity');
const { collectMeasurements } = require('@metroledger/surveil');
// this package's own internals (the decoder and the model are not its public surface), as built
const { decodeDashboardBlock } = require('../dist/decode.js');
const { DashboardModel } = require('../dist/model.js');
const { dashboardLimits } = require('../dist/limits.js');

const [readings = 3000, meterCount = 100, perBlock = 250] = process.argv.slice(2).map(Number);
const root = await mkdtemp(join(tmpdir(), 'metroledger-dashboard-bench-'));
try {
  const t0 = Date.now();
  const f = await ForgedLedger.create(root);
  const meters = Array.from({ length: meterCount }, (_, i) => f.newMeter(`SP-${String(i + 1).padStart(4, '0')}`));
  for (const [i, m] of meters.entries()) await f.registerMeter(m, { lat: -23.5 - i * 0.001, lon: -46.6 - i * 0.001 });
  await f.cut();
  for (let k = 0; k < readings; k++) {
    await f.submit(f.reading(meters[k % meterCount], { speedKmh: 30 + (k % 60) }));
    if ((k + 1) % perBlock === 0) await f.cut();
  }
  if (readings % perBlock !== 0) await f.cut();
  await f.close();
  const blocks = [];
  for await (const b of ledgerDirectorySource(root).blocks(0)) blocks.push(b.bytes);
  const txs = blocks.reduce((n, b) => n + decodeDashboardBlock(b, new IdentityDeserializer()).txs.length, 0);
  console.log(
    `Node ${process.version}, ${availableParallelism()} cores; ${blocks.length} blocks, ${txs} transactions (${readings} readings of ${meterCount} meters) forged in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // CPU time of this process (µs), not wall time: on a shared machine the wall clock measures the neighbours.
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const ingest = () => {
    const model = new DashboardModel({ limits: dashboardLimits(), title: 'b', source: 'bench', channel: 'metrology', nowMs: Date.now() });
    const ids = new IdentityDeserializer({ maxEntries: 256 });
    const s = cpu();
    for (const b of blocks) model.ingest(decodeDashboardBlock(b, ids), b, { live: true, arrivedMs: Date.now() });
    return { model, us: cpu() - s };
  };
  const collect = async (model) => {
    const s = cpu();
    for (const b of blocks) model.addSurveilData(await collectMeasurements(memorySource([b])));
    return cpu() - s;
  };
  // Rounds of all three, one after the other: each figure is the median of its five rounds.
  const rounds = { ingest: [], collect: [], stats: [] };
  for (let r = 0; r < 5; r++) {
    const { model, us } = ingest();
    rounds.ingest.push(us / txs);
    rounds.collect.push((await collect(model)) / txs);
    const s = cpu();
    model.recomputeStats(Date.now());
    rounds.stats.push((cpu() - s) / 1e3);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perTx = median(rounds.ingest) + median(rounds.collect);
  console.log(
    `decode + model update:       ${median(rounds.ingest).toFixed(1)} µs CPU per transaction (median of 5 rounds: ${rounds.ingest.map((x) => x.toFixed(1)).join(', ')})`,
  );
  console.log(
    `surveil collection:          ${median(rounds.collect).toFixed(1)} µs CPU per transaction (${rounds.collect.map((x) => x.toFixed(1)).join(', ')})`,
  );
  console.log(
    `statistics over ${readings} readings: ${median(rounds.stats).toFixed(0)} ms CPU per recompute (${rounds.stats.map((x) => x.toFixed(0)).join(', ')}); at most once per max(2 s, 20 x its duration)`,
  );
  console.log(`following 255 tx/s (the main job's rate) costs ${((perTx * 255) / 1e4).toFixed(1)} % of one core, plus the statistics`);
} finally {
  await rm(root, { recursive: true, force: true });
}
