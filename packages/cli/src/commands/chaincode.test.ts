// SPDX-License-Identifier: Apache-2.0
// `metroledger chaincode package|serve` as the production kit scripts call them: real files, real
// child processes, and a peer stand-in speaking Fabric's chaincode protocol to the served chaincode.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { buildCcaasPackage, packageWorkspaceChaincode, readChaincodePackage, statedChaincode } from '@metroledger/lifecycle';
import { ChaincodePeerStandIn } from '@metroledger/lifecycle/testing/peer';
import { generateOrganization, type OrgMaterial } from '@metroledger/identity';

const run = promisify(execFile);
const MAIN = join(__dirname, '..', 'main.js');
const ENV = { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error', NODE_NO_WARNINGS: '1' };
const hasTar = spawnSync('tar', ['--version']).status === 0;
let dir: string;
let inmetro: OrgMaterial;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-cli-cc-'));
  inmetro = await generateOrganization({
    name: 'Inmetro',
    mspId: 'InmetroMSP',
    domain: 'inmetro.example.com',
    kind: 'peer',
    peers: ['peer0'],
    users: ['User1'],
  });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { env: ENV, cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Report {
  file: string;
  packageId: string;
  label: string;
  codeDigest: string;
  form: string;
  nodePackageId?: string;
}

async function packageJson(...args: string[]): Promise<Report> {
  const r = await cli('chaincode', 'package', ...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

/** The entries of a gzip'd tar, as `tar -tzv` lists them (name, mode and owner included). */
function tarList(bytes: Uint8Array): string[] {
  const r = spawnSync('tar', ['-tzvf', '-', '--numeric-owner'], { input: bytes, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' '));
}

// Each CLI run loads the whole command (seconds on a busy 2-core machine): these tests spawn it
// sparingly and compare its output with the library's, computed in this process.
describe('metroledger chaincode package', () => {
  it('writes the node package of each chaincode, byte for byte what the library builds, with the id Fabric computes', async () => {
    for (const cc of ['lr', 'governance'] as const) {
      const r = await packageJson(cc, '--form', 'node');
      const bytes = await readFile(join(dir, r.file));
      const expected = await packageWorkspaceChaincode(cc);
      assert.deepEqual(bytes, Buffer.from(expected.bytes), 'another process, the same bytes');
      assert.equal(r.file, `${expected.label}.tar.gz`);
      assert.deepEqual([r.form, r.packageId, r.label, r.codeDigest], ['node', expected.packageId, expected.label, expected.codeDigest]);
      assert.equal(r.packageId, `${r.label}:${createHash('sha256').update(bytes).digest('hex')}`);
      assert.match(r.label, cc === 'lr' ? /^metroledger-speed_\d+\.\d+\.\d+$/ : /^metroledger-governance_\d+\.\d+\.\d+$/);
    }
  });

  it("writes ccaas packages laid out as Fabric's ccaas builder expects, declaring the code of the node package", async () => {
    const node = await packageWorkspaceChaincode('governance');
    const a = await packageJson('governance', '--form', 'ccaas', '--address', 'gov.provider.example:7052', '--out', 'gov-ccaas.tar.gz');
    const bytes = await readFile(join(dir, a.file));
    const expected = buildCcaasPackage({
      nodePackage: node,
      ...statedChaincode('governance'),
      connection: { address: 'gov.provider.example:7052', dialTimeout: '10s', tlsRequired: false },
    });
    assert.deepEqual(bytes, Buffer.from(expected.bytes), 'same inputs, same bytes');
    assert.equal(a.packageId, `${a.label}:${createHash('sha256').update(bytes).digest('hex')}`);
    assert.deepEqual([a.form, a.codeDigest, a.nodePackageId], ['ccaas', node.codeDigest, node.packageId]);
    assert.equal(a.label, `${node.label}_ccaas_${node.codeDigest}`);

    const pkg = readChaincodePackage(bytes);
    assert.equal(pkg.metadata.type, 'ccaas');
    assert.deepEqual([...pkg.files.keys()], ['META-INF/metroledger/code.json', 'connection.json']);
    assert.deepEqual(JSON.parse(Buffer.from(pkg.files.get('connection.json')!).toString()), {
      address: 'gov.provider.example:7052',
      dial_timeout: '10s',
      tls_required: false,
    });
    assert.deepEqual(JSON.parse(Buffer.from(pkg.files.get('META-INF/metroledger/code.json')!).toString()), {
      type: 'metroledger/ccaas-code/v1',
      chaincodeName: 'governance',
      codeDigest: node.codeDigest,
      nodePackageId: node.packageId,
    });
    if (hasTar) {
      // what the peer stores and its external builder unpacks: exactly these entries, as root-owned regular files
      const outer = tarList(bytes);
      assert.deepEqual(
        outer.map((l) => l.split(' ').at(-1)),
        ['code.tar.gz', 'metadata.json'],
      );
      assert.ok(
        outer.every((l) => l.startsWith('-rw-r--r-- 0/0 ')),
        outer.join('\n'),
      );
      const metadata = spawnSync('tar', ['-xzOf', '-', 'metadata.json'], { input: bytes }).stdout;
      assert.equal(metadata.toString(), JSON.stringify({ type: 'ccaas', label: a.label }));
      const code = spawnSync('tar', ['-xzOf', '-', 'code.tar.gz'], { input: bytes }).stdout;
      assert.deepEqual(
        tarList(code).map((l) => l.split(' ').at(-1)),
        ['META-INF/metroledger/code.json', 'connection.json'],
      );
      assert.equal(zlib.gunzipSync(code).length % 512, 0);
    }
  });

  it('puts TLS material in connection.json as Fabric reads it, and refuses TLS without the root certificate', async () => {
    await writeFile(join(dir, 'ca.pem'), inmetro.tlsCa.certPem);
    const tls = await packageJson(
      'lr',
      '--form',
      'ccaas',
      '--address',
      'lr.provider.example:7052',
      '--tls-required',
      '--root-cert',
      'ca.pem',
      '--dial-timeout',
      '30s',
      '--out',
      'lr-tls.tar.gz',
    );
    const conn = JSON.parse(
      Buffer.from(readChaincodePackage(await readFile(join(dir, tls.file))).files.get('connection.json')!).toString(),
    ) as Record<string, unknown>;
    assert.deepEqual(conn, {
      address: 'lr.provider.example:7052',
      dial_timeout: '30s',
      tls_required: true,
      client_auth_required: false,
      root_cert: inmetro.tlsCa.certPem,
    });
    const r = await cli('chaincode', 'package', 'lr', '--form', 'ccaas', '--address', 'x.example:1', '--tls-required');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^metroledger: BAD_CONNECTION: tls_required needs the root certificate/);
  });
});

/** Starts `chaincode serve` and waits for its listening line. */
async function startServer(args: string[]): Promise<{ child: ChildProcess; port: number; line: string }> {
  const child = spawn(process.execPath, [MAIN, 'chaincode', 'serve', ...args], { env: ENV, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`chaincode serve exited ${code}: ${stderr}`)));
  });
  const m = / listening on 127\.0\.0\.1:(\d+) /.exec(line);
  assert.ok(m, line);
  return { child, port: Number(m[1]), line };
}

describe('metroledger chaincode serve', () => {
  const connection = { address: '127.0.0.1:7052', dialTimeout: '10s', tlsRequired: false };

  it('serves the LR chaincode under the ccaas package id until SIGTERM, running exactly the packaged code', async () => {
    const node = await packageWorkspaceChaincode('lr');
    const ccaas = buildCcaasPackage({ nodePackage: node, ...statedChaincode('lr'), connection });
    const { child, port, line } = await startServer(['lr', '--address', '127.0.0.1:0', '--package-id', ccaas.packageId]);
    try {
      assert.ok(line.includes(`package-id=${ccaas.packageId} code-digest=${node.codeDigest} tls=off`), line);
      const peer = await ChaincodePeerStandIn.connect(`127.0.0.1:${port}`);
      try {
        assert.equal(peer.registeredId, ccaas.packageId);
        const r = await peer.invoke(['lr:getRunningSoftware'], { mspId: 'InmetroMSP', certPem: inmetro.node('User1').sign.certPem });
        assert.equal(r.status, 200, r.message);
        assert.equal((JSON.parse(r.payload.toString()) as { codeDigest?: string }).codeDigest, node.codeDigest);
      } finally {
        peer.close();
      }
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 1 with a typed error for code other than the package id declares, or a bad address (more cases: lifecycle serve.test)', async () => {
    const gov = buildCcaasPackage({
      nodePackage: await packageWorkspaceChaincode('governance'),
      ...statedChaincode('governance'),
      connection,
    });
    for (const [args, code] of [
      [['lr', '--address', '127.0.0.1:0', '--package-id', gov.packageId], 'CODE_DIGEST_MISMATCH'],
      [['governance', '--address', 'localhost', '--package-id', gov.packageId], 'BAD_ADDRESS'],
    ] as const) {
      const r = await cli('chaincode', 'serve', ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`^metroledger: ${code}: `, 'm'));
      assert.equal(r.stdout, '', 'no listening line');
    }
  });
});
