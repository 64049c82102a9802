// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  buildChaincodePackage,
  extractChaincodePackage,
  LifecycleError,
  packageLrChaincode,
  packageWorkspaceChaincode,
  verifyInstalledPackage,
  type LifecycleErrorCode,
} from './index';

function isCode(code: LifecycleErrorCode) {
  return (e: unknown) => e instanceof LifecycleError && e.code === code;
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ml-extract-'));
}

/** Runs `script` in a fresh node process (fabric-contract-api hooks process-wide state on load). */
function runNode(script: string): string {
  return execFileSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' },
  }).trim();
}

test('an extracted package runs its vendored module, not a same-named module around it', async () => {
  const root = await tempDir();
  try {
    // A decoy "@demo/lib" in a node_modules above the extraction dir, as the repo's own copy would be.
    await mkdir(join(root, 'node_modules', '@demo', 'lib'), { recursive: true });
    await writeFile(join(root, 'node_modules', '@demo', 'lib', 'index.js'), "exports.who = 'decoy';");
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
    const out = await extractChaincodePackage(pkg.bytes, join(root, 'cc'));
    assert.equal(out.moduleDir, join(root, 'cc', 'src'));
    assert.equal(out.package.packageId, pkg.packageId);
    assert.equal(runNode(`console.log(require(${JSON.stringify(out.moduleDir)}).who)`), 'vendored');
    assert.deepEqual(await readFile(join(out.moduleDir, 'dist', 'index.js')), pkg.files.get('src/dist/index.js'));
    await assert.rejects(extractChaincodePackage(pkg.bytes, join(root, 'cc')), isCode('EXTRACT_TARGET_NOT_EMPTY'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('extraction refuses a package whose pinned registry dependency differs from the installed one', async () => {
  const root = await tempDir();
  try {
    const pkg = buildChaincodePackage({
      label: 'demo_1',
      files: new Map([
        [
          'src/package.json',
          Buffer.from(JSON.stringify({ name: 'demo', version: '1.0.0', main: 'i.js', dependencies: { 'fabric-shim': '9.9.9' } })),
        ],
        ['src/i.js', Buffer.from('')],
      ]),
    });
    await assert.rejects(
      extractChaincodePackage(pkg.bytes, join(root, 'cc')),
      (e: unknown) => isCode('DEPENDENCY_MISMATCH')(e) && (e as LifecycleError).details?.['pinned'] === '9.9.9',
    );
    const escaping = buildChaincodePackage({
      label: 'demo_1',
      files: new Map([['src/package.json', Buffer.from(JSON.stringify({ dependencies: { x: 'file:../../outside' } }))]]),
    });
    await assert.rejects(extractChaincodePackage(escaping.bytes, join(root, 'cc2')), isCode('MALFORMED_PACKAGE'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

const chaincodeBuilt = (() => {
  try {
    return (
      existsSync(join(dirname(require.resolve('@metroledger/chaincode/package.json')), 'dist', 'index.js')) &&
      existsSync(join(dirname(require.resolve('@metroledger/lr/package.json')), 'dist', 'index.js'))
    );
  } catch {
    return false;
  }
})();
const notBuilt = !chaincodeBuilt && 'packages/chaincode or packages/lr is not built (npx tsc -b packages/chaincode)';

test(
  'the LR chaincode package builds from the repository, reproducibly, with the LR code vendored verbatim',
  { skip: notBuilt },
  async () => {
    const a = await packageLrChaincode();
    const b = await packageLrChaincode();
    assert.deepEqual(a.bytes, b.bytes);
    assert.match(a.packageId, /^metroledger-speed_\d+\.\d+\.\d+:[0-9a-f]{64}$/);
    const pj = JSON.parse(Buffer.from(a.files.get('src/package.json')!).toString()) as {
      main: string;
      scripts: { start: string };
      dependencies: Record<string, string>;
    };
    assert.equal(pj.main, 'dist/index.js');
    assert.equal(pj.scripts.start, 'fabric-chaincode-node start');
    assert.deepEqual(Object.keys(pj.dependencies), ['@metroledger/errors', '@metroledger/lr', 'fabric-contract-api', 'fabric-shim']);
    // a Docker peer's npm install must resolve what the repository tested (class-transformer 0.4.1 breaks fabric-contract-api)
    const workspace = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      overrides: Record<string, string>;
    };
    assert.deepEqual((pj as { overrides?: unknown }).overrides, workspace.overrides);
    assert.equal(workspace.overrides['class-transformer'], '0.4.0');
    assert.match(pj.dependencies['fabric-shim']!, /^\d+\.\d+\.\d+$/);
    const lrDist = join(dirname(require.resolve('@metroledger/lr/package.json')), 'dist');
    for (const [path, content] of a.files) {
      assert.ok(!/\.(map|d\.ts|tsbuildinfo)$|\.test\.js$|\/testing\//.test(path), `no build or test artefacts: ${path}`);
      const m = /^src\/lib\/@metroledger\/lr\/dist\/(.+)$/.exec(path);
      if (m) assert.deepEqual(content, readFileSync(join(lrDist, m[1]!)), `vendored ${m[1]} is the built LR file`);
    }
    assert.ok(a.files.has('src/lib/@metroledger/lr/dist/index.js'));

    // Another checkout: the built trees copied elsewhere (fresh mtimes, other absolute paths).
    const root = await tempDir();
    try {
      const chaincodeRoot = dirname(require.resolve('@metroledger/chaincode/package.json'));
      for (const [from, to] of [
        [chaincodeRoot, 'cc'],
        [dirname(lrDist), 'lr'],
      ] as const) {
        await cp(join(from, 'dist'), join(root, to, 'dist'), { recursive: true });
        await cp(join(from, 'package.json'), join(root, to, 'package.json'));
      }
      const elsewhere = await packageLrChaincode({ chaincodeRoot: join(root, 'cc'), lrRoot: join(root, 'lr') });
      assert.equal(elsewhere.packageId, a.packageId);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    assert.equal(verifyInstalledPackage(a.bytes, a.packageId).packageId, a.packageId);
  },
);

test(
  'the extracted LR chaincode loads its contracts with the vendored LR and the repository fabric-contract-api',
  { skip: notBuilt },
  async () => {
    const root = await tempDir();
    try {
      const pkg = await packageLrChaincode();
      const out = await extractChaincodePackage(pkg.bytes, join(root, 'cc'));
      const report = JSON.parse(
        runNode(`
      const dir = ${JSON.stringify(out.moduleDir)};
      const m = require(dir);
      const fs = require('node:fs');
      const from = require('node:path').join(dir, 'dist');
      console.log(JSON.stringify({
        contracts: Array.isArray(m.contracts) ? m.contracts.length : -1,
        lr: fs.realpathSync(require.resolve('@metroledger/lr', { paths: [from] })),
        fca: fs.realpathSync(require.resolve('fabric-contract-api', { paths: [from] })),
      }));`),
      ) as { contracts: number; lr: string; fca: string };
      assert.ok(report.contracts >= 1);
      assert.equal(report.lr, join(await realpath(out.moduleDir), 'lib', '@metroledger', 'lr', 'dist', 'index.js'));
      assert.equal(report.fca, await realpath(require.resolve('fabric-contract-api')));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
);

test(
  'the governance chaincode package builds reproducibly with @metroledger/policy vendored, and its extracted code loads its contract',
  { skip: notBuilt },
  async () => {
    const a = await packageWorkspaceChaincode('governance');
    assert.deepEqual((await packageWorkspaceChaincode('governance')).bytes, a.bytes);
    assert.match(a.packageId, /^metroledger-governance_\d+\.\d+\.\d+:[0-9a-f]{64}$/);
    const pj = JSON.parse(Buffer.from(a.files.get('src/package.json')!).toString()) as { dependencies: Record<string, string> };
    assert.deepEqual(pj.dependencies, {
      '@hyperledger/fabric-protos': require('@metroledger/policy/package.json').dependencies['@hyperledger/fabric-protos'],
      '@metroledger/errors': 'file:lib/@metroledger/errors',
      '@metroledger/policy': 'file:lib/@metroledger/policy',
      'fabric-contract-api': require('@metroledger/governance/package.json').dependencies['fabric-contract-api'],
      'fabric-shim': require('@metroledger/governance/package.json').dependencies['fabric-shim'],
    });
    for (const path of a.files.keys())
      assert.ok(!/\/testing\/|\.test\.js$|\.map$|\.d\.ts$/.test(path), `no test or build artefacts: ${path}`);
    assert.ok(a.files.has('src/lib/@metroledger/policy/dist/index.js'));
    const root = await tempDir();
    try {
      const out = await extractChaincodePackage(a.bytes, join(root, 'gov'));
      const report = JSON.parse(
        runNode(`
      const dir = ${JSON.stringify(out.moduleDir)};
      const m = require(dir);
      const { installedCodeDigest } = require('@metroledger/chaincode/api');
      console.log(JSON.stringify({
        contracts: m.contracts.map((c) => new c().getName()),
        policy: require('node:fs').realpathSync(require.resolve('@metroledger/policy', { paths: [require('node:path').join(dir, 'dist')] })),
        digest: installedCodeDigest(dir),
      }));`),
      ) as { contracts: string[]; policy: string; digest: string };
      assert.deepEqual(report.contracts, ['governance']);
      assert.equal(report.policy, join(await realpath(out.moduleDir), 'lib', '@metroledger', 'policy', 'dist', 'index.js'));
      assert.equal(report.digest, a.codeDigest, "the installed tree has the package's code digest");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
);
