// SPDX-License-Identifier: Apache-2.0
// The main job end to end, at a small scale: `metroledger start` as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDevnet } from '@metroledger/devnet';

const MAIN = join(__dirname, '..', 'main.js');
const run = promisify(execFile);
/** A hang guard for the child process, not a speed target: a loaded machine makes the job slow. */
const CHILD_LIMIT_MS = 600_000;

test('the main job registers its meters, commits every reading as measured or refused, and reports it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-start-'));
  const data = join(dir, 'run');
  try {
    const { stdout } = await run(process.execPath, [MAIN, 'start', '--meters', '12', '--seconds', '3', '--data', data], {
      timeout: CHILD_LIMIT_MS,
    });
    const report = JSON.parse(await readFile(join(data, 'report.json'), 'utf8')) as {
      registeredMeters: number;
      traffic: {
        planned: number;
        submitted: number;
        committed: number;
        measured: number;
        refused: Record<string, number>;
        abandoned: Record<string, number>;
      };
    };
    assert.equal(report.registeredMeters, 12);
    const t = report.traffic;
    const refused = Object.values(t.refused).reduce((a, b) => a + b, 0);
    assert.ok(t.planned > 0);
    assert.equal(t.submitted, t.planned);
    assert.equal(t.measured + refused, t.planned, 'every reading is on the ledger, measured or refused');
    assert.equal(t.committed, t.planned);
    assert.deepEqual(t.abandoned, {});
    assert.match(stdout, /meters registered\s+12 in/);
    assert.match(stdout, new RegExp(`measurements committed\\s+${t.measured}\\b`));
    assert.match(stdout, new RegExp(`readings committed\\s+${t.committed}\\b`));
    assert.match(stdout, /abandoned\s+0\n/);
    assert.match(stdout, /throughput\s+\d+ tx\/s/);
    assert.match(stdout, /latency capture→commit\s+p50 [\d.]+ ms\s+p95 [\d.]+ ms\s+p99 [\d.]+ ms/);
    assert.ok((await stat(join(data, 'ledger'))).isDirectory());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the main job refuses bad options before it creates anything', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-start-'));
  try {
    for (const args of [
      ['--meters', '0'],
      ['--seconds', 'soon'],
      ['--ordering', 'raft'],
    ]) {
      const data = join(dir, args.join('_'));
      const err = await run(process.execPath, [MAIN, 'start', ...args, '--data', data]).then(
        () => undefined,
        (e: unknown) => e as { code: number; stderr: string },
      );
      assert.ok(err !== undefined && err.code !== 0, `start ${args.join(' ')} must fail`);
      assert.match(err.stderr, args[0] === '--ordering' ? /ordering/ : new RegExp(args[0]!));
      await assert.rejects(stat(data), 'no data directory is created');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the main job drives a network it is given, by flags and by connection profile, doing only the bootstrap steps not done yet', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-start-net-'));
  const devnet = await startDevnet({ dataDir: join(dir, 'net'), port: 0, ordering: 'solo', batch: { batchTimeoutMs: 20 } });
  try {
    const userPaths = (mspId: string, name: string) => devnet.users[mspId]!.find((u) => u.name.startsWith(`${name}@`))!;
    const owner = userPaths('CETSPMSP', 'User1');
    const nb = userPaths('InmetroMSP', 'Admin');
    const scale = ['--meters', '6', '--seconds', '3', '--speedup', '2', '--meter-prefix', 'NET'];
    const first = await run(
      process.execPath,
      [
        MAIN,
        'start',
        ...scale,
        '--data',
        join(dir, 'run1'),
        '--gateway',
        devnet.endpoint,
        '--tls-ca',
        devnet.tlsCaCertPath,
        '--msp-id',
        'CETSPMSP',
        '--cert',
        owner.certPath,
        '--key',
        owner.keyPath,
        '--notified-body-cert',
        nb.certPath,
        '--notified-body-key',
        nb.keyPath,
      ],
      { timeout: CHILD_LIMIT_MS },
    );
    assert.match(first.stdout, /running on the network given/);
    const r1 = JSON.parse(await readFile(join(dir, 'run1', 'report.json'), 'utf8')) as Report;
    assert.deepEqual(r1.bootstrap.organizations, { LaSIGEMSP: 'done', PUCPRMSP: 'done', CETSPMSP: 'done' });
    assert.equal(r1.bootstrap.lrSoftware.outcome, 'done');
    assert.equal(r1.bootstrap.meterModel, 'done');
    assert.equal(r1.registeredMeters, 6);
    assert.equal(r1.reusedMeters, 0);
    assert.equal(r1.traffic.committed, r1.traffic.planned);
    assert.deepEqual(r1.traffic.abandoned, {});
    await assert.rejects(stat(join(dir, 'run1', 'ledger')), 'no devnet of its own');

    // The same plan again, now through a connection profile: nothing to bootstrap, the meters get new keys and continue their sequences.
    const cryptoPath = (domain: string) =>
      join(devnet.dataDir, 'organizations', 'peerOrganizations', domain, 'users', `{username}@${domain}`, 'msp');
    await writeFile(
      join(dir, 'connection.yaml'),
      [
        'name: metrology-devnet',
        'client:',
        '  organization: CETSP',
        'organizations:',
        '  CETSP:',
        '    mspid: CETSPMSP',
        '    peers: [gateway]',
        `    cryptoPath: ${cryptoPath('cetsp.example.com')}`,
        '  Inmetro:',
        '    mspid: InmetroMSP',
        `    cryptoPath: ${cryptoPath('inmetro.example.com')}`,
        'peers:',
        '  gateway:',
        `    url: grpcs://${devnet.endpoint}`,
        '    tlsCACerts:',
        `      path: ${devnet.tlsCaCertPath}`,
        '',
      ].join('\n'),
    );
    await run(process.execPath, [MAIN, 'start', ...scale, '--data', join(dir, 'run2'), '--profile', join(dir, 'connection.yaml')], {
      timeout: CHILD_LIMIT_MS,
    });
    const r2 = JSON.parse(await readFile(join(dir, 'run2', 'report.json'), 'utf8')) as Report;
    assert.deepEqual(r2.bootstrap.organizations, { LaSIGEMSP: 'already', PUCPRMSP: 'already', CETSPMSP: 'already' });
    assert.equal(r2.bootstrap.lrSoftware.outcome, 'already');
    assert.equal(r2.bootstrap.meterModel, 'already');
    assert.equal(r2.reusedMeters, 6);
    assert.equal(r2.traffic.committed, r2.traffic.planned);
    assert.deepEqual(r2.traffic.abandoned, {});
  } finally {
    await devnet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

interface Report {
  registeredMeters: number;
  reusedMeters: number;
  bootstrap: { organizations: Record<string, string>; lrSoftware: { outcome: string }; meterModel: string };
  traffic: { planned: number; committed: number; abandoned: Record<string, number> };
}

test(
  "Ctrl-C (SIGINT) stops the main job with the partial report: each reading's fate, the run directory's size, exit 130",
  { timeout: 180_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metroledger-start-int-'));
    const data = join(dir, 'run');
    try {
      // 40 meters × 120 s: far from done when the signal comes
      const child = spawn(process.execPath, [MAIN, 'start', '--meters', '40', '--seconds', '120', '--ordering', 'solo', '--data', data], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // Stop once the progress shows readings done (not after a fixed time, which a loaded machine may
      // not fill): the progress bars go to stderr, a line every few seconds when it is not a terminal.
      const readingsDone = () => Math.max(0, ...[...stderr.matchAll(/rush-hour readings +\[[^\]]*\] (\d+)\//g)].map((m) => Number(m[1])));
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (readingsDone() > 0) resolve();
        });
        void exited.then(() => reject(new Error(`start exited before readings were done:\n${stdout}\n${stderr}`)));
      });
      child.kill('SIGINT');
      const code = await exited;
      assert.equal(code, 130, `exit code\n${stdout}\n${stderr}`);
      assert.match(stdout, /stopping \(Ctrl-C\)/);
      assert.match(stdout, /INTERRUPTED during the traffic, [\d.]+ s in: the partial report/);
      const report = JSON.parse(await readFile(join(data, 'report.json'), 'utf8')) as {
        interruptedIn: string;
        traffic: {
          planned: number;
          committed: number;
          fates: { committed: number; abandoned: number; inFlight: number; queued: number; notCaptured: number };
        };
      };
      assert.equal(report.interruptedIn, 'traffic');
      const f = report.traffic.fates;
      assert.equal(f.committed + f.abandoned + f.inFlight + f.queued + f.notCaptured, report.traffic.planned);
      assert.ok(f.committed > 0, 'readings committed before the stop');
      assert.ok(f.notCaptured > 0, 'vehicles still to come');
      for (const [label, n] of [
        ['committed', f.committed],
        ['abandoned', f.abandoned],
        ['in flight', f.inFlight],
        ['queued in meters', f.queued],
        ['not captured', f.notCaptured],
      ] as const) {
        assert.match(stdout, new RegExp(`\\n    ${label}\\s+${n}\\b`), label);
      }
      assert.match(stdout, new RegExp(`readings committed\\s+${report.traffic.committed}\\b`));
      const size = /data\s+(\S+) \(([\d.]+) (KiB|MiB|GiB)\)/.exec(stdout);
      assert.ok(size !== null && size[1] === data, 'the run directory and its size');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
