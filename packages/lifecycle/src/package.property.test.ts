// SPDX-License-Identifier: Apache-2.0
// Property tests of the chaincode package reader (gzip, then tar, twice), which reads packages a
// peer operator downloads and the notified body approves: files come back as written, re-packing
// what was read gives the same bytes (and so the same package id), and damaged archives give
// LifecycleError, never another exception. (The reader also takes other packagers' tar forms, so
// only our own writer's output is canonical.)
// Fixed seeds: fast-check prints the seed and the shrunk counterexample of a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nearby, onlyThrows } from '@metroledger/proptest';
import { LifecycleError } from './errors';
import { gunzipBounded, gzipStored } from './gzip';
import { buildChaincodePackage, readChaincodePackage } from './package';
import { readTar, writeTar, type TarFile } from './tar';

const segment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,39}$/), fc.constantFrom('ção', 'índice.js', 'データ'));
const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
const files: fc.Arbitrary<TarFile[]> = fc
  .uniqueArray(fc.record({ path, content: fc.uint8Array({ maxLength: 1200 }) }), { selector: (f) => f.path, maxLength: 5 })
  .filter((fs) => fs.every((f) => Buffer.byteLength(f.path) <= 200)); // ustar: prefix 155 + name 100, split at a '/'
const label = fc.stringMatching(/^[a-zA-Z0-9]{1,8}([._+-][a-zA-Z0-9]{1,8}){0,2}$/);
const LIMITS = { maxFiles: 100, maxTotalBytes: 1 << 20 };

const hexFiles = (fs: Iterable<readonly [string, Uint8Array]>) => [...fs].map(([p, c]) => [p, Buffer.from(c).toString('hex')]);

test('tar: the files come back as written (in path byte order), and writing them again gives the same archive', () => {
  fc.assert(
    fc.property(files, (fs) => {
      const tar = writeTar(fs);
      const back = readTar(tar, LIMITS, 'test');
      const sorted = [...fs].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
      assert.deepEqual(hexFiles(back.map((f) => [f.path, f.content])), hexFiles(sorted.map((f) => [f.path, f.content])));
      assert.deepEqual([...writeTar(back)], [...tar]);
    }),
    { seed: 0x11fe_0001, numRuns: 200 },
  );
});

test('gzip: stored-block gzip round-trips through the bounded inflater, which refuses one byte more than its bound', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2, maxLength: 70_000 }), (data) => {
      assert.equal(Buffer.from(gunzipBounded(gzipStored(data), data.length, 'test')).compare(Buffer.from(data)), 0);
      assert.throws(
        () => gunzipBounded(gzipStored(data), data.length - 1, 'test'),
        (e: unknown) => e instanceof LifecycleError && e.code === 'PACKAGE_TOO_LARGE',
      );
    }),
    { seed: 0x11fe_0002, numRuns: 50 },
  );
});

test('package: reading a built package gives its label and files, and rebuilding them gives the same bytes and id', () => {
  fc.assert(
    fc.property(label, files, (l, fs) => {
      const built = buildChaincodePackage({ label: l, files: new Map(fs.map((f) => [f.path, f.content])) });
      const read = readChaincodePackage(built.bytes);
      assert.equal(read.label, l);
      assert.equal(read.packageId, built.packageId);
      assert.deepEqual(hexFiles(read.files), hexFiles(built.files));
      assert.equal(buildChaincodePackage({ label: read.label, files: read.files }).packageId, built.packageId);
    }),
    { seed: 0x11fe_0003, numRuns: 100 },
  );
});

test('damaged tar archives give LifecycleError or files, never another exception', () => {
  fc.assert(
    fc.property(nearby(files.map(writeTar)), (tar) => onlyThrows(LifecycleError, () => readTar(tar, LIMITS, 'test'))),
    { seed: 0x11fe_0004, numRuns: 1500 },
  );
});

test('pax and GNU long-name records (which other packagers write) with any content give LifecycleError or files', () => {
  // A two-entry archive whose first entry is turned into a pax ('x') or GNU long-name ('L') record.
  const paxLike = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc
      .tuple(fc.nat({ max: 200 }), fc.constantFrom('path', 'size', 'mtime'), fc.string({ maxLength: 20 }))
      .map(([n, k, v]) => Buffer.from(`${n} ${k}=${v}\n`)),
    fc.tuple(fc.constantFrom('path', 'size'), fc.string({ maxLength: 20 })).map(([k, v]) => {
      const body = ` ${k}=${v}\n`;
      let n = body.length + 1;
      if (String(n).length + body.length > n) n++;
      return Buffer.from(`${n}${body}`);
    }),
  );
  const archive = fc
    .tuple(paxLike, fc.constantFrom('x', 'L'), fc.record({ path, content: fc.uint8Array({ maxLength: 600 }) }))
    .map(([record, type, file]) => {
      const tar = writeTar([
        { path: 'a', content: record },
        { path: `b/${file.path}`, content: file.content },
      ]);
      tar[156] = type.charCodeAt(0);
      tar.fill(0x20, 148, 156);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += tar[i]!;
      tar.set(Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
      return tar;
    });
  fc.assert(
    fc.property(archive, (tar) => onlyThrows(LifecycleError, () => readTar(tar, LIMITS, 'test'))),
    { seed: 0x11fe_0006, numRuns: 1000 },
  );
});

test('damaged packages (gzip, outer tar, code archive) give LifecycleError or a package, never another exception', () => {
  const pkg = fc
    .tuple(label, files)
    .map(([l, fs]) => buildChaincodePackage({ label: l, files: new Map(fs.map((f) => [f.path, f.content])) }).bytes);
  // Damage the gzip stream itself, or the tar inside it (re-gzipped, so the damage reaches the tar reader).
  const damaged = fc.oneof(
    nearby(pkg),
    nearby(pkg.map((b) => gunzipBounded(b, 1 << 22, 'test'))).map(gzipStored),
    fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0x1f, 0x8b, ...b])),
  );
  fc.assert(
    fc.property(damaged, (bytes) => onlyThrows(LifecycleError, () => readChaincodePackage(bytes, { maxUnpackedBytes: 1 << 20 }))),
    { seed: 0x11fe_0005, numRuns: 1000 },
  );
});
