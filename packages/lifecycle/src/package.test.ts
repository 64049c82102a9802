// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import {
  buildChaincodePackage,
  computePackageId,
  LifecycleError,
  packageChaincode,
  readChaincodePackage,
  sourceDigest,
  verifyInstalledPackage,
  type ChaincodePackageJson,
  type LifecycleErrorCode,
} from './index';
import { gzipStored } from './gzip';
import { writeTar } from './tar';

const hasTar = spawnSync('tar', ['--version']).status === 0;

function isCode(code: LifecycleErrorCode) {
  return (e: unknown) => e instanceof LifecycleError && e.code === code;
}

const PACKAGE_JSON: ChaincodePackageJson = {
  name: 'demo-cc',
  version: '1.0.0',
  main: 'dist/index.js',
  scripts: { start: 'fabric-chaincode-node start' },
  dependencies: { 'fabric-contract-api': '2.5.8' },
};

async function withSourceTree<T>(fn: (dirs: { root: string; src: string; vendor: string }) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'ml-lifecycle-'));
  try {
    const src = join(root, 'cc-dist');
    const vendor = join(root, 'lib-dist');
    await mkdir(join(src, 'sub'), { recursive: true });
    await mkdir(vendor, { recursive: true });
    await writeFile(
      join(src, 'index.js'),
      '\'use strict\';\nconst lib = require("@demo/lib");\nconst sub = require("./sub/helper");\nrequire("node:crypto");\nexports.contracts = [];\n',
    );
    await writeFile(join(src, 'sub', 'helper.js'), "exports.x = require('fabric-contract-api') && 1;\n");
    await writeFile(join(src, 'index.js.map'), '{}');
    await writeFile(join(src, 'index.d.ts'), 'export {};');
    await writeFile(join(src, 'index.test.js'), "require('node:test');");
    await writeFile(join(src, '.tsbuildinfo'), 'x');
    await writeFile(join(vendor, 'index.js'), "exports.version = 'vendored';\n");
    return await fn({ root, src, vendor });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function packageFrom(dirs: { src: string; vendor: string }, label = 'demo_1.0') {
  return packageChaincode({
    label,
    sourceDir: dirs.src,
    packageJson: PACKAGE_JSON,
    vendor: [{ name: '@demo/lib', dir: dirs.vendor, version: '2.0.0' }],
  });
}

test('the same sources give the same bytes and package id, whatever the mtimes and modes', async () => {
  await withSourceTree(async (dirs) => {
    const first = await packageFrom(dirs);
    await utimes(join(dirs.src, 'index.js'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    await utimes(join(dirs.vendor, 'index.js'), new Date(), new Date());
    await chmod(join(dirs.src, 'sub', 'helper.js'), 0o700);
    const second = await packageFrom(dirs);
    assert.deepEqual(second.bytes, first.bytes);
    assert.equal(second.packageId, first.packageId);
    assert.match(first.packageId, /^demo_1\.0:[0-9a-f]{64}$/);
    assert.equal(first.packageId, `demo_1.0:${createHash('sha256').update(first.bytes).digest('hex')}`);
    assert.deepEqual(
      [...first.files.keys()],
      [
        'src/dist/index.js',
        'src/dist/sub/helper.js',
        'src/lib/@demo/lib/dist/index.js',
        'src/lib/@demo/lib/package.json',
        'src/package.json',
      ],
    );
    const pj = JSON.parse(Buffer.from(first.files.get('src/package.json')!).toString()) as ChaincodePackageJson;
    assert.deepEqual(pj.dependencies, { '@demo/lib': 'file:lib/@demo/lib', 'fabric-contract-api': '2.5.8' });
  });
});

test('changing one byte of one source file changes the package id and the code digest', async () => {
  await withSourceTree(async (dirs) => {
    const before = await packageFrom(dirs);
    await writeFile(join(dirs.vendor, 'index.js'), "exports.version = 'vendorea';\n");
    const after = await packageFrom(dirs);
    assert.notEqual(after.packageId, before.packageId);
    assert.notEqual(after.codeDigest, before.codeDigest);
    assert.equal(after.label, before.label);
  });
});

test(
  'the system tar lists the package and its code archive with pinned owners, modes and times',
  { skip: !hasTar && 'no tar on PATH' },
  async () => {
    await withSourceTree(async (dirs) => {
      const pkg = await packageFrom(dirs);
      const file = join(dirs.root, 'demo.tar.gz');
      await writeFile(file, pkg.bytes);
      const outer = execFileSync('tar', ['-tzvf', file], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(outer.length, 2);
      for (const line of outer) assert.match(line, /^-rw-r--r-- 0\/0 .*1970-01-01 00:00 (code\.tar\.gz|metadata\.json)$/);
      const x = join(dirs.root, 'x');
      await mkdir(x);
      execFileSync('tar', ['-xzf', file, '-C', x]);
      const inner = execFileSync('tar', ['-tzf', join(x, 'code.tar.gz')], { encoding: 'utf8' })
        .trim()
        .split('\n');
      assert.deepEqual(inner, [...pkg.files.keys()]);
      assert.equal(execFileSync('cat', [join(x, 'metadata.json')], { encoding: 'utf8' }), '{"path":"","type":"node","label":"demo_1.0"}');
      // and node's zlib agrees on both layers
      assert.ok(zlib.gunzipSync(pkg.bytes).length > 0);
    });
  },
);

test('readChaincodePackage gives back the files, metadata, id and digest that were packaged', () => {
  const files = new Map([
    ['src/package.json', Buffer.from('{}')],
    ['src/a.js', Buffer.from('a')],
  ]);
  const built = buildChaincodePackage({ label: 'x.y-z+1_2', files });
  const read = readChaincodePackage(built.bytes);
  assert.equal(read.packageId, built.packageId);
  assert.equal(read.codeDigest, built.codeDigest);
  assert.deepEqual(read.metadata, { path: '', type: 'node', label: 'x.y-z+1_2' });
  assert.deepEqual([...read.files.keys()], ['src/a.js', 'src/package.json']);
  assert.deepEqual(Buffer.from(read.files.get('src/a.js')!), Buffer.from('a'));
});

test(
  'a package made by the system tar and real deflate (like the peer CLI makes) is read too',
  { skip: !hasTar && 'no tar on PATH' },
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'ml-lifecycle-'));
    try {
      await mkdir(join(root, 'code', 'src', 'dist'), { recursive: true });
      await writeFile(join(root, 'code', 'src', 'package.json'), '{"name":"x"}');
      await writeFile(join(root, 'code', 'src', 'dist', 'index.js'), 'exports.contracts = [];');
      execFileSync('tar', ['-czf', join(root, 'code.tar.gz'), '-C', join(root, 'code'), 'src']);
      await writeFile(join(root, 'metadata.json'), '{"path":"/home/someone/cc","type":"node","label":"fromtar_1"}');
      execFileSync('tar', ['-czf', join(root, 'pkg.tar.gz'), '-C', root, 'metadata.json', 'code.tar.gz']);
      const pkg = readChaincodePackage(readFileSync(join(root, 'pkg.tar.gz')));
      assert.equal(pkg.label, 'fromtar_1');
      assert.equal(pkg.metadata.path, '/home/someone/cc');
      assert.deepEqual([...pkg.files.keys()], ['src/dist/index.js', 'src/package.json']); // directory entries skipped
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
);

/** A raw ustar entry with any name and type, to build hostile archives the writer refuses to make. */
function rawEntry(name: string, content: Uint8Array, type = '0', linkname = ''): Uint8Array {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(type, 156);
  h.write(linkname, 157);
  h.write('ustar\0' + '00', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  Buffer.from(content).copy(body);
  return Buffer.concat([h, body]);
}
function rawTar(...entries: Uint8Array[]): Uint8Array {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}
const META = Buffer.from('{"type":"node","label":"evil_1"}');
function packageWithCode(codeTar: Uint8Array): Uint8Array {
  return gzipStored(rawTar(rawEntry('metadata.json', META), rawEntry('code.tar.gz', gzipStored(codeTar))));
}

test('readChaincodePackage refuses traversal, absolute paths, links and duplicates in the code archive', () => {
  const a = Buffer.from('x');
  const cases: [Uint8Array, LifecycleErrorCode][] = [
    [rawTar(rawEntry('src/../../etc/passwd', a)), 'UNSAFE_PATH'],
    [rawTar(rawEntry('/etc/passwd', a)), 'UNSAFE_PATH'],
    [rawTar(rawEntry('src/x\\..\\y', a)), 'UNSAFE_PATH'],
    [rawTar(rawEntry('src/link', Buffer.alloc(0), '2', '/etc/passwd')), 'UNSAFE_PATH'],
    [rawTar(rawEntry('src/hard', Buffer.alloc(0), '1', 'src/a')), 'UNSAFE_PATH'],
    [rawTar(rawEntry('src/dev', Buffer.alloc(0), '3')), 'UNSAFE_PATH'],
    [rawTar(rawEntry('src/a', a), rawEntry('src/a', a)), 'MALFORMED_PACKAGE'],
  ];
  for (const [code, expected] of cases) {
    assert.throws(() => readChaincodePackage(packageWithCode(code)), isCode(expected));
  }
  // the same traversal at the top level of the package
  const top = gzipStored(rawTar(rawEntry('../metadata.json', META), rawEntry('code.tar.gz', gzipStored(rawTar()))));
  assert.throws(() => readChaincodePackage(top), isCode('UNSAFE_PATH'));
});

test('readChaincodePackage refuses garbage, missing parts, extra files, bad labels and corrupt headers', () => {
  const code = gzipStored(rawTar(rawEntry('src/package.json', Buffer.from('{}'))));
  const cases: [Uint8Array, LifecycleErrorCode][] = [
    [Buffer.from('not a package at all, not even gzip'), 'MALFORMED_PACKAGE'],
    [zlib.gzipSync(Buffer.from('gzip but not tar')), 'MALFORMED_PACKAGE'],
    [gzipStored(rawTar(rawEntry('code.tar.gz', code))), 'MALFORMED_PACKAGE'],
    [gzipStored(rawTar(rawEntry('metadata.json', META))), 'MALFORMED_PACKAGE'],
    [gzipStored(rawTar(rawEntry('metadata.json', META), rawEntry('code.tar.gz', code), rawEntry('extra', META))), 'MALFORMED_PACKAGE'],
    [
      gzipStored(rawTar(rawEntry('metadata.json', Buffer.from('{"type":"node","label":"bad label"}')), rawEntry('code.tar.gz', code))),
      'BAD_LABEL',
    ],
    [gzipStored(rawTar(rawEntry('metadata.json', Buffer.from('[1]')), rawEntry('code.tar.gz', code))), 'MALFORMED_PACKAGE'],
    [
      gzipStored(rawTar(rawEntry('metadata.json', META), rawEntry('code.tar.gz', Buffer.from('not gzip, long enough')))),
      'MALFORMED_PACKAGE',
    ],
  ];
  for (const [bytes, expected] of cases) assert.throws(() => readChaincodePackage(bytes), isCode(expected));
  const good = rawTar(rawEntry('metadata.json', META), rawEntry('code.tar.gz', code));
  const flipped = Buffer.from(good);
  flipped[10] ^= 1; // a byte of the first header's name: checksum no longer matches
  assert.throws(() => readChaincodePackage(gzipStored(flipped)), isCode('MALFORMED_PACKAGE'));
  assert.throws(() => readChaincodePackage(gzipStored(good.subarray(0, 700))), isCode('MALFORMED_PACKAGE'));
});

test('readChaincodePackage enforces file-count and size limits', () => {
  const files = new Map(Array.from({ length: 5 }, (_, i) => [`src/f${i}.js`, Buffer.alloc(1000, i)] as [string, Uint8Array]));
  const pkg = buildChaincodePackage({ label: 'many', files });
  assert.throws(() => readChaincodePackage(pkg.bytes, { maxFiles: 4 }), isCode('PACKAGE_TOO_LARGE'));
  assert.throws(() => readChaincodePackage(pkg.bytes, { maxUnpackedBytes: 4000 }), isCode('PACKAGE_TOO_LARGE'));
  assert.throws(() => readChaincodePackage(pkg.bytes, { maxPackageBytes: 1000 }), isCode('PACKAGE_TOO_LARGE'));
  const bomb = packageWithCode(rawTar(rawEntry('src/zeros', Buffer.alloc(8 * 1024 * 1024))));
  assert.throws(() => readChaincodePackage(bomb, { maxUnpackedBytes: 1024 * 1024 }), isCode('PACKAGE_TOO_LARGE'));
  assert.equal(readChaincodePackage(pkg.bytes).files.size, 5);
});

test('paths longer than 100 bytes go into the ustar prefix and read back', () => {
  const long = `src/${'d'.repeat(90)}/${'f'.repeat(90)}.js`;
  const pkg = buildChaincodePackage({ label: 'long', files: new Map([[long, Buffer.from('1')]]) });
  assert.deepEqual([...readChaincodePackage(pkg.bytes).files.keys()], [long]);
  assert.throws(
    () => buildChaincodePackage({ label: 'long', files: new Map([[`src/${'x'.repeat(300)}`, Buffer.from('1')]]) }),
    isCode('UNSAFE_PATH'),
  );
  assert.throws(() => writeTar([{ path: 'src/../x', content: Buffer.from('') }]), isCode('UNSAFE_PATH'));
});

test('verifyInstalledPackage accepts the approved package and catches a tampered one', async () => {
  await withSourceTree(async (dirs) => {
    const approved = await packageFrom(dirs);
    assert.equal(verifyInstalledPackage(approved.bytes, approved.packageId).codeDigest, approved.codeDigest);

    // A meter owner edits the LR code and repackages it under the approved label.
    await writeFile(join(dirs.vendor, 'index.js'), "exports.version = 'vendored'; exports.speedBonus = 10;\n");
    const tampered = await packageFrom(dirs);
    assert.throws(
      () => verifyInstalledPackage(tampered.bytes, approved.packageId),
      (e: unknown) => {
        assert.ok(e instanceof LifecycleError && e.code === 'FINGERPRINT_MISMATCH');
        assert.deepEqual(e.details, { expected: approved.packageId, found: tampered.packageId });
        return true;
      },
    );

    // A corrupted download: one flipped byte is enough.
    const corrupt = Buffer.from(approved.bytes);
    corrupt[corrupt.length - 100] ^= 0x01;
    assert.throws(() => verifyInstalledPackage(corrupt, approved.packageId), isCode('FINGERPRINT_MISMATCH'));

    // Same bytes approved under another label is not the same Fabric package id.
    const relabeled = `other:${approved.packageId.split(':')[1]}`;
    assert.throws(() => verifyInstalledPackage(approved.bytes, relabeled), isCode('FINGERPRINT_MISMATCH'));
    for (const bad of ['', 'demo_1.0', 'demo_1.0:abc', `demo 1:${'0'.repeat(64)}`, `demo:${'A'.repeat(64)}`]) {
      assert.throws(() => verifyInstalledPackage(approved.bytes, bad), isCode('BAD_PACKAGE_ID'));
    }
  });
});

test('labels follow Fabric syntax', () => {
  const files = new Map([['src/package.json', Buffer.from('{}')]]);
  for (const ok of ['a', 'metroledger-speed_1.0.0', 'A.b+c-d_e9']) assert.equal(buildChaincodePackage({ label: ok, files }).label, ok);
  for (const bad of ['', '_a', 'a_', 'a__b', 'a b', 'a:b', 'a/b', 'ä']) {
    assert.throws(() => buildChaincodePackage({ label: bad, files }), isCode('BAD_LABEL'));
    assert.throws(() => computePackageId(bad, new Uint8Array()), isCode('BAD_LABEL'));
  }
});

test('sourceDigest depends on paths and contents, not on order, and keeps file boundaries', () => {
  const a = sourceDigest([
    ['src/a', Buffer.from('1')],
    ['src/b', Buffer.from('2')],
  ]);
  assert.equal(
    sourceDigest([
      ['src/b', Buffer.from('2')],
      ['src/a', Buffer.from('1')],
    ]),
    a,
  );
  assert.notEqual(
    sourceDigest([
      ['src/a', Buffer.from('2')],
      ['src/b', Buffer.from('1')],
    ]),
    a,
  );
  assert.notEqual(sourceDigest([['ab', Buffer.from('c')]]), sourceDigest([['a', Buffer.from('bc')]]));
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('packaging refuses undeclared requires, missing files, links and unbuilt sources', async () => {
  await withSourceTree(async (dirs) => {
    await writeFile(join(dirs.src, 'extra.js'), "require('left-pad');\n");
    await assert.rejects(
      packageFrom(dirs),
      (e: unknown) => isCode('UNDECLARED_DEPENDENCY')(e) && (e as LifecycleError).details?.['module'] === 'left-pad',
    );
    await writeFile(join(dirs.src, 'extra.js'), "require('./missing');\n");
    await assert.rejects(packageFrom(dirs), isCode('UNDECLARED_DEPENDENCY'));
    await rm(join(dirs.src, 'extra.js'));
    await symlink('/etc/hostname', join(dirs.src, 'link.js'));
    await assert.rejects(packageFrom(dirs), isCode('BAD_SOURCE'));
    await rm(join(dirs.src, 'link.js'));
    await assert.rejects(
      packageChaincode({ label: 'x', sourceDir: join(dirs.root, 'nope'), packageJson: PACKAGE_JSON }),
      isCode('SOURCE_NOT_FOUND'),
    );
    await assert.rejects(
      packageChaincode({ label: 'x', sourceDir: dirs.src, packageJson: { ...PACKAGE_JSON, main: 'dist/absent.js' } }),
      isCode('BAD_SOURCE'),
    );
    await assert.rejects(packageFrom(dirs, 'bad label'), isCode('BAD_LABEL'));
  });
});
