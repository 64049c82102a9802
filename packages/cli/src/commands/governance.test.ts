// SPDX-License-Identifier: Apache-2.0
// `metroledger lr list|install` against a running devnet, as a provider would use them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultLrPackage, startDevnet, tamperedPackage, type Devnet } from '@metroledger/devnet';
import { bootstrapGovernance } from '@metroledger/devnet/dist/testing/governance.js';

const run = promisify(execFile);
const MAIN = join(__dirname, '..', 'main.js');
let dir: string;
let devnet: Devnet;
let approved: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-cli-gov-'));
  devnet = await startDevnet({ dataDir: join(dir, 'net'), port: 0, batch: { batchTimeoutMs: 5 } });
  // what `metroledger devnet up` records for other commands
  await writeFile(join(dir, 'net', 'devnet.json'), JSON.stringify({ pid: process.pid, endpoint: devnet.endpoint, tlsCaCertPath: devnet.tlsCaCertPath }));
  approved = await bootstrapGovernance(devnet);
  const pkg = await defaultLrPackage();
  await writeFile(join(dir, 'good.tar.gz'), pkg.bytes);
  await writeFile(join(dir, 'bad.tar.gz'), tamperedPackage(pkg).bytes);
});

after(async () => {
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error', NODE_NO_WARNINGS: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('lr list shows the approved version with its fingerprint and policy', async () => {
  const r = await cli('lr', 'list', '--devnet', join(dir, 'net'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /lr 1\.0 {2}APPROVED/);
  assert.ok(r.stdout.includes(approved));
  assert.match(r.stdout, /AND\('LaSIGEMSP\.peer','PUCPRMSP\.peer'\)/);
});

test('lr install refuses a package that is not the approved one (exit 1, FINGERPRINT_MISMATCH) and installs the approved one', async () => {
  const installed = join(dir, 'net', 'peers', 'peer0.pucpr.example.com', 'chaincodes', 'installed.json');
  const before = await readFile(installed, 'utf8');
  const bad = await cli('lr', 'install', join(dir, 'bad.tar.gz'), '--devnet', join(dir, 'net'), '--msp-id', 'PUCPRMSP');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`FINGERPRINT_MISMATCH: .* but the notified body approved ${approved} for lr 1\\.0: refusing to install`));
  assert.equal(await readFile(installed, 'utf8'), before);

  const good = await cli('lr', 'install', join(dir, 'good.tar.gz'), '--devnet', join(dir, 'net'), '--msp-id', 'PUCPRMSP');
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /installed on peer0\.pucpr\.example\.com/);
  assert.equal(JSON.parse(await readFile(installed, 'utf8')).lr, approved);
});
