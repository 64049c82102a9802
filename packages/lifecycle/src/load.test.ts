// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import {
  buildChaincodePackage,
  LifecycleError,
  packageLrChaincode,
  requirePackagedModule,
  vendoredModules,
  type LifecycleErrorCode,
} from './index';

const isCode = (code: LifecycleErrorCode) => (e: unknown) => e instanceof LifecycleError && e.code === code;
const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function demoPackage(extra: Record<string, string> = {}): ReturnType<typeof buildChaincodePackage> {
  return buildChaincodePackage({
    label: 'demo_1',
    files: new Map(
      Object.entries({
        'src/package.json': JSON.stringify({
          name: 'demo',
          version: '1.0.0',
          main: 'dist/index.js',
          dependencies: { '@demo/lib': 'file:lib/@demo/lib', '@demo/util': 'file:lib/@demo/util', 'fabric-shim': '2.5.8' },
        }),
        'src/dist/index.js': "exports.who = require('@demo/lib').who;",
        'src/lib/@demo/lib/package.json': '{"name":"@demo/lib","version":"1.0.0","main":"dist/index.js"}',
        'src/lib/@demo/lib/dist/index.js':
          "const { twice } = require('@demo/util'); const { createHash } = require('node:crypto'); exports.who = 'vendored ' + twice(require('./n').n) + ' ' + createHash('sha256').update('').digest('hex').slice(0, 4);",
        'src/lib/@demo/lib/dist/n.json': '{"n": 21}',
        'src/lib/@demo/util/package.json': '{"name":"@demo/util","version":"1.0.0","main":"dist/index.js"}',
        'src/lib/@demo/util/dist/index.js': 'exports.twice = (n) => 2 * n;',
        ...extra,
      }).map(([p, s]) => [p, utf8(s)]),
    ),
  });
}

test('a vendored module loads from the package bytes, with its relative files, other vendored modules and Node built-ins', () => {
  const lib = requirePackagedModule(demoPackage(), '@demo/lib') as { who: string };
  assert.equal(lib.who, 'vendored 42 e3b0');
});

test('the LR chaincode package yields the LR software it vendors', async () => {
  assert.deepEqual(
    [...vendoredModules(await packageLrChaincode())],
    [
      ['@metroledger/errors', 'src/lib/@metroledger/errors'],
      ['@metroledger/lr', 'src/lib/@metroledger/lr'],
    ],
  );
  const lr = requirePackagedModule(await packageLrChaincode(), '@metroledger/lr') as {
    LR_SOFTWARE_NAME: string;
    LR_SOFTWARE_VERSION: string;
    measurementRecord: unknown;
  };
  assert.deepEqual(
    [lr.LR_SOFTWARE_NAME, lr.LR_SOFTWARE_VERSION, typeof lr.measurementRecord],
    [LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION, 'function'],
  );
  // a copy of its own, not the module this process loaded from node_modules
  assert.notEqual(lr, require('@metroledger/lr'));
});

test('nothing outside the package loads: a registry module, a missing file, a module that is not vendored', () => {
  const shim = demoPackage({ 'src/lib/@demo/util/dist/index.js': "require('fabric-shim'); exports.twice = (n) => 2 * n;" });
  assert.throws(
    () => requirePackagedModule(shim, '@demo/lib'),
    (e: unknown) => isCode('MODULE_NOT_LOADABLE')(e) && /requires fabric-shim/.test((e as Error).message),
  );
  const escape = demoPackage({
    'src/lib/@demo/util/dist/index.js': "require('../../../../../package.json'); exports.twice = (n) => 2 * n;",
  });
  assert.throws(() => requirePackagedModule(escape, '@demo/lib'), isCode('MODULE_NOT_LOADABLE'));
  assert.throws(() => requirePackagedModule(demoPackage(), 'fabric-shim'), isCode('MODULE_NOT_LOADABLE'));
  assert.throws(() => requirePackagedModule(demoPackage(), '@other/lib'), isCode('MODULE_NOT_LOADABLE'));
  const throws = demoPackage({ 'src/lib/@demo/util/dist/index.js': "throw new Error('boom');" });
  assert.throws(
    () => requirePackagedModule(throws, '@demo/lib'),
    (e: unknown) => isCode('MODULE_NOT_LOADABLE')(e) && /boom/.test((e as Error).message),
  );
});
