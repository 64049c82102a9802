// SPDX-License-Identifier: Apache-2.0
// The guided path on a fresh devnet: the traps first (meter list before any approval, an MSP
// outside the channel), then `init`, `meter keygen`, `meter register`, and readable listings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDevnetProcess } from '@metroledger/devnet';

const MAIN = join(__dirname, '..', 'main.js');
const exec = promisify(execFile);
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [MAIN, ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('init bootstraps governance in order on a fresh devnet; keygen, register, show and list follow', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'metroledger-init-'));
  const data = join(root, 'devnet');
  const devnet = await startDevnetProcess({ cliMain: MAIN, dataDir: data });
  try {
    const before = await run('meter', 'list', '--devnet', data);
    assert.equal(before.code, 1);
    assert.match(before.stderr, /UNAPPROVED_PACKAGE/);

    const foreign = await run('org', 'register', 'AcmeMSP', '--name', 'Acme', '--roles', 'AUDITOR', '--devnet', data);
    assert.equal(foreign.code, 1);
    assert.match(
      foreign.stderr,
      /NOT_A_CHANNEL_MEMBER: AcmeMSP is not an application organization of channel metrology \(its configuration holds CETSPMSP, InmetroMSP, LaSIGEMSP, PUCPRMSP\)/,
    );

    const init = await run('init', '--devnet', data);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /1\. organization LaSIGEMSP: registered as COMPUTING_PROVIDER/);
    assert.match(init.stdout, /2\. LR software lr 1\.0: approved metroledger-speed_/);
    assert.match(init.stdout, /3\. meter model ML-1: type-approved for lr 1\.0/);
    const again = await run('init', '--devnet', data);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.stdout.match(/already/g) ?? []).length, 5, again.stdout);

    const keygen = await run('meter', 'keygen', '--out', root, '--name', 'SP-0001');
    assert.equal(keygen.code, 0, keygen.stderr);
    assert.equal(statSync(join(root, 'SP-0001.key')).mode & 0o777, 0o600);
    assert.ok(existsSync(join(root, 'SP-0001.pub.pem')));
    const twice = await run('meter', 'keygen', '--out', root, '--name', 'SP-0001');
    assert.match(twice.stderr, /FILE_EXISTS/);

    const register = await run(
      'meter',
      'register',
      '--devnet',
      data,
      '--id',
      'SP-0001',
      '--public-key',
      join(root, 'SP-0001.pub.pem'),
      '--owner',
      'CETSPMSP',
      '--model',
      'ML-1',
      '--geometry',
      '3,1.5,10000',
      '--limit',
      '60',
      '--location',
      'Av. Paulista',
      '--lat',
      '-23.56',
      '--lon',
      '-46.65',
    );
    assert.equal(register.code, 0, register.stderr);
    const show = await run('meter', 'show', 'SP-0001', '--devnet', data);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^meter {10}SP-0001\nstatus {9}ACTIVE\n/);
    assert.match(show.stdout, /speed limit {4}60 km\/h/);
    assert.match(show.stdout, / {2}current [0-9a-f]{32} {2}from sequence 0/);
    assert.equal(
      (JSON.parse((await run('meter', 'show', 'SP-0001', '--json', '--devnet', data)).stdout) as { meterId: string }).meterId,
      'SP-0001',
    );

    // the devnet logs a JSON line per block on stderr (pino), stdout keeps the human banner
    const logged = devnet
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; event?: string; block?: number; msg: string });
    const blockLines = logged.filter((l) => l.event === 'block');
    assert.ok(blockLines.length >= 5, devnet.stderr());
    assert.ok(
      blockLines.every((l) => l.level === 'info' && new RegExp(`^committed block ${l.block} with \\d+ transaction\\(s\\)$`).test(l.msg)),
    );

    const orgs = JSON.parse((await run('org', 'list', '--json', '--devnet', data)).stdout) as { mspId: string }[];
    assert.deepEqual(orgs.map((o) => o.mspId).sort(), ['CETSPMSP', 'LaSIGEMSP', 'PUCPRMSP']);
    assert.equal((JSON.parse((await run('meter', 'list', '--json', '--devnet', data)).stdout) as unknown[]).length, 1);
  } finally {
    await devnet.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
