// SPDX-License-Identifier: Apache-2.0
// The ccaas external builder (builders/ccaas/bin), run the way a peer runs it on an installed package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageLrChaincode, readChaincodePackage } from '@metroledger/lifecycle';
import { ccaasPackager } from './chaincodes.js';
import { BUILDER_DIR } from './overlay.js';

/** What the peer does before calling the builder: metadata.json in one folder, code.tar.gz unpacked in another. */
async function unpackLikeAPeer(bytes: Uint8Array, root: string): Promise<{ source: string; metadata: string }> {
  const pkg = readChaincodePackage(bytes);
  const source = join(root, 'source');
  const metadata = join(root, 'metadata');
  await mkdir(metadata, { recursive: true });
  await writeFile(join(metadata, 'metadata.json'), JSON.stringify(pkg.metadata));
  for (const [path, content] of pkg.files) {
    await mkdir(dirname(join(source, path)), { recursive: true });
    await writeFile(join(source, path), content);
  }
  await mkdir(source, { recursive: true });
  return { source, metadata };
}

function builder(step: 'detect' | 'build' | 'release', ...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(join(BUILDER_DIR, 'bin', step), args, { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ml-ccaas-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a ccaas package is detected, built and released: the peer finds connection.json under chaincode/server', async () => {
  await withTemp(async (dir) => {
    const pkg = await ccaasPackager('basic', '1.0', '127.0.0.1:21201', join(dir, 'basic.tar.gz'));
    const { source, metadata } = await unpackLikeAPeer(await readFile(pkg.file), join(dir, 'in'));
    const out = join(dir, 'build');
    const release = join(dir, 'release');
    assert.equal(builder('detect', source, metadata).status, 0);
    assert.equal(builder('build', source, metadata, out).status, 0);
    assert.equal(builder('release', out, release).status, 0);
    const connection = JSON.parse(await readFile(join(release, 'chaincode', 'server', 'connection.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(connection, { address: '127.0.0.1:21201', dial_timeout: '10s', tls_required: false });
    assert.equal(JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')).type, 'ccaas');
  });
});

test("metroledger's own ccaas package of the LR chaincode goes through the builder too (its code declaration stays out of the release)", async () => {
  await withTemp(async (dir) => {
    const pkg = await ccaasPackager('lr', '1.0', '127.0.0.1:21201', join(dir, 'lr.tar.gz'));
    assert.match(pkg.packageId, /_ccaas_[0-9a-f]{64}:[0-9a-f]{64}$/, 'the label declares the code digest');
    const { source, metadata } = await unpackLikeAPeer(await readFile(pkg.file), join(dir, 'in'));
    assert.equal(builder('detect', source, metadata).status, 0);
    assert.equal(builder('build', source, metadata, join(dir, 'out')).status, 0);
    assert.equal(builder('release', join(dir, 'out'), join(dir, 'rel')).status, 0);
    const connection = JSON.parse(await readFile(join(dir, 'rel', 'chaincode', 'server', 'connection.json'), 'utf8')) as {
      address: string;
    };
    assert.equal(connection.address, '127.0.0.1:21201');
    assert.equal(
      await stat(join(dir, 'rel', 'statedb')).then(
        () => true,
        () => false,
      ),
      false,
    );
  });
});

test('detect declines a node package (the peer then tries its other builders) and fails without arguments', async () => {
  await withTemp(async (dir) => {
    const { source, metadata } = await unpackLikeAPeer((await packageLrChaincode()).bytes, dir);
    assert.equal(builder('detect', source, metadata).status, 1);
    assert.equal(builder('detect').status, 2);
  });
});

test('build refuses a ccaas package without connection.json or without an address, writing nothing', async () => {
  await withTemp(async (dir) => {
    const metadata = join(dir, 'metadata');
    const source = join(dir, 'source');
    await mkdir(metadata, { recursive: true });
    await mkdir(source, { recursive: true });
    await writeFile(join(metadata, 'metadata.json'), '{"type":"ccaas","label":"lr_1.0"}');
    let r = builder('build', source, metadata, join(dir, 'out1'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /connection\.json is missing/);
    await writeFile(join(source, 'connection.json'), '{"dial_timeout":"10s"}');
    r = builder('build', source, metadata, join(dir, 'out2'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no address/);
    assert.equal(
      await stat(join(dir, 'out2')).then(
        () => true,
        () => false,
      ),
      false,
    );
    assert.equal(builder('release', join(dir, 'out2'), join(dir, 'rel')).status, 1);
  });
});

test('CouchDB indexes in META-INF travel from the package to the release statedb folder', async () => {
  await withTemp(async (dir) => {
    const metadata = join(dir, 'metadata');
    const index = join(dir, 'source', 'META-INF', 'statedb', 'couchdb', 'indexes');
    await mkdir(metadata, { recursive: true });
    await mkdir(index, { recursive: true });
    await writeFile(join(metadata, 'metadata.json'), '{"label":"lr_1.0","type":"CCAAS"}');
    await writeFile(join(dir, 'source', 'connection.json'), '{"address":"127.0.0.1:21201","dial_timeout":"10s","tls_required":false}');
    await writeFile(join(index, 'byMeter.json'), '{"index":{"fields":["meterId"]}}');
    assert.equal(builder('detect', join(dir, 'source'), metadata).status, 0, 'the type is matched case-insensitively, as Fabric does');
    assert.equal(builder('build', join(dir, 'source'), metadata, join(dir, 'out')).status, 0);
    assert.equal(builder('release', join(dir, 'out'), join(dir, 'rel')).status, 0);
    assert.equal(
      await readFile(join(dir, 'rel', 'statedb', 'couchdb', 'indexes', 'byMeter.json'), 'utf8'),
      '{"index":{"fields":["meterId"]}}',
    );
  });
});
