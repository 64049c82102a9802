// SPDX-License-Identifier: Apache-2.0
// The built `metroledger` command: `devnet up` serves the live dashboard and prints its URL, and
// `metroledger dashboard --devnet DIR` serves the same view through the gateway and Deliver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFile, startDevnetProcess, type DevnetProcess } from '@metroledger/devnet';
import type { Sections } from '@metroledger/dashboard';

const MAIN = join(__dirname, '..', 'main.js');
/** Polling limits: hang guards, not speed targets (a loaded machine is slow). */
const WAIT_MS = 300_000;
let root: string;
let devnet: DevnetProcess;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-dashboard-cli-'));
  devnet = await startDevnetProcess({ cliMain: MAIN, dataDir: join(root, 'net') });
});

after(async () => {
  await devnet?.stop();
  await rm(root, { recursive: true, force: true });
});

async function snapshot(url: string): Promise<Sections> {
  const res = await fetch(new URL('api/snapshot', url));
  assert.equal(res.status, 200);
  return (await res.json()) as Sections;
}

/** Polls the dashboard until `ok` holds of its sections (it reads the channel config after it starts following); it is a real process. */
async function until(url: string, ok: (s: Sections) => boolean, what: string): Promise<Sections> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const s = await snapshot(url);
    if (ok(s)) return s;
    if (Date.now() > deadline) assert.fail(`${what} within ${WAIT_MS / 1000} s: ${JSON.stringify(s.network)} ${JSON.stringify(s.status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const CHANNEL_ORGS = ['CETSPMSP', 'InmetroMSP', 'LaSIGEMSP', 'OrdererMSP', 'PUCPRMSP'];
const orgsOf = (s: Sections): string[] => s.network.orgs.map((o) => o.mspId).sort();

/** The dashboard's URL from the run file (written again once the dashboard listens, after the devnet is ready); polled: the devnet is a real process. */
async function dashboardUrl(): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const url = (await readRunFile(devnet.dataDir))?.dashboardUrl;
    if (url !== undefined) return url;
    if (Date.now() > deadline) assert.fail(`no dashboardUrl in the run file: ${devnet.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('devnet up serves the dashboard: its URL is printed and in the run file, and it shows the channel', async () => {
  const url = await dashboardUrl();
  assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const printed = new RegExp(`dashboard: +${url.replace(/[.:/]/g, '\\$&')}`);
  for (const deadline = Date.now() + WAIT_MS; !printed.test(await readFile(join(devnet.dataDir, 'devnet.log'), 'utf8'));) {
    if (Date.now() > deadline) assert.fail(`devnet up did not print the dashboard URL ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = await fetch(url);
  assert.match(await page.text(), /<nav class="tabs"/);
  const s = await until(url, (x) => orgsOf(x).length === 5 && x.network.health[0]?.status === 'OK', 'the channel organizations and health');
  assert.deepEqual(orgsOf(s), CHANNEL_ORGS);
  assert.equal(s.network.ordering.type, 'solo');
  assert.equal(s.status.follow.state, 'live');
  // `devnet status` names it too
  const status = spawnSync(process.execPath, [MAIN, 'devnet', 'status', '--data', devnet.dataDir, '--json'], { encoding: 'utf8' });
  assert.equal(JSON.parse(status.stdout).dashboardUrl, url);
});

test('it answers only as 127.0.0.1 or localhost (no DNS rebinding), and only GET', async () => {
  const url = new URL(await dashboardUrl());
  const ask = (host: string, method = 'GET'): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: url.port, path: '/api/snapshot', method, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await ask(`localhost:${url.port}`), 200);
  assert.equal(await ask(`attacker.example:${url.port}`), 421);
  assert.equal(await ask(`127.0.0.1:${url.port}`, 'POST'), 405);
  // a drill-down it cannot answer says why
  const tx = await fetch(new URL(`api/tx/${'0'.repeat(64)}`, url));
  assert.equal(tx.status, 404);
  assert.match(((await tx.json()) as { error: string }).error, /NOT_FOUND: transaction 0{64} is not among the last 100000 transactions/);
  const block = await fetch(new URL('api/block/999999', url));
  assert.equal(block.status, 404);
  assert.match(((await block.json()) as { error: string }).error, /NOT_FOUND: block 999999 is not committed yet/);
  assert.equal((await fetch(new URL('app/../../package.json', url))).status, 404);
});

test('metroledger dashboard --devnet DIR: the same view through the gateway and Deliver, stopped by SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN, 'dashboard', '--devnet', devnet.dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + WAIT_MS;
    while (!/dashboard: http:\/\/127\.0\.0\.1:\d+\//.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`no URL printed: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
    assert.match(out, /as InmetroMSP/);
    const s = await until(
      url,
      (x) => orgsOf(x).length === 5 && x.network.health.some((h) => h.name === 'devnet' && h.status === 'OK'),
      'the channel organizations and the devnet health',
    );
    assert.deepEqual(orgsOf(s), CHANNEL_ORGS);
    assert.equal(s.governance.audit.state, 'none');
    assert.match(s.governance.audit.message ?? '', /metroledger audit --json > .*audit-report\.json/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, err);
});

test('a bad --port is refused before anything starts', () => {
  const r = spawnSync(process.execPath, [MAIN, 'dashboard', '--devnet', devnet.dataDir, '--port', '70000'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--port must be an integer 0\.\.65535, not 70000/);
});
