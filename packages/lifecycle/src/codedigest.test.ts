// SPDX-License-Identifier: Apache-2.0
// The code digest of an installed tree (what the chaincode and the chaincode server compute)
// equals the package's, whatever installing added, and changes with any other file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedCodeDigest } from '@metroledger/chaincode/api';
import { buildChaincodePackage, extractChaincodePackage } from './index';

test('installedCodeDigest is the package codeDigest of an installed tree, ignoring what npm install adds', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ml-codedigest-'));
  try {
    const pkg = buildChaincodePackage({
      label: 'demo_1',
      files: new Map([
        [
          'src/package.json',
          Buffer.from(
            JSON.stringify({ name: 'demo', version: '1.0.0', main: 'dist/index.js', dependencies: { '@demo/lib': 'file:lib/@demo/lib' } }),
          ),
        ],
        ['src/dist/index.js', Buffer.from("exports.who = require('@demo/lib').who;")],
        ['src/lib/@demo/lib/package.json', Buffer.from('{"name":"@demo/lib","version":"1.0.0","main":"dist/index.js"}')],
        ['src/lib/@demo/lib/dist/index.js', Buffer.from("exports.who = 'vendored';")],
      ]),
    });
    const { moduleDir } = await extractChaincodePackage(pkg.bytes, join(root, 'cc'));
    assert.equal(installedCodeDigest(moduleDir), pkg.codeDigest);
    // what a Fabric peer's `npm install --omit=dev` leaves beside the code
    await writeFile(join(moduleDir, 'package-lock.json'), '{"lockfileVersion":3}');
    await mkdir(join(moduleDir, 'node_modules', 'left-pad'), { recursive: true });
    await writeFile(join(moduleDir, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;');
    await mkdir(join(moduleDir, 'lib', '@demo', 'lib', 'node_modules'), { recursive: true });
    assert.equal(installedCodeDigest(moduleDir), pkg.codeDigest);
    // anything else changes it
    await writeFile(join(moduleDir, 'dist', 'extra.js'), '');
    assert.notEqual(installedCodeDigest(moduleDir), pkg.codeDigest);
    await unlink(join(moduleDir, 'dist', 'extra.js'));
    await writeFile(join(moduleDir, 'dist', 'package-lock.json'), '{}');
    assert.notEqual(installedCodeDigest(moduleDir), pkg.codeDigest, "only the top-level lockfile is npm's");
    await unlink(join(moduleDir, 'dist', 'package-lock.json'));
    assert.equal(installedCodeDigest(moduleDir), pkg.codeDigest);
    // a link outside node_modules: not an installed package
    await unlink(join(moduleDir, 'dist', 'index.js'));
    await symlink(join(root, 'elsewhere.js'), join(moduleDir, 'dist', 'index.js'));
    assert.equal(installedCodeDigest(moduleDir), undefined);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
