// SPDX-License-Identifier: Apache-2.0
// Re-execution by the approved package: the auditor's bundled LR software is of another version than
// the ledger's readings, and the LR chaincode package whose fingerprint the ledger approves
// re-executes them. A package the ledger never approved is refused, its code never loaded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChaincodePackage, buildCcaasPackage, packageWorkspaceChaincode, readChaincodePackage } from '@metroledger/lifecycle';
import {
  AuditError,
  governancePlugin,
  ledgerDirectorySource,
  runAudit,
  type AuditErrorCode,
  type AuditOptions,
  type AuditReport,
} from './index';
import { LR_1_1_0_PACKAGE, UPGRADE_FIXTURES, unpackUpgradeFixture } from './testing/fabric';

let root: string;
/** An LR module of a version no recorded ledger holds: the bundled version "bumped". */
let otherVersion: string;
let modified: string;
let relabelled: string;
const ledgers = new Map<string, string>();

const isAuditError = (code: AuditErrorCode) => (e: unknown) => e instanceof AuditError && e.code === code;
const MARKER = '__metroledgerModifiedLrLoaded';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-lrpkg-'));
  otherVersion = join(root, 'lr-9.9.9.js');
  await writeFile(
    otherVersion,
    "exports.LR_SOFTWARE_NAME = 'metroledger-speed'; exports.LR_SOFTWARE_VERSION = '9.9.9'; exports.measurementRecord = () => { throw new Error('not this version'); };\n",
  );
  const approved = readChaincodePackage(await readFile(LR_1_1_0_PACKAGE));
  // A modified copy of the approved code: one constant of the speed computation changed, repacked under the same label.
  const files = new Map(approved.files);
  const speed = 'src/lib/@metroledger/lr/dist/speed.js';
  const source = Buffer.from(files.get(speed)!).toString('utf8');
  assert.ok(source.includes('const ONSET_HIGH = 0.4;'));
  files.set(speed, Buffer.from(`globalThis.${MARKER} = true;\n${source.replace('const ONSET_HIGH = 0.4;', 'const ONSET_HIGH = 0.45;')}`));
  modified = join(root, 'lr-modified.tgz');
  const tampered = buildChaincodePackage({ label: approved.label, files });
  assert.notEqual(tampered.packageId, approved.packageId);
  await writeFile(modified, tampered.bytes);
  // The approved code under another label: another package id, the same code digest.
  relabelled = join(root, 'lr-relabelled.tgz');
  const same = buildChaincodePackage({ label: 'speed_custom', files: approved.files });
  assert.equal(same.codeDigest, approved.codeDigest);
  await writeFile(relabelled, same.bytes);
  for (const v of UPGRADE_FIXTURES) ledgers.set(v, await unpackUpgradeFixture(v, join(root, v)));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const audit = async (version: string, extra: Partial<AuditOptions>): Promise<AuditReport> =>
  (
    await runAudit(ledgerDirectorySource(ledgers.get(version)!), {
      plugins: [governancePlugin()],
      workers: 0,
      lrModules: [otherVersion],
      ...extra,
    })
  ).report;

for (const version of UPGRADE_FIXTURES) {
  describe(`recorded Fabric ${version} ledger (LR 1.1.0 readings), the auditor's own LR at 9.9.9`, () => {
    test('without the package every reading is UNKNOWN_LR_VERSION; with the approved package every reading re-executes exactly, inline and with workers', async () => {
      const without = await audit(version, {});
      assert.equal(without.counts.readings, 30);
      assert.equal(without.counts.reexecuted, 0);
      assert.deepEqual(Object.keys(without.findingCounts), ['UNKNOWN_LR_VERSION']);
      assert.equal(without.findingCounts.UNKNOWN_LR_VERSION, 30);
      assert.equal(without.verdict, 'PASS_WITH_WARNINGS');

      for (const workers of [0, 2]) {
        const withPackage = await audit(version, { lrPackages: [LR_1_1_0_PACKAGE], workers });
        assert.deepEqual(withPackage.findings, [], `workers ${workers}`);
        assert.equal(withPackage.verdict, 'PASS');
        assert.equal(withPackage.counts.reexecuted, 30);
        const used = withPackage.lrSoftware.find((u) => u.from === 'package');
        assert.ok(used?.package !== undefined);
        const approved = readChaincodePackage(await readFile(LR_1_1_0_PACKAGE));
        assert.deepEqual([used.name, used.version, used.verified, used.readings], ['metroledger-speed', '1.1.0', true, 30]);
        assert.deepEqual(
          [used.package.packageId, used.package.codeDigest, used.package.approval.matchedBy, used.package.approval.chaincodeName],
          [approved.packageId, approved.codeDigest, 'packageId', 'lr'],
        );
        assert.equal(used.package.approval.codeDigest, approved.codeDigest);
        // the unverified module is listed as such and re-executed nothing
        assert.deepEqual(
          withPackage.lrSoftware.filter((u) => u.from === 'module').map((u) => [u.version, u.verified, u.readings]),
          [['9.9.9', false, 0]],
        );
      }
    });

    test('the approved code under another package id is accepted by its code digest', async () => {
      const r = await audit(version, { lrPackages: [relabelled] });
      assert.deepEqual([r.verdict, r.counts.reexecuted], ['PASS', 30]);
      assert.equal(r.lrSoftware.find((u) => u.from === 'package')?.package?.approval.matchedBy, 'codeDigest');
    });

    test('a modified copy of the approved code is refused with LR_PACKAGE_NOT_APPROVED and never loaded', async () => {
      await assert.rejects(
        audit(version, { lrPackages: [modified], workers: 2 }),
        (e: unknown) => isAuditError('LR_PACKAGE_NOT_APPROVED')(e) && (e as Error).message.includes('lr-modified.tgz'),
      );
      assert.equal((globalThis as Record<string, unknown>)[MARKER], undefined);
    });
  });
}

test('an unreadable, corrupt, missing, ccaas or non-LR package is LR_PACKAGE_INVALID before anything is audited', async () => {
  const bytes = await readFile(LR_1_1_0_PACKAGE);
  const cut = join(root, 'cut.tgz');
  await writeFile(cut, bytes.subarray(0, bytes.length - 100));
  const ccaas = join(root, 'ccaas.tgz');
  await writeFile(
    ccaas,
    buildCcaasPackage({
      nodePackage: readChaincodePackage(bytes),
      chaincodeName: 'lr',
      connection: { address: 'lr.example.com:9999', dialTimeout: '10s', tlsRequired: false },
    }).bytes,
  );
  const governance = join(root, 'governance.tgz');
  await writeFile(governance, (await packageWorkspaceChaincode('governance')).bytes);
  for (const file of [cut, ccaas, governance, join(root, 'absent.tgz'), otherVersion]) {
    await assert.rejects(audit('3.0.0', { lrPackages: [file] }), isAuditError('LR_PACKAGE_INVALID'), file);
  }
  await assert.rejects(audit('3.0.0', { lrPackages: [bytes], plugins: [] }), isAuditError('LR_PACKAGE_NOT_APPROVED'));
});
