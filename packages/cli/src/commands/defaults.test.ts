// SPDX-License-Identifier: Apache-2.0
// One data directory everywhere: `start` runs on the default one that `audit`, `surveil`, the
// network commands and `devnet` read, says how to audit and serve its run, and keeps a previous
// devnet; the hints a devnet prints carry its --data and --port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFile, startDevnetProcess } from '@metroledger/devnet';

const MAIN = join(__dirname, '..', 'main.js');
const run = (cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('network commands default to the devnet of .metroledger/devnet and say how to start it', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'metroledger-defaults-'));
  try {
    for (const args of [
      ['meter', 'list'],
      ['org', 'list'],
      ['lr', 'list'],
    ]) {
      const r = run(cwd, ...args);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /CONNECTION_FAILED: no running devnet recorded in \S+\.metroledger\/devnet \(the default; .*start it with `metroledger devnet up`/,
        args.join(' '),
      );
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test(
  'start runs on the default data directory, prints how to audit and serve it, and audit reads it without flags',
  { timeout: 300_000 },
  () => {
    const cwd = mkdtempSync(join(tmpdir(), 'metroledger-defaults-'));
    try {
      const first = run(cwd, 'start', '--meters', '2', '--seconds', '2', '--ordering', 'solo');
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /audit it\s+metroledger audit --html audit\.html\n/);
      assert.match(first.stdout, /surveil it\s+metroledger surveil --html surveil\.html\n/);
      assert.match(first.stdout, /serve it again\s+metroledger devnet up --ordering solo /);
      assert.ok(existsSync(join(cwd, '.metroledger', 'devnet', 'ledger')));

      const audit = run(cwd, 'audit', '--quiet', '--json');
      assert.equal(audit.code, 0, audit.stderr);
      const report = JSON.parse(audit.stdout) as { verdict: string; meters: number };
      assert.equal(report.verdict, 'PASS');
      assert.equal(report.meters, 2);

      // a second run keeps the first one's devnet under .metroledger/runs/
      const second = run(cwd, 'start', '--meters', '2', '--seconds', '1', '--ordering', 'solo');
      assert.equal(second.code, 0, second.stderr);
      const kept = /kept the previous devnet in (\S+)/.exec(second.stdout)?.[1];
      assert.ok(kept !== undefined && kept.includes(join('.metroledger', 'runs')), second.stdout);
      assert.ok(existsSync(join(kept, 'ledger')) && existsSync(join(kept, 'report.json')));
      assert.equal(readdirSync(join(cwd, '.metroledger', 'runs')).length, 1);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  },
);

test(
  "a devnet's hints and run file carry its --data and --port, and devnet status finds its health service",
  { timeout: 180_000 },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'metroledger-hints-'));
    const dataDir = join(root, 'my net');
    const devnet = await startDevnetProcess({ cliMain: MAIN, dataDir });
    try {
      // the last line comes after the dashboard has started, once the run file is written (a real process: poll its log)
      let log = '';
      for (let i = 0; i < 100 && !(log = readFileSync(join(dataDir, 'devnet.log'), 'utf8')).includes('stop with'); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(
        log,
        new RegExp(`stop with Ctrl-C or \`metroledger devnet down --data '${dataDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'\``),
      );
      const info = await readRunFile(dataDir);
      assert.deepEqual(info?.upArgs, ['--port', '0']);
      const status = run(root, 'devnet', 'status', '--data', dataDir);
      assert.equal(status.code, 0, status.stdout);
      assert.match(status.stdout, /devnet SERVING on .*ledger height 1, operations http:\/\/127\.0\.0\.1:\d+ \(\/healthz, \/metrics\)/);
      await devnet.stop();
      const gone = run(root, 'devnet', 'down', '--data', dataDir);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /NOT_RUNNING: no devnet runs on .* \(`metroledger devnet status --data '.*my net'` says more\)/);
    } finally {
      await devnet.stop();
      rmSync(root, { recursive: true, force: true });
    }
  },
);
