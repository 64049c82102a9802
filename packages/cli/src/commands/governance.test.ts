// SPDX-License-Identifier: Apache-2.0
// `metroledger lr list|install` against a running devnet, as a provider would use them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultLrPackage, startDevnet, tamperedPackage, type Devnet } from '@metroledger/devnet';
import { bootstrapGovernance } from '@metroledger/devnet/testing/governance';
import { buildCcaasPackage, buildChaincodePackage } from '@metroledger/lifecycle';

const run = promisify(execFile);
const MAIN = join(__dirname, '..', 'main.js');
let dir: string;
let devnet: Devnet;
let approved: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-cli-gov-'));
  devnet = await startDevnet({ dataDir: join(dir, 'net'), port: 0, batch: { batchTimeoutMs: 5 } });
  // what `metroledger devnet up` records for other commands
  await writeFile(
    join(dir, 'net', 'devnet.json'),
    JSON.stringify({ pid: process.pid, endpoint: devnet.endpoint, tlsCaCertPath: devnet.tlsCaCertPath }),
  );
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
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error', NODE_NO_WARNINGS: '1' },
    });
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
  assert.match(
    bad.stderr,
    new RegExp(`FINGERPRINT_MISMATCH: .* but the notified body approved ${approved} for lr 1\\.0: refusing to install`),
  );
  assert.equal(await readFile(installed, 'utf8'), before);

  const good = await cli('lr', 'install', join(dir, 'good.tar.gz'), '--devnet', join(dir, 'net'), '--msp-id', 'PUCPRMSP');
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /installed on peer0\.pucpr\.example\.com/);
  assert.equal(JSON.parse(await readFile(installed, 'utf8')).lr, approved);
});

test('lr install checks ccaas packages by the code they declare: refused under a v1 approval, accepted under a v2 one admitting ccaas', async () => {
  const net = join(dir, 'net');
  const pkg = await defaultLrPackage();
  const connection = { address: 'lr.lasige.example.com:9999', dialTimeout: '10s', tlsRequired: false };
  const ccaas10 = buildCcaasPackage({ nodePackage: pkg, chaincodeName: 'lr', chaincodeVersion: '1.0', connection });
  await writeFile(join(dir, 'ccaas10.tar.gz'), ccaas10.bytes);
  const installed = join(net, 'peers', 'peer0.lasige.example.com', 'chaincodes', 'installed.json');
  const before = await readFile(installed, 'utf8');
  // the devnet runs node packages in-process: a ccaas package cannot be installed there
  const onDevnet = await cli('lr', 'install', join(dir, 'ccaas10.tar.gz'), '--devnet', net);
  assert.equal(onDevnet.code, 1);
  assert.match(onDevnet.stderr, /UNSUPPORTED_PACKAGE_TYPE: /);
  assert.equal(await readFile(installed, 'utf8'), before);

  // against the gateway as a Fabric provider would connect: LaSIGE's admin, explicit endpoint and files
  const msp = join(net, 'organizations', 'peerOrganizations', 'lasige.example.com', 'users', 'Admin@lasige.example.com', 'msp');
  const first = async (d: string): Promise<string> => join(d, (await readdir(d)).filter((n) => !n.startsWith('.')).sort()[0]!);
  const gateway = [
    '--endpoint',
    devnet.endpoint,
    '--tls-ca',
    devnet.tlsCaCertPath,
    '--msp-id',
    'LaSIGEMSP',
    '--cert',
    await first(join(msp, 'signcerts')),
    '--key',
    await first(join(msp, 'keystore')),
  ];
  const v1 = await cli('lr', 'install', join(dir, 'ccaas10.tar.gz'), ...gateway);
  assert.equal(v1.code, 1);
  assert.match(v1.stderr, /FORM_NOT_APPROVED: the notified body approved lr 1\.0 as node only \(a v1 approval\)/);

  // the manufacturer's 1.1 (the same code stating version 1.1), approved by the notified body for both forms
  const files = new Map(pkg.files);
  files.set(
    'src/dist/config.js',
    Buffer.from(
      Buffer.from(files.get('src/dist/config.js')!).toString().replace("LR_CHAINCODE_VERSION = '1.0'", "LR_CHAINCODE_VERSION = '1.1'"),
    ),
  );
  const pkg11 = buildChaincodePackage({ label: 'metroledger-speed_1.1.0', files });
  await writeFile(join(dir, 'lr11.tar.gz'), pkg11.bytes);
  const approve = await cli(
    'lr',
    'approve',
    '--version',
    '1.1',
    '--package',
    join(dir, 'lr11.tar.gz'),
    '--forms',
    'node,ccaas',
    '--devnet',
    net,
  );
  assert.equal(approve.code, 0, approve.stderr);
  assert.match(approve.stdout, /package forms {6}node, ccaas\n/);
  const ccaas11 = buildCcaasPackage({ nodePackage: pkg11, chaincodeName: 'lr', chaincodeVersion: '1.1', connection });
  await writeFile(join(dir, 'ccaas11.tar.gz'), ccaas11.bytes);
  const ok = await cli('lr', 'install', join(dir, 'ccaas11.tar.gz'), ...gateway);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(
    ok.stdout.includes(
      `code: ${ccaas11.packageId} declares the approved code ${pkg11.codeDigest} of lr 1.1 (node package ${pkg11.packageId}`,
    ),
    ok.stdout,
  );
  assert.ok(ok.stdout.includes(`metroledger chaincode serve lr --address <listen host:port> --package-id ${ccaas11.packageId}`), ok.stdout);
  assert.ok(ok.stdout.includes(`approveformyorg -C metrology -n lr -v 1.1 --package-id ${ccaas11.packageId}`), ok.stdout);
  // the 1.0 code's ccaas package checked against 1.1: not the approved code
  const wrong = await cli('lr', 'install', join(dir, 'ccaas10.tar.gz'), '--version', '1.1', ...gateway);
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    new RegExp(
      `CODE_DIGEST_MISMATCH: ccaas package .* declares code ${pkg.codeDigest}, but the notified body approved code ${pkg11.codeDigest} for lr 1\\.1`,
    ),
  );
  const unknown = await cli('lr', 'install', join(dir, 'lr11.tar.gz'), '--version', '7.0', ...gateway);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /UNAPPROVED_PACKAGE: /);
});
