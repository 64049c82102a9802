#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Side-by-side runs of the main job (`metroledger start`, its own devnet in a child process) for
// several builds and/or CPU sets, interleaved (A B A B ...) so that a shared, noisy machine loads
// every variant alike. Prints one line per run and a summary table: throughput, endorse→commit
// latency, CPU of the devnet process and of the load generator, CPU per transaction, load average.
//
//   node scripts/perf/compare.mjs --trees /tmp/base,. --rounds 2 --meters 1000 --seconds 10
//   node scripts/perf/compare.mjs --trees . --cpus 0,1:all --rounds 2          # scaling: 2 cores vs all
//   node scripts/perf/compare.mjs --trees . --threads default:endorse=0,ordering=off   # threads vs single-threaded
//
// --trees      comma-separated repository roots, each already built (npm install && npm run build)
// --cpus       colon-separated CPU lists for taskset (`all`: no pinning); default all
// --threads    colon-separated METROLEDGER_THREADS values for the devnet (`default`: unset); default default
// --variants   instead of the three above: `tree@threads;tree@threads…` (e.g. `/tmp/base@default;.@default;.@endorse=0,ordering=off`)
// --rounds     how many times each variant runs (default 2)
// --meters, --seconds, --rate, --ordering   passed to `metroledger start` (defaults 1000, 10, 0.76, bft)
// --extra      more `start` arguments, space-separated
// --json FILE  also write every run as JSON
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') === false ? all[i + 1] : 'true']] : acc),
      [],
    ),
);
const given = args.variants?.split(';').map((v) => {
  const at = v.lastIndexOf('@');
  return { tree: resolve(at < 0 ? v : v.slice(0, at)), cpuSet: 'all', threads: at < 0 ? 'default' : v.slice(at + 1) };
});
const trees = given !== undefined ? [...new Set(given.map((v) => v.tree))] : (args.trees ?? '.').split(',').map((t) => resolve(t));
const cpuSets = (args.cpus ?? 'all').split(':');
const threadSets = (args.threads ?? 'default').split(':');
const rounds = Number(args.rounds ?? 2);
const meters = args.meters ?? '1000';
const seconds = args.seconds ?? '10';
const rate = args.rate ?? '0.76';
const ordering = args.ordering ?? 'bft';
const extra = args.extra ? args.extra.split(' ').filter(Boolean) : [];
const TICK_MS = 10; // /proc/<pid>/stat CPU times are in clock ticks of 10 ms (USER_HZ 100)

for (const t of trees) {
  if (!existsSync(join(t, 'packages/cli/dist/main.js')))
    throw new Error(`${t} is not built (packages/cli/dist/main.js missing): npm install && npm run build there`);
}

function headOf(tree) {
  return spawnSync('git', ['-C', tree, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || '?';
}

/** CPU ms (user + system) of a process and its threads (`tid`: of that thread only), or undefined once it is gone. */
function cpuMs(pid, tid) {
  try {
    const s = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = s
      .slice(s.lastIndexOf(')') + 2)
      .trim()
      .split(/\s+/);
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

async function runOnce(tree, cpuSet, threads) {
  const data = mkdtempSync(join(tmpdir(), 'ml-compare-'));
  const dir = join(data, 'run');
  const startArgs = [
    join(tree, 'packages/cli/dist/main.js'),
    'start',
    '--meters',
    meters,
    '--seconds',
    seconds,
    '--rate',
    rate,
    '--ordering',
    ordering,
    '--data',
    dir,
    ...extra,
  ];
  const [cmd, argv] = cpuSet === 'all' ? [process.execPath, startArgs] : ['taskset', ['-c', cpuSet, process.execPath, ...startArgs]];
  const load0 = loadavg()[0];
  const t0 = performance.now();
  const env = { ...process.env };
  delete env.METROLEDGER_THREADS;
  if (threads !== 'default') env.METROLEDGER_THREADS = threads;
  const child = spawn(cmd, argv, { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // The devnet's pid is in its run file; its CPU is read until it exits (the last reading counts).
  let devnetPid;
  let devnetCpu = 0;
  let devnetMainCpu = 0;
  const threadCpu = new Map(); // the devnet's threads: tid → CPU ms
  let clientPid = child.pid;
  let clientCpu = 0;
  let loadMax = load0;
  const poll = setInterval(() => {
    if (devnetPid === undefined) {
      try {
        devnetPid = JSON.parse(readFileSync(join(dir, 'devnet.json'), 'utf8')).pid;
      } catch {}
    }
    if (devnetPid !== undefined) {
      try {
        for (const tid of readdirSync(`/proc/${devnetPid}/task`)) {
          const ms = cpuMs(devnetPid, tid);
          if (ms !== undefined) threadCpu.set(tid, ms);
        }
      } catch {}
      devnetCpu = cpuMs(devnetPid) ?? devnetCpu;
      devnetMainCpu = cpuMs(devnetPid, devnetPid) ?? devnetMainCpu; // the event-loop thread
    }
    clientCpu = cpuMs(clientPid) ?? clientCpu;
    loadMax = Math.max(loadMax, loadavg()[0]);
  }, 200);
  const code = await new Promise((r) => child.on('exit', (c) => r(c)));
  clearInterval(poll);
  const wallS = (performance.now() - t0) / 1000;
  let report;
  try {
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  } catch {
    console.error(out.slice(-3000));
    throw new Error(`run in ${tree} (cpus ${cpuSet}, threads ${threads}) failed with code ${code}`);
  }
  rmSync(data, { recursive: true, force: true });
  const t = report.traffic;
  // reports of older builds: `failed` instead of `abandoned`, no `committed`
  const abandoned = Object.values(t.abandoned ?? t.failed ?? {}).reduce((a, b) => a + b, 0);
  const committed = t.committed ?? t.measured + Object.values(t.refused ?? {}).reduce((a, b) => a + b, 0);
  const txs = committed + report.registeredMeters + 5;
  // The busiest thread bounds the devnet: with enough cores, it saturates first.
  const busiest = Math.max(0, ...threadCpu.values());
  return {
    tree,
    commit: headOf(tree),
    cpus: cpuSet,
    threads,
    code,
    wallS,
    tps: t.committedPerSecond,
    committed,
    planned: t.planned,
    abandoned,
    trafficS: t.wallSeconds,
    p50: t.serviceLatency.p50Ms,
    p99: t.serviceLatency.p99Ms,
    captureP50: t.latency.p50Ms,
    devnetCpuS: devnetCpu / 1000,
    devnetMainCpuS: devnetMainCpu / 1000,
    clientCpuS: clientCpu / 1000,
    devnetMainMsPerTx: devnetMainCpu / txs,
    devnetMsPerTx: devnetCpu / txs,
    clientMsPerTx: clientCpu / txs,
    busiestThreadMsPerTx: busiest / txs,
    coresAtSaturation: busiest > 0 ? devnetCpu / busiest : 0,
    threadsMs: [...threadCpu.values()].sort((a, b) => b - a).slice(0, 6),
    devnetCores: devnetCpu / 1000 / wallS,
    clientCores: clientCpu / 1000 / wallS,
    cpuMsPerTx: (devnetCpu + clientCpu) / txs,
    load0,
    loadMax,
  };
}

const variants = given ?? trees.flatMap((tree) => cpuSets.flatMap((cpuSet) => threadSets.map((threads) => ({ tree, cpuSet, threads }))));
console.log(
  `machine: ${cpus().length} cpus (${cpus()[0]?.model}), node ${process.version}; ${rounds} round(s) of ${variants.length} variant(s), interleaved`,
);
console.log(`main job: --meters ${meters} --seconds ${seconds} --rate ${rate} --ordering ${ordering} ${extra.join(' ')}`);
const runs = [];
const fmt = (r) =>
  `${r.commit.padEnd(9)} cpus ${r.cpus.padEnd(6)} threads ${r.threads.padEnd(8)} ${r.tps.toFixed(0).padStart(5)} tx/s  endorse→commit p50 ${(r.p50 / 1000).toFixed(2)} s p99 ${(r.p99 / 1000).toFixed(2)} s  devnet ${r.devnetCores.toFixed(2)} cores, ${r.devnetMsPerTx.toFixed(2)} ms/tx (event loop ${r.devnetMainMsPerTx.toFixed(2)}, busiest thread ${r.busiestThreadMsPerTx.toFixed(2)}: ${r.coresAtSaturation.toFixed(2)} cores when it saturates; threads ${r.threadsMs.map((ms) => (ms / 1000).toFixed(1)).join('/')} s)  client ${r.clientCores.toFixed(2)} cores, ${r.clientMsPerTx.toFixed(2)} ms/tx  abandoned ${r.abandoned}  load ${r.load0.toFixed(1)}..${r.loadMax.toFixed(1)}`;
for (let round = 0; round < rounds; round++) {
  for (const v of variants) {
    const r = await runOnce(v.tree, v.cpuSet, v.threads);
    runs.push(r);
    console.log(`round ${round + 1}: ${fmt(r)}`);
  }
}
console.log('\nsummary (mean over rounds; ratio to the first variant)');
const key = (r) => `${r.tree}|${r.cpus}|${r.threads}`;
const groups = variants.map((v) => runs.filter((r) => key(r) === `${v.tree}|${v.cpuSet}|${v.threads}`));
const mean = (xs, f) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
const first = mean(groups[0], (r) => r.tps);
console.log(
  '| build | cpus | threads | tx/s | ratio | endorse→commit p99 | devnet cores | client cores | devnet CPU ms/tx | of which event loop | busiest thread ms/tx | devnet cores when it saturates | client CPU ms/tx |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const g of groups) {
  const tps = mean(g, (r) => r.tps);
  console.log(
    `| ${g[0].commit} (${g[0].tree}) | ${g[0].cpus} | ${g[0].threads} | ${tps.toFixed(0)} | ${(tps / first).toFixed(2)} | ${(mean(g, (r) => r.p99) / 1000).toFixed(2)} s | ${mean(g, (r) => r.devnetCores).toFixed(2)} | ${mean(g, (r) => r.clientCores).toFixed(2)} | ${mean(g, (r) => r.devnetMsPerTx).toFixed(2)} | ${mean(g, (r) => r.devnetMainMsPerTx).toFixed(2)} | ${mean(g, (r) => r.busiestThreadMsPerTx).toFixed(2)} | ${mean(g, (r) => r.coresAtSaturation).toFixed(2)} | ${mean(g, (r) => r.clientMsPerTx).toFixed(2)} |`,
  );
}
if (args.json) writeFileSync(args.json, JSON.stringify(runs, null, 2) + '\n');
