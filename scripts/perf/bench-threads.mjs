#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// One `metroledger bench …` command run with several devnet thread settings (METROLEDGER_THREADS),
// interleaved (A B A B …) so that a shared, noisy machine loads every variant alike. Each run
// starts its own devnet process; prints each point of each run and a summary: throughput,
// readings/s, latency, devnet and load-generator cores, and the bench's ledger check.
//
//   node scripts/perf/bench-threads.mjs --rounds 2 -- bench sweep --ordering bft --clients 400
//   node scripts/perf/bench-threads.mjs --threads default:endorse=0,ordering=off -- bench open-loop --ordering bft --rates 400
//
// --threads  colon-separated METROLEDGER_THREADS values (`default`: unset; `single`: endorse=0,ordering=off)
//            default default:single
// --rounds   how many times each variant runs (default 2)
// --json     also write every point as JSON
// after --   the metroledger command line (the script adds --out)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const sep = process.argv.indexOf('--');
if (sep < 0) throw new Error('usage: bench-threads.mjs [--threads a:b] [--rounds n] [--json file] -- bench <command> [options]');
const own = process.argv.slice(2, sep);
const command = process.argv.slice(sep + 1);
const args = Object.fromEntries(own.reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const SINGLE = 'endorse=0,ordering=off';
const variants = (args.threads ?? 'default:single').split(':').map((t) => (t === 'single' ? SINGLE : t));
const rounds = Number(args.rounds ?? 2);
const root = resolve(new URL('../..', import.meta.url).pathname);
const main = join(root, 'packages/cli/dist/main.js');
const commit = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();

function parseCsv(text) {
  const [head, ...rows] = text.trim().split('\n');
  const names = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [names[i], v])));
}

async function runOnce(threads) {
  const out = mkdtempSync(join(tmpdir(), 'ml-bench-threads-'));
  const env = { ...process.env };
  delete env.METROLEDGER_THREADS;
  if (threads !== 'default') env.METROLEDGER_THREADS = threads;
  const load0 = loadavg()[0];
  const child = spawn(process.execPath, [main, ...command, '--out', out], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const code = await new Promise((r) => child.on('exit', (c) => r(c)));
  let points;
  try {
    points = parseCsv(readFileSync(join(out, 'results.csv'), 'utf8'));
  } catch {
    console.error(log.slice(-3000));
    throw new Error(`bench with threads ${threads} failed (code ${code})`);
  }
  rmSync(out, { recursive: true, force: true });
  return points.map((p) => ({ threads, code, load0, ...p }));
}

console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model}), node ${process.version}; commit ${commit}`);
console.log(`command: metroledger ${command.join(' ')}; ${rounds} round(s) of ${variants.length} thread setting(s), interleaved`);
const all = [];
const fmt = (p) =>
  `threads ${p.threads.padEnd(22)} ${p.mode} ${p.ordering} clients ${p.clients} offered ${p.offered_rate || '-'} batch ${p.batch_size || '-'}: ` +
  `${p.throughput_tps} tx/s, ${p.readings_per_s} readings/s, p50 ${p.latency_p50_ms} ms p99 ${p.latency_p99_ms} ms, ` +
  `devnet ${p.devnet_cpu_cores} cores, load generator ${p.loadgen_cpu_cores} cores, failed ${p.failed}, ledger ${p.ledger_ok}, load ${p.load0.toFixed(1)}`;
for (let round = 0; round < rounds; round++) {
  for (const threads of variants) {
    const points = await runOnce(threads);
    for (const p of points) console.log(`round ${round + 1}: ${fmt(p)}`);
    all.push(...points);
  }
}
console.log('\nsummary (mean over rounds)');
console.log('| threads | point | tx/s | readings/s | p50 ms | p99 ms | devnet cores | load generator cores | ledger check |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
const pointKey = (p) =>
  `${p.mode} ${p.ordering} clients ${p.clients}${p.offered_rate ? ` @ ${p.offered_rate}/s` : ''}${p.batch_size ? ` batch ${p.batch_size}` : ''}`;
const mean = (xs, f) => xs.reduce((a, x) => a + Number(x[f]), 0) / xs.length;
for (const threads of variants) {
  for (const key of [...new Set(all.map(pointKey))]) {
    const g = all.filter((p) => p.threads === threads && pointKey(p) === key);
    if (g.length === 0) continue;
    console.log(
      `| ${threads} | ${key} | ${mean(g, 'throughput_tps').toFixed(0)} | ${mean(g, 'readings_per_s').toFixed(0)} | ${mean(g, 'latency_p50_ms').toFixed(0)} | ${mean(g, 'latency_p99_ms').toFixed(0)} | ${mean(g, 'devnet_cpu_cores').toFixed(2)} | ${mean(g, 'loadgen_cpu_cores').toFixed(2)} | ${g.every((p) => p.ledger_ok === 'yes') ? 'ok' : 'FAILED'} |`,
    );
  }
}
if (args.json) writeFileSync(args.json, JSON.stringify(all, null, 2) + '\n');
