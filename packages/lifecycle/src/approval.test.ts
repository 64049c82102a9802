// SPDX-License-Identifier: Apache-2.0
// A provider's install check against the notified body's approval, for both package forms; and
// the approved LR code, run from its installed package, checking and reporting which code it is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { lrFields, modelApproval, payload, signerOf, testOrgs, TestNetwork, type TestOrgs } from '@metroledger/governance/testing/network';
import { signLrSoftwareApproval } from '@metroledger/governance/api';
import { TestMeter } from '@metroledger/chaincode/testing/meterkeys';
import { vehiclePass } from '@metroledger/chaincode/testing/signals';
import {
  buildCcaasPackage,
  buildChaincodePackage,
  checkPackageApproval,
  extractChaincodePackage,
  LifecycleError,
  packageWorkspaceChaincode,
  statedChaincode,
  type ChaincodePackage,
  type LifecycleErrorCode,
  type SoftwareApproval,
} from './index';

function isCode(code: LifecycleErrorCode) {
  return (e: unknown) => e instanceof LifecycleError && e.code === code;
}

const CONNECTION = { address: 'lr.lasige.example:9999', dialTimeout: '10s', tlsRequired: false };

let lr: ChaincodePackage;
let ccaas: ChaincodePackage;
let v1: SoftwareApproval;
let v2: SoftwareApproval;

before(async () => {
  lr = await packageWorkspaceChaincode('lr');
  ccaas = buildCcaasPackage({ nodePackage: lr, ...statedChaincode('lr'), connection: CONNECTION });
  v1 = {
    chaincodeName: 'lr',
    version: statedChaincode('lr').chaincodeVersion!,
    packageId: lr.packageId,
    sourceSha256: lr.codeDigest,
    status: 'APPROVED',
  };
  v2 = { ...v1, packageForms: ['node', 'ccaas'] };
});

describe('install check against the approval', () => {
  it('admits the approved node package under a v1 or v2 approval, and a ccaas package of the approved code only under v2', () => {
    assert.deepEqual(checkPackageApproval(lr, v1), { form: 'node', packageId: lr.packageId, codeDigest: lr.codeDigest });
    assert.equal(checkPackageApproval(lr, v2).form, 'node');
    const ok = checkPackageApproval(ccaas, v2);
    assert.deepEqual(
      [ok.form, ok.packageId, ok.codeDigest, ok.declaration?.nodePackageId],
      ['ccaas', ccaas.packageId, lr.codeDigest, lr.packageId],
    );
    assert.throws(
      () => checkPackageApproval(ccaas, v1),
      isCode('FORM_NOT_APPROVED'),
      'a v1 approval never admitted running the code as a service',
    );
    assert.throws(() => checkPackageApproval(lr, { ...v2, packageForms: ['ccaas'] }), isCode('FORM_NOT_APPROVED'));
    // another deployment's connection: same code, another id, still admitted
    const elsewhere = buildCcaasPackage({
      nodePackage: lr,
      ...statedChaincode('lr'),
      connection: { ...CONNECTION, address: 'lr.pucpr.example:7052' },
    });
    assert.notEqual(elsewhere.packageId, ccaas.packageId);
    assert.equal(checkPackageApproval(elsewhere, v2).codeDigest, lr.codeDigest);
  });

  it('refuses other code, an approval that contradicts itself, undeclared ccaas code, no approval and a withdrawn one, with typed codes', () => {
    const files = new Map(lr.files);
    const path = [...files.keys()].find((p) => p.startsWith('src/lib/@metroledger/lr/dist/') && p.endsWith('.js'))!;
    files.set(path, Buffer.concat([Buffer.from(files.get(path)!), Buffer.from('// patched\n')]));
    const modified = buildChaincodePackage({ label: lr.label, files });
    const modifiedCcaas = buildCcaasPackage({ nodePackage: modified, ...statedChaincode('lr'), connection: CONNECTION });
    assert.throws(
      () => checkPackageApproval(modified, v2),
      (e: unknown) => isCode('FINGERPRINT_MISMATCH')(e) && (e as LifecycleError).details?.['found'] === modified.packageId,
    );
    assert.throws(
      () => checkPackageApproval(modifiedCcaas, v2),
      (e: unknown) => isCode('CODE_DIGEST_MISMATCH')(e) && (e as LifecycleError).details?.['expected'] === lr.codeDigest,
    );
    assert.throws(() => checkPackageApproval(lr, { ...v2, sourceSha256: modified.codeDigest }), isCode('CODE_DIGEST_MISMATCH'));
    // the approved code, but declaring another node package (e.g. relabelled): not what was approved
    const relabelled = buildCcaasPackage({
      nodePackage: { ...lr, packageId: `other_1.0:${'0'.repeat(64)}` },
      ...statedChaincode('lr'),
      connection: CONNECTION,
    });
    assert.throws(() => checkPackageApproval(relabelled, v2), isCode('FINGERPRINT_MISMATCH'));
    assert.throws(() => checkPackageApproval(ccaas, { ...v2, version: '9.9' }), isCode('FINGERPRINT_MISMATCH'));
    const undeclared = buildChaincodePackage({
      label: 'lr_1.0',
      type: 'ccaas',
      files: new Map([['connection.json', Buffer.from(JSON.stringify({ address: 'x:1', dial_timeout: '10s', tls_required: false }))]]),
    });
    assert.throws(() => checkPackageApproval(undeclared, v2), isCode('CODE_NOT_DECLARED'));
    assert.throws(() => checkPackageApproval(ccaas, undefined), isCode('UNAPPROVED_PACKAGE'));
    assert.throws(() => checkPackageApproval(lr, { ...v1, status: 'WITHDRAWN' }), isCode('WITHDRAWN_PACKAGE'));
    assert.throws(() => checkPackageApproval(ccaas, { ...v2, status: 'WITHDRAWN' }), isCode('WITHDRAWN_PACKAGE'));
    assert.throws(
      () => checkPackageApproval(buildChaincodePackage({ label: 'x_1', type: 'golang', files: lr.files }), v2),
      isCode('UNSUPPORTED_PACKAGE_TYPE'),
    );
  });
});

describe('the LR chaincode run from its installed package', () => {
  let dir: string;
  let moduleDir: string;
  let t: TestOrgs;
  const meter = new TestMeter();
  const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 1000 };
  const GOVERNANCE_DIR = dirname(require.resolve('@metroledger/governance/package.json'));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ml-running-'));
    t = await testOrgs();
    moduleDir = (await extractChaincodePackage(lr.bytes, join(dir, 'lr'))).moduleDir;
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Governance and the installed LR package on one state; the LR version approved as naming `codeDigest`, and a model running it. */
  async function network(codeDigest: string): Promise<TestNetwork> {
    const net = new TestNetwork([
      { name: 'governance', version: '1.0', dir: GOVERNANCE_DIR },
      { name: 'lr', version: v1.version, dir: moduleDir },
    ]);
    await net.bootstrap(t);
    const fields = { ...lrFields(v1.version), packageId: lr.packageId, sourceSha256: codeDigest };
    await net.submit(
      'governance',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      JSON.stringify(signLrSoftwareApproval(fields, signerOf(t.inmetroAdmin))),
    );
    await net.submit('governance', t.callers.inmetroAdmin, 'approveMeterModel', JSON.stringify(modelApproval('ML-A', [v1.version])));
    return net;
  }

  const registration = JSON.stringify({
    meterId: 'SP-0001',
    ownerMspId: 'CETSPMSP',
    publicKeyPem: meter.publicKeyPem,
    geometry: GEOMETRY,
    location: { text: 'Av. Paulista 1000', lat: -23.5653, lon: -46.6527 },
    speedLimitKmh: 60,
    model: 'ML-A',
  });

  it('reports the digest of the code it was loaded from, and records it in each measurement', async () => {
    const net = await network(lr.codeDigest);
    const sw = await net.query<{ codeDigest?: string; chaincodeVersion: string }>('lr', t.callers.cetspClient, 'getRunningSoftware');
    assert.deepEqual([sw.chaincodeVersion, sw.codeDigest], [v1.version, lr.codeDigest]);
    await net.submit('lr', t.callers.inmetroClient, 'registerMeter', registration);
    const reading = meter.signedBase64({
      meterId: 'SP-0001',
      sequence: 1,
      captureTimeMs: 1_750_000_000_000,
      sampleRateHz: 1000,
      ...vehiclePass(80, 4.5, GEOMETRY),
    });
    const record = payload<{ status: string; lrSoftware: { codeDigest?: string; chaincodeVersion: string } }>(
      await net.submit('lr', t.callers.cetspClient, 'submitReading', reading),
    );
    assert.equal(record.status, 'MEASURED');
    assert.deepEqual([record.lrSoftware.chaincodeVersion, record.lrSoftware.codeDigest], [v1.version, lr.codeDigest]);
  });

  it('refuses to act while the approval of its version names other code (CODE_NOT_APPROVED)', async () => {
    const net = await network('ab'.repeat(32));
    await net.assertRejected('lr', 'CODE_NOT_APPROVED', t.callers.inmetroClient, 'registerMeter', registration);
  });
});
