// Runs every compiled test file (packages/*/dist/**/*.test.js), each in its own `node --test`
// process, a few at a time, and prints each file's output once it ends, with its wall-clock and
// CPU time (the file's processes and the child processes they waited for).
//
// Usage: node scripts/run-tests.mjs [--jobs N] [--file-timeout S] [substring filter ...]
//   --jobs N          files run at once (default: METROLEDGER_TEST_JOBS, else 2, the CI machine's cores)
//   --file-timeout S  a file still running after S seconds is killed with its child processes and
//                     counts as failed (default: METROLEDGER_TEST_FILE_TIMEOUT_S, else 900)
//
// Test files assert behaviour, not speed: none has a time limit of its own that a loaded machine
// could hit, so the only clock here is the per-file timeout that catches a hang.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const filters = [];
let jobs = Number(process.env.METROLEDGER_TEST_JOBS ?? 2);
let fileTimeoutS = Number(process.env.METROLEDGER_TEST_FILE_TIMEOUT_S ?? 900);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--jobs') jobs = Number(args[++i]);
  else if (args[i] === '--file-timeout') fileTimeoutS = Number(args[++i]);
  else filters.push(args[i]);
}
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive integer, not ${jobs}`);
if (!(fileTimeoutS > 0)) throw new Error(`--file-timeout must be a positive number of seconds, not ${fileTimeoutS}`);

const files = [];
function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.js')) files.push(p);
  }
}
for (const pkg of readdirSync('packages')) {
  const dist = join('packages', pkg, 'dist');
  try {
    walk(dist);
  } catch {
    /* package not built or no dist */
  }
}
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const cpuHook = join(dirname(fileURLToPath(import.meta.url)), 'test-cpu.cjs');
const cpuDir = mkdtempSync(join(tmpdir(), 'metroledger-test-cpu-'));
const running = new Set();
const results = [];

function runFile(file, index) {
  return new Promise((resolve) => {
    const cpuFile = join(cpuDir, `${index}.json`);
    const started = Date.now();
    // Its own process group, so that a timeout also ends the devnet processes a test started.
    const child = spawn(process.execPath, ['--require', cpuHook, '--test', '--test-reporter=spec', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error', METROLEDGER_TEST_CPU_FILE: cpuFile },
    });
    running.add(child);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, fileTimeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const wallS = (Date.now() - started) / 1000;
      let cpuS;
      try {
        cpuS = JSON.parse(readFileSync(cpuFile, 'utf8')).cpuS;
      } catch {
        cpuS = undefined;
      }
      const ok = code === 0 && !timedOut;
      const status = timedOut ? `TIMED OUT after ${fileTimeoutS} s` : ok ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`;
      const cpu = cpuS === undefined ? '' : `, ${cpuS.toFixed(1)} s CPU`;
      process.stdout.write(`\n=== ${file}: ${status} (${wallS.toFixed(1)} s${cpu})\n${out}`);
      results.push({ file, ok, timedOut, wallS, cpuS });
      resolve();
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running)
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    process.exit(130);
  });
}

const started = Date.now();
const queue = selected.map((file, index) => ({ file, index }));
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runFile(next.file, next.index);
  }),
);
rmSync(cpuDir, { recursive: true, force: true });

const failed = results.filter((r) => !r.ok);
const wallS = (Date.now() - started) / 1000;
const cpuS = results.reduce((a, r) => a + (r.cpuS ?? 0), 0);
const slowest = [...results].sort((a, b) => (b.cpuS ?? 0) - (a.cpuS ?? 0)).slice(0, 10);
console.log(
  `\n=== ${results.length} test files, ${jobs} at a time: ${results.length - failed.length} passed, ${failed.length} failed; ${wallS.toFixed(0)} s wall, ${cpuS.toFixed(0)} s CPU`,
);
console.log('most CPU:');
for (const r of slowest) console.log(`  ${(r.cpuS ?? 0).toFixed(1).padStart(7)} s CPU ${r.wallS.toFixed(1).padStart(7)} s wall  ${r.file}`);
for (const r of failed) console.log(`FAILED: ${r.file}${r.timedOut ? ' (timed out)' : ''}`);
process.exit(failed.length === 0 ? 0 : 1);
