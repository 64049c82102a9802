// SPDX-License-Identifier: Apache-2.0
// The network commands as a newcomer meets them: no Node warning about TLS server names, a wrong
// port and a wrong TLS CA told apart, the chaincode's refusal said once, mutual TLS, a taken port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDevnet, writeRunFile, type Devnet } from '@metroledger/devnet';
import { bootstrapGovernance, TEST_MODEL } from '@metroledger/devnet/testing/governance';

const run = promisify(execFile);
const MAIN = join(__dirname, '..', 'main.js');

/** Runs the CLI with Node's warnings on (no NODE_NO_WARNINGS): a deprecation warning would show in stderr. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' };
  delete env['NODE_NO_WARNINGS'];
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function startRecorded(dataDir: string, tlsClientAuth = false): Promise<Devnet> {
  const devnet = await startDevnet({ dataDir, port: 0, batch: { batchTimeoutMs: 5 }, tlsClientAuth });
  // what `metroledger devnet up` records for other commands
  await writeRunFile(dataDir, {
    pid: process.pid,
    endpoint: devnet.endpoint,
    tlsCaCertPath: devnet.tlsCaCertPath,
    tlsServerName: devnet.tlsServerName,
    tlsClientAuth: devnet.tlsClientAuth,
    startedAt: new Date().toISOString(),
  });
  return devnet;
}

function user(devnet: Devnet, mspId: string, name: string) {
  return devnet.users[mspId]!.find((u) => u.name.startsWith(`${name}@`))!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const occurrences = (text: string, word: string): number => text.split(word).length - 1;

describe('network commands against a devnet', () => {
  let dir: string;
  let devnet: Devnet;
  let registration: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metroledger-cli-conn-'));
    devnet = await startRecorded(join(dir, 'net'));
    await bootstrapGovernance(devnet);
    const publicKeyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    registration = join(dir, 'meter.json');
    await writeFile(
      registration,
      JSON.stringify({
        meterId: 'SP-CONN-1',
        ownerMspId: 'CETSPMSP',
        publicKeyPem,
        model: TEST_MODEL,
        speedLimitKmh: 60,
        geometry: { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 },
        location: { text: 'Av. Paulista', lat: -23.56, lon: -46.65 },
      }),
    );
  });

  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("a chaincode's refusal is printed once, with its code, and no Node warning appears", async () => {
    const first = await cli('meter', 'register', '--file', registration, '--devnet', join(dir, 'net'));
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, /DEP0123|Warning/);
    const again = await cli('meter', 'register', '--file', registration, '--devnet', join(dir, 'net'));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^metroledger: ENDORSEMENT_FAILED: registerMeter: METER_EXISTS: /);
    assert.equal(occurrences(again.stderr, 'METER_EXISTS'), 1, again.stderr);
    assert.doesNotMatch(again.stderr, /see attached details|DEP0123/);
  });

  test("an endpoint given by IP address connects with the certificate's host name, without a warning, in every kind of gateway command", async () => {
    const u = user(devnet, 'InmetroMSP', 'User1');
    const flags = [
      '--endpoint',
      devnet.endpoint,
      '--tls-ca',
      devnet.tlsCaCertPath,
      '--msp-id',
      'InmetroMSP',
      '--cert',
      u.certPath,
      '--key',
      u.keyPath,
    ];
    // evaluations of both chaincodes, a listing with --json, and surveil reading blocks through Deliver
    for (const args of [
      ['meter', 'list'],
      ['org', 'list', '--json'],
      ['lr', 'list'],
      ['lr', 'incidents'],
      ['meter', 'show', 'SP-NONE'],
    ]) {
      const r = await cli(...args, ...flags);
      assert.doesNotMatch(r.stderr, /DEP0123|Warning/, args.join(' '));
      if (args[1] !== 'show') assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    const surveil = await cli(
      'surveil',
      '--peer',
      devnet.endpoint,
      '--msp',
      'InmetroMSP',
      '--cert',
      u.certPath,
      '--key',
      u.keyPath,
      '--tls-ca',
      devnet.tlsCaCertPath,
      '--idle-ms',
      '2000',
      '--json',
    );
    assert.doesNotMatch(surveil.stderr, /DEP0123|Warning|metroledger:/);
    assert.equal(surveil.code, 0, surveil.stderr);
  });

  test('audit --peer given by IP address reads the peer without a warning; a wrong port is CONNECTION_REFUSED', async () => {
    const u = user(devnet, 'InmetroMSP', 'User1');
    const source = ['--msp', 'InmetroMSP', '--cert', u.certPath, '--key', u.keyPath, '--tls-ca', devnet.tlsCaCertPath, '--idle-ms', '3000'];
    const r = await cli('audit', '--peer', devnet.endpoint, ...source, '--json');
    // the verdict (exit 0, 2 or 3) is the audit's business; the connection is ours
    assert.notEqual(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /DEP0123|Warning|metroledger:/);
    assert.equal(typeof JSON.parse(r.stdout), 'object');
    const wrongPort = await cli('audit', '--peer', `127.0.0.1:${await freePort()}`, ...source);
    assert.equal(wrongPort.code, 1);
    assert.match(wrongPort.stderr, /CONNECTION_REFUSED: nothing listens at 127\.0\.0\.1:\d+/);
  });

  test('a wrong port and a wrong TLS CA are told apart, and neither is retried', async () => {
    const u = user(devnet, 'InmetroMSP', 'User1');
    const identity = ['--msp-id', 'InmetroMSP', '--cert', u.certPath, '--key', u.keyPath];
    const wrongPort = await cli(
      'meter',
      'list',
      '--endpoint',
      `127.0.0.1:${await freePort()}`,
      '--tls-ca',
      devnet.tlsCaCertPath,
      ...identity,
    );
    assert.equal(wrongPort.code, 1);
    assert.match(wrongPort.stderr, /^metroledger: CONNECTION_REFUSED: nothing listens at 127\.0\.0\.1:\d+/);
    // the TLS CA of another organization did not issue the gateway's certificate
    const otherCa = join(
      dir,
      'net',
      'organizations',
      'peerOrganizations',
      'pucpr.example.com',
      'tlsca',
      'tlsca.pucpr.example.com-cert.pem',
    );
    const wrongCa = await cli('meter', 'list', '--endpoint', devnet.endpoint, '--tls-ca', otherCa, ...identity);
    assert.equal(wrongCa.code, 1);
    assert.match(wrongCa.stderr, /^metroledger: TLS_FAILED: the TLS certificate of 127\.0\.0\.1:\d+ is not issued by the given TLS CA/);
    for (const r of [wrongPort, wrongCa]) assert.doesNotMatch(r.stderr, /RETRIES_EXHAUSTED|UNAVAILABLE/);
  });

  test("devnet up on a port in use says which port, without grpc's raw line", async () => {
    const r = await cli('devnet', 'up', '--data', join(dir, 'second'), '--ordering', 'solo', '--port', String(devnet.port));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^metroledger: PORT_IN_USE: port ${devnet.port} on 127\\.0\\.0\\.1 is already in use .*--port`));
    assert.doesNotMatch(r.stderr, /No address added/);
  });
});

describe('a devnet with mutual TLS', () => {
  let dir: string;
  let devnet: Devnet;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metroledger-cli-mtls-'));
    devnet = await startRecorded(join(dir, 'net'), true);
  });

  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('serves a client presenting its TLS certificate, and tells one without it that it needs one', async () => {
    const withDevnet = await cli('org', 'list', '--devnet', join(dir, 'net'));
    assert.equal(withDevnet.code, 0, withDevnet.stderr);
    const u = user(devnet, 'InmetroMSP', 'User1');
    const base = [
      'org',
      'list',
      '--endpoint',
      devnet.endpoint,
      '--tls-ca',
      devnet.tlsCaCertPath,
      '--msp-id',
      'InmetroMSP',
      '--cert',
      u.certPath,
      '--key',
      u.keyPath,
    ];
    const withCert = await cli(...base, '--tls-cert', u.tlsCertPath, '--tls-key', u.tlsKeyPath);
    assert.equal(withCert.code, 0, withCert.stderr);
    const without = await cli(...base);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /^metroledger: TLS_FAILED: 127\.0\.0\.1:\d+ requires a client TLS certificate \(mutual TLS\)/);
  });
});
