// SPDX-License-Identifier: Apache-2.0
// Drives the governance chaincode through fabric-contract-api's own dispatch, with real X.509
// identities (NodeOUs) of the paper's organizations and real ECDSA approvals.
import assert from 'node:assert/strict';
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  approvedPackageForms,
  certificateRole,
  LR_SOFTWARE_APPROVAL_TYPE,
  LR_SOFTWARE_APPROVAL_TYPE_V2,
  lrSoftwareApprovalMessage,
  parseGovernanceErrorMessage,
  signLrSoftwareApproval,
  verifyLrSoftwareApproval,
  type CallerOrganization,
  type IntegrityIncidentRecord,
  type IntegrityIncidentReport,
  type LrApprovalCheck,
  type LrSoftwareRecord,
  type MeterModelRecord,
  type OrganizationRecord,
  type Page,
} from './index';
import {
  lrFields,
  modelApproval,
  payload,
  signerOf,
  TABLE_COLUMNS,
  testOrgs,
  TestNetwork,
  testPackageId,
  type TableColumn,
  type TestCaller,
  type TestOrgs,
} from './testing/network';

const DIR = join(__dirname, '..');
let t: TestOrgs;

before(async () => {
  t = await testOrgs();
});

function network(): TestNetwork {
  return new TestNetwork([{ name: 'governance', version: '1.0', dir: DIR }]);
}

function approval(version: string, overrides = {}): string {
  return JSON.stringify(signLrSoftwareApproval(lrFields(version, overrides), signerOf(t.inmetroAdmin)));
}

function incident(who: TestCaller, overrides: Partial<IntegrityIncidentReport> = {}): string {
  const report: IntegrityIncidentReport = {
    kind: 'FINGERPRINT_MISMATCH',
    chaincodeName: 'lr',
    expectedPackageId: lrFields('1.0').packageId,
    foundPackageId: testPackageId('lr_1.0', 'a modified package'),
    peer: certificateRole(who.idBytes).commonName,
    organization: who.mspId,
    ...overrides,
  };
  return JSON.stringify(report);
}

describe('governance: identities', () => {
  it('reads the NodeOU role and common name from real certificates', () => {
    assert.equal(certificateRole(t.callers.inmetroAdmin.idBytes).role, 'admin');
    assert.equal(certificateRole(t.callers.inmetroClient.idBytes).role, 'client');
    assert.equal(certificateRole(t.callers.lasigePeer.idBytes).role, 'peer');
    assert.equal(certificateRole(t.callers.lasigePeer.idBytes).commonName, 'peer0.lasige.example.com');
  });
});

describe('governance: organizations', () => {
  it('lets the notified-body admin register organizations; members can read them', async () => {
    const net = network();
    await net.bootstrap(t);
    const org = await net.query<OrganizationRecord>('governance', t.callers.cetspClient, 'getOrganization', 'LaSIGEMSP');
    assert.deepEqual([org.mspId, org.name, org.roles], ['LaSIGEMSP', 'LaSIGE', ['COMPUTING_PROVIDER']]);
    const all = await net.query<OrganizationRecord[]>('governance', t.callers.pucprClient, 'listOrganizations');
    assert.deepEqual(
      all.map((o) => o.mspId),
      ['CETSPMSP', 'LaSIGEMSP', 'PUCPRMSP'],
    );
    assert.deepEqual(await net.query<CallerOrganization>('governance', t.callers.inmetroClient, 'getCallerOrganization'), {
      mspId: 'InmetroMSP',
      notifiedBody: true,
      roles: [],
    });
    assert.deepEqual(await net.query<CallerOrganization>('governance', t.callers.cetspClient, 'getCallerOrganization'), {
      mspId: 'CETSPMSP',
      notifiedBody: false,
      roles: ['METER_OWNER'],
    });
    await net.assertRejected('governance', 'ACCESS_DENIED', t.callers.unknownClient, 'getCallerOrganization');
    await net.assertRejected('governance', 'ORGANIZATION_NOT_FOUND', t.callers.lasigeClient, 'getOrganization', 'RogueMSP');
    // Re-registration replaces roles.
    await net.submit(
      'governance',
      t.callers.inmetroAdmin,
      'registerOrganization',
      JSON.stringify({ mspId: 'LaSIGEMSP', name: 'LaSIGE', roles: ['COMPUTING_PROVIDER', 'AUDITOR'] }),
    );
    assert.deepEqual((await net.query<OrganizationRecord>('governance', t.callers.lasigeClient, 'getOrganization', 'LaSIGEMSP')).roles, [
      'COMPUTING_PROVIDER',
      'AUDITOR',
    ]);
  });

  it('validates organization records', async () => {
    const net = network();
    for (const bad of [
      '{',
      JSON.stringify({ mspId: 'X MSP', name: 'x', roles: ['AUDITOR'] }),
      JSON.stringify({ mspId: 'XMSP', name: 'x', roles: [] }),
      JSON.stringify({ mspId: 'XMSP', name: 'x', roles: ['KING'] }),
      JSON.stringify({ mspId: 'XMSP', name: 'x', roles: ['AUDITOR'], extra: 1 }),
      JSON.stringify({ mspId: 'InmetroMSP', name: 'x', roles: ['AUDITOR'] }),
    ]) {
      await net.assertRejected('governance', 'INVALID_RECORD', t.callers.inmetroAdmin, 'registerOrganization', bad);
    }
  });
});

describe('governance: LR software registry', () => {
  it('stores an approval signed by the notified body, verifiable off-ledger, and lists it', async () => {
    const net = network();
    await net.bootstrap(t);
    const r = await net.submit('governance', t.callers.inmetroAdmin, 'approveLrSoftware', approval('1.0'));
    const rec = payload<LrSoftwareRecord>(r);
    assert.equal(rec.status, 'APPROVED');
    assert.equal(rec.approvedTxId, net.lastTxId);
    assert.equal(rec.approvedAt, TestNetwork.txTime(net.txCount));
    assert.equal(rec.endorsementPolicy, "AND('LaSIGEMSP.peer','PUCPRMSP.peer')");
    assert.equal(r.event?.name, 'LrSoftwareApproved');
    // An auditor verifies the record with the certificate it carries.
    const stored = await net.query<LrSoftwareRecord>('governance', t.callers.pucprClient, 'getLrSoftware', 'lr', '1.0');
    assert.deepEqual(stored, rec);
    assert.equal(verifyLrSoftwareApproval(stored), true);
    assert.equal(verifyLrSoftwareApproval({ ...stored, packageId: testPackageId('lr_1.0', 'other') }), false);
    assert.equal(verifyLrSoftwareApproval({ ...stored, endorsementPolicy: "OR('LaSIGEMSP.peer','PUCPRMSP.peer')" }), false);
    assert.deepEqual(await net.query<LrSoftwareRecord>('governance', t.callers.lasigePeer, 'getLrSoftwareByPackageId', rec.packageId), rec);
    assert.deepEqual(
      (await net.query<LrSoftwareRecord[]>('governance', t.callers.cetspClient, 'listLrSoftware', 'lr')).map((x) => x.version),
      ['1.0'],
    );
    await net.assertRejected('governance', 'LR_SOFTWARE_NOT_FOUND', t.callers.cetspClient, 'getLrSoftware', 'lr', '9.9');
    await net.assertRejected(
      'governance',
      'LR_SOFTWARE_NOT_FOUND',
      t.callers.cetspClient,
      'getLrSoftwareByPackageId',
      testPackageId('lr_9', 'x'),
    );
  });

  it('refuses approvals that are tampered with, signed by someone else, malformed or duplicated', async () => {
    const net = network();
    await net.bootstrap(t);
    const good = signLrSoftwareApproval(lrFields('1.0'), signerOf(t.inmetroAdmin));
    // A field changed after signing: the signature no longer verifies.
    await net.assertRejected(
      'governance',
      'BAD_SIGNATURE',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      JSON.stringify({ ...good, endorsementPolicy: "OR('LaSIGEMSP.peer','PUCPRMSP.peer')" }),
    );
    // The same signature made high-S (Fabric rejects high-S).
    const key = createPrivateKey(t.orgs.inmetro.node('Admin').sign.keyPem);
    const p1363 = nodeSign('sha256', lrSoftwareApprovalMessage(good, good.notifiedBody), { key, dsaEncoding: 'ieee-p1363' });
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    let s = BigInt('0x' + p1363.subarray(32).toString('hex'));
    if (s <= n >> 1n) s = n - s;
    const der = (b: Buffer): Buffer => {
      let v = b;
      while (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) v = v.subarray(1);
      if (v[0]! & 0x80) v = Buffer.concat([Buffer.of(0), v]);
      return Buffer.concat([Buffer.of(2, v.length), v]);
    };
    const body = Buffer.concat([der(p1363.subarray(0, 32)), der(Buffer.from(s.toString(16).padStart(64, '0'), 'hex'))]);
    const highS = Buffer.concat([Buffer.of(0x30, body.length), body]).toString('base64');
    await net.assertRejected(
      'governance',
      'BAD_SIGNATURE',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      JSON.stringify({ ...good, signature: highS }),
    );
    // Signed by another notified-body identity than the submitter.
    const byClient = signLrSoftwareApproval(lrFields('1.0'), signerOf(t.orgs.inmetro.signingIdentity('User1')));
    await net.assertRejected('governance', 'INVALID_RECORD', t.callers.inmetroAdmin, 'approveLrSoftware', JSON.stringify(byClient));
    // Signed by an outsider claiming to be the notified body.
    const rogue = signLrSoftwareApproval(lrFields('1.0'), { ...signerOf(t.orgs.unknown.admin()), mspId: 'InmetroMSP' });
    await net.assertRejected('governance', 'INVALID_RECORD', t.callers.inmetroAdmin, 'approveLrSoftware', JSON.stringify(rogue));
    await net.assertRejected(
      'governance',
      'INVALID_RECORD',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      JSON.stringify({ ...good, notifiedBody: { ...good.notifiedBody, mspId: 'LaSIGEMSP' } }),
    );
    for (const fields of [
      { endorsementPolicy: "AND('LaSIGEMSP.peer',)" },
      { endorsementPolicy: 'LaSIGEMSP.king' },
      { packageId: 'lr_1.0:abc' },
      { packageId: 'lr 1.0:' + '0'.repeat(64) },
      { sourceSha256: 'XYZ' },
      { version: 'v 1' },
      { chaincodeName: 'lr!' },
    ]) {
      await net.assertRejected('governance', 'INVALID_RECORD', t.callers.inmetroAdmin, 'approveLrSoftware', approval('1.0', fields));
    }
    await net.assertRejected(
      'governance',
      'INVALID_RECORD',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      JSON.stringify({ ...good, extra: true }),
    );
    await net.assertRejected('governance', 'INVALID_RECORD', t.callers.inmetroAdmin, 'approveLrSoftware', 'not json');
    await net.submit('governance', t.callers.inmetroAdmin, 'approveLrSoftware', JSON.stringify(good));
    await net.assertRejected('governance', 'LR_SOFTWARE_EXISTS', t.callers.inmetroAdmin, 'approveLrSoftware', JSON.stringify(good));
    await net.assertRejected(
      'governance',
      'PACKAGE_ID_IN_USE',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      approval('1.1', { packageId: good.packageId }),
    );
  });

  it('a v2 approval signs the package forms it admits; v1 records keep verifying and admit node only', async () => {
    const net = network();
    await net.bootstrap(t);
    const v1 = signLrSoftwareApproval(lrFields('1.0'), signerOf(t.inmetroAdmin));
    const v2 = signLrSoftwareApproval(lrFields('1.1', { packageForms: ['ccaas', 'node'] }), signerOf(t.inmetroAdmin));
    assert.deepEqual(v2.packageForms, ['node', 'ccaas'], 'stored in canonical order');
    const message = (r: typeof v1): Record<string, string> =>
      JSON.parse(Buffer.from(lrSoftwareApprovalMessage(r, r.notifiedBody)).toString('utf8')) as Record<string, string>;
    assert.equal(message(v1)['type'], LR_SOFTWARE_APPROVAL_TYPE);
    assert.equal('packageForms' in message(v1), false, 'a v1 message is unchanged');
    assert.equal(message(v2)['type'], LR_SOFTWARE_APPROVAL_TYPE_V2);
    assert.equal(message(v2)['packageForms'], 'node,ccaas');
    assert.deepEqual(approvedPackageForms(v1), ['node']);
    assert.deepEqual(approvedPackageForms(v2), ['node', 'ccaas']);
    // The forms are signed: widening a v1 approval, or narrowing or widening a v2 one, breaks the signature.
    assert.equal(verifyLrSoftwareApproval({ ...v1, packageForms: ['node', 'ccaas'] }), false);
    assert.equal(verifyLrSoftwareApproval({ ...v2, packageForms: ['node'] }), false);
    const { packageForms: _dropped, ...v2AsV1 } = v2;
    assert.equal(verifyLrSoftwareApproval(v2AsV1), false);
    await net.assertRejected(
      'governance',
      'BAD_SIGNATURE',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      JSON.stringify({ ...v1, packageForms: ['node', 'ccaas'] }),
    );
    for (const packageForms of [[], ['docker'], ['node', 'node'], ['ccaas', 'node'], 'node']) {
      await net.assertRejected(
        'governance',
        'INVALID_RECORD',
        t.callers.inmetroAdmin,
        'approveLrSoftware',
        JSON.stringify({ ...v2, packageForms }),
      );
    }
    await net.submit('governance', t.callers.inmetroAdmin, 'approveLrSoftware', JSON.stringify(v1));
    await net.submit('governance', t.callers.inmetroAdmin, 'approveLrSoftware', JSON.stringify(v2));
    const [r1, r2] = await net.query<LrSoftwareRecord[]>('governance', t.callers.cetspClient, 'listLrSoftware', 'lr');
    assert.equal(r1!.packageForms, undefined);
    assert.deepEqual(r2!.packageForms, ['node', 'ccaas']);
    assert.equal(verifyLrSoftwareApproval(r1!), true);
    assert.equal(verifyLrSoftwareApproval(r2!), true);
  });

  it('upgrade and withdrawal: each version has its own approval; a withdrawn version stays listed', async () => {
    const net = network();
    await net.bootstrap(t, { versions: ['1.0', '1.1'] });
    const active = async (): Promise<string[]> =>
      (await net.query<LrSoftwareRecord[]>('governance', t.callers.lasigeClient, 'getActiveLrSoftware', 'lr')).map((r) => r.version);
    assert.deepEqual(await active(), ['1.0', '1.1']);
    const r = await net.submit(
      'governance',
      t.callers.inmetroAdmin,
      'withdrawLrSoftware',
      'lr',
      '1.0',
      'superseded by 1.1 (edge detection fix)',
    );
    const withdrawn = payload<LrSoftwareRecord>(r);
    assert.equal(withdrawn.status, 'WITHDRAWN');
    assert.deepEqual(withdrawn.withdrawal, {
      reason: 'superseded by 1.1 (edge detection fix)',
      txId: net.lastTxId,
      at: TestNetwork.txTime(net.txCount),
    });
    assert.equal(r.event?.name, 'LrSoftwareWithdrawn');
    assert.equal(verifyLrSoftwareApproval(withdrawn), true, 'the original approval still verifies');
    assert.deepEqual(await active(), ['1.1']);
    assert.deepEqual(
      (await net.query<LrSoftwareRecord[]>('governance', t.callers.lasigeClient, 'listLrSoftware', 'lr')).map((x) => [x.version, x.status]),
      [
        ['1.0', 'WITHDRAWN'],
        ['1.1', 'APPROVED'],
      ],
    );
    await net.assertRejected('governance', 'LR_SOFTWARE_WITHDRAWN', t.callers.inmetroAdmin, 'withdrawLrSoftware', 'lr', '1.0', 'again');
    await net.assertRejected('governance', 'LR_SOFTWARE_NOT_FOUND', t.callers.inmetroAdmin, 'withdrawLrSoftware', 'lr', '7.0', 'unknown');
    await net.assertRejected('governance', 'INVALID_ARGUMENT', t.callers.inmetroAdmin, 'withdrawLrSoftware', 'lr', '1.1', ' ');
    // A withdrawn version cannot be approved again: a fix is a new version.
    await net.assertRejected(
      'governance',
      'LR_SOFTWARE_EXISTS',
      t.callers.inmetroAdmin,
      'approveLrSoftware',
      approval('1.0', { packageId: testPackageId('lr_1.0', 'rebuilt') }),
    );
  });
});

describe('governance: meter models', () => {
  it('type-approves a model with approved LR versions, keeps every revision, and answers checkLrApproval', async () => {
    const net = network();
    await net.bootstrap(t, { versions: ['1.0', '1.1'] });
    const first = payload<MeterModelRecord>(
      await net.submit('governance', t.callers.inmetroAdmin, 'approveMeterModel', JSON.stringify(modelApproval('ML-2L', ['1.0']))),
    );
    assert.equal(first.revision, 1);
    const check = (model: string, version: string): Promise<LrApprovalCheck> =>
      net.query<LrApprovalCheck>('governance', t.callers.cetspClient, 'checkLrApproval', model, 'lr', version);
    assert.deepEqual(await check('ML-2L', '1.0'), {
      approved: true,
      model: 'ML-2L',
      modelRevision: 1,
      chaincodeName: 'lr',
      version: '1.0',
      packageId: lrFields('1.0').packageId,
      codeDigest: lrFields('1.0').sourceSha256,
    });
    assert.equal((await check('ML-2L', '1.1')).approved, false);
    assert.deepEqual(await check('ML-9', '1.0'), {
      approved: false,
      code: 'MODEL_NOT_APPROVED',
      detail: 'meter model ML-9 is not type-approved',
    });
    const second = payload<MeterModelRecord>(
      await net.submit('governance', t.callers.inmetroAdmin, 'approveMeterModel', JSON.stringify(modelApproval('ML-2L', ['1.0', '1.1']))),
    );
    assert.equal(second.revision, 2);
    assert.equal((await check('ML-2L', '1.1')).approved, true);
    assert.deepEqual(await net.query<MeterModelRecord>('governance', t.callers.lasigeClient, 'getMeterModel', 'ML-2L'), second);
    assert.deepEqual(
      (await net.query<MeterModelRecord[]>('governance', t.callers.lasigeClient, 'getMeterModelHistory', 'ML-2L')).map(
        (m) => m.approvedLrVersions,
      ),
      [['1.0'], ['1.0', '1.1']],
    );
    assert.deepEqual(
      (await net.query<MeterModelRecord[]>('governance', t.callers.lasigeClient, 'listMeterModels')).map((m) => m.model),
      ['ML-2L'],
    );
    // Withdrawing an LR version un-approves it for every model.
    await net.submit('governance', t.callers.inmetroAdmin, 'withdrawLrSoftware', 'lr', '1.0', 'defect found');
    const withdrawn = await check('ML-2L', '1.0');
    assert.deepEqual(withdrawn, { approved: false, code: 'LR_VERSION_NOT_APPROVED', detail: 'lr version 1.0 is withdrawn' });
    await net.assertRejected('governance', 'METER_MODEL_NOT_FOUND', t.callers.lasigeClient, 'getMeterModel', 'ML-9');
  });

  it('refuses models that name unapproved or withdrawn versions, and malformed ones', async () => {
    const net = network();
    await net.bootstrap(t, { versions: ['1.0', '1.1'] });
    await net.submit('governance', t.callers.inmetroAdmin, 'withdrawLrSoftware', 'lr', '1.1', 'defect');
    await net.assertRejected(
      'governance',
      'LR_SOFTWARE_NOT_FOUND',
      t.callers.inmetroAdmin,
      'approveMeterModel',
      JSON.stringify(modelApproval('M', ['2.0'])),
    );
    await net.assertRejected(
      'governance',
      'LR_SOFTWARE_NOT_FOUND',
      t.callers.inmetroAdmin,
      'approveMeterModel',
      JSON.stringify(modelApproval('M', ['1.0'], { chaincodeName: 'other' })),
    );
    await net.assertRejected(
      'governance',
      'LR_SOFTWARE_WITHDRAWN',
      t.callers.inmetroAdmin,
      'approveMeterModel',
      JSON.stringify(modelApproval('M', ['1.0', '1.1'])),
    );
    for (const bad of [
      modelApproval('M', ['1.0', '1.0']),
      modelApproval('', ['1.0']),
      { ...modelApproval('M', ['1.0']), approvedLrVersions: '1.0' },
      { ...modelApproval('M', ['1.0']), approvedAt: 'x' },
    ]) {
      await net.assertRejected('governance', 'INVALID_RECORD', t.callers.inmetroAdmin, 'approveMeterModel', JSON.stringify(bad));
    }
    await net.assertRejected(
      'governance',
      'INVALID_ARGUMENT',
      t.callers.inmetroAdmin,
      'approveMeterModel',
      JSON.stringify(modelApproval('M\u0000x', ['1.0'])),
    );
  });
});

describe('governance: integrity incidents', () => {
  it('records a peer’s report with the transaction time; auditors page through them', async () => {
    const net = network();
    await net.bootstrap(t);
    const r = await net.submit(
      'governance',
      t.callers.lasigePeer,
      'reportIntegrityIncident',
      incident(t.callers.lasigePeer, { detail: 'installed package differs' }),
    );
    const rec = payload<IntegrityIncidentRecord>(r);
    assert.equal(rec.detectedAt, TestNetwork.txTime(net.txCount));
    assert.equal(rec.txId, net.lastTxId);
    assert.equal(rec.peer, 'peer0.lasige.example.com');
    assert.equal(rec.organization, 'LaSIGEMSP');
    assert.equal(r.event?.name, 'IntegrityIncident');
    await net.submit(
      'governance',
      t.callers.pucprPeer,
      'reportIntegrityIncident',
      incident(t.callers.pucprPeer, { kind: 'UNAPPROVED_PACKAGE', expectedPackageId: '' }),
    );
    await net.submit(
      'governance',
      t.callers.inmetroPeer,
      'reportIntegrityIncident',
      incident(t.callers.inmetroPeer, { kind: 'WITHDRAWN_PACKAGE' }),
    );
    const seen: string[] = [];
    let bookmark = '';
    let pages = 0;
    do {
      const page = await net.query<Page<IntegrityIncidentRecord>>(
        'governance',
        t.callers.cetspClient,
        'listIntegrityIncidents',
        '2',
        bookmark,
      );
      seen.push(...page.records.map((x) => `${x.organization}:${x.kind}`));
      bookmark = page.bookmark;
      pages++;
    } while (bookmark !== '' && pages < 5);
    assert.deepEqual(seen, ['LaSIGEMSP:FINGERPRINT_MISMATCH', 'PUCPRMSP:UNAPPROVED_PACKAGE', 'InmetroMSP:WITHDRAWN_PACKAGE']);
    assert.equal(pages, 2);
  });

  it('refuses reports for another organization or peer, by non-peers, and malformed ones', async () => {
    const net = network();
    await net.bootstrap(t);
    const { lasigePeer, pucprPeer, lasigeClient, unknownPeer } = t.callers;
    await net.assertRejected('governance', 'ACCESS_DENIED', lasigePeer, 'reportIntegrityIncident', incident(pucprPeer));
    await net.assertRejected(
      'governance',
      'ACCESS_DENIED',
      lasigePeer,
      'reportIntegrityIncident',
      incident(lasigePeer, { peer: 'peer1.lasige.example.com' }),
    );
    await net.assertRejected('governance', 'ACCESS_DENIED', lasigeClient, 'reportIntegrityIncident', incident(lasigeClient));
    await net.assertRejected('governance', 'ACCESS_DENIED', unknownPeer, 'reportIntegrityIncident', incident(unknownPeer));
    for (const o of [
      { kind: 'BAD_KIND' },
      { foundPackageId: 'nope' },
      { expectedPackageId: '' },
      { foundPackageId: lrFields('1.0').packageId },
      { detail: '' },
    ] as Partial<IntegrityIncidentReport>[]) {
      await net.assertRejected('governance', 'INVALID_RECORD', lasigePeer, 'reportIntegrityIncident', incident(lasigePeer, o));
    }
    await net.assertRejected('governance', 'INVALID_ARGUMENT', lasigeClient, 'listIntegrityIncidents', '0', '');
    await net.assertRejected('governance', 'INVALID_ARGUMENT', lasigeClient, 'listIntegrityIncidents', '10', 'Zm9v');
  });
});

/** The access-control table of docs/GOVERNANCE.md (governance chaincode): callers allowed per function. */
const NB_ADMIN: TableColumn[] = ['inmetroAdmin'];
const PEERS: TableColumn[] = ['lasigePeer', 'pucprPeer'];
const MEMBERS: TableColumn[] = TABLE_COLUMNS.filter((c) => !c.startsWith('unknown'));

describe('governance: access control per function and role', () => {
  it('allows exactly the table’s callers, and denies the others with ACCESS_DENIED', async () => {
    const net = network();
    await net.bootstrap(t, { versions: ['1.0', '1.1'], model: 'ML-2L' });
    const pkg = lrFields('1.0').packageId;
    const rows: [string, TableColumn[], (who: TestCaller) => string[]][] = [
      ['registerOrganization', NB_ADMIN, () => [JSON.stringify({ mspId: 'AuditMSP', name: 'Auditor', roles: ['AUDITOR'] })]],
      ['approveLrSoftware', NB_ADMIN, () => [approval('2.0')]],
      ['withdrawLrSoftware', NB_ADMIN, () => ['lr', '1.0', 'defect']],
      ['approveMeterModel', NB_ADMIN, () => [JSON.stringify(modelApproval('ML-3', ['1.1']))]],
      ['reportIntegrityIncident', PEERS, (who) => [incident(who)]],
      ['getOrganization', MEMBERS, () => ['LaSIGEMSP']],
      ['listOrganizations', MEMBERS, () => []],
      ['getCallerOrganization', MEMBERS, () => []],
      ['getLrSoftware', MEMBERS, () => ['lr', '1.0']],
      ['getLrSoftwareByPackageId', MEMBERS, () => [pkg]],
      ['listLrSoftware', MEMBERS, () => ['lr']],
      ['getActiveLrSoftware', MEMBERS, () => ['lr']],
      ['getMeterModel', MEMBERS, () => ['ML-2L']],
      ['getMeterModelHistory', MEMBERS, () => ['ML-2L']],
      ['listMeterModels', MEMBERS, () => []],
      ['checkLrApproval', MEMBERS, () => ['ML-2L', 'lr', '1.0']],
      ['listIntegrityIncidents', MEMBERS, () => ['10', '']],
    ];
    const table: string[] = [];
    for (const [fn, allowed, args] of rows) {
      const cells: string[] = [];
      for (const col of TABLE_COLUMNS) {
        const who = t.callers[col];
        const r = await net.invoke('governance', who, fn, ...args(who));
        if (allowed.includes(col)) {
          assert.equal(r.response.status, 200, `${fn} by ${who.label}: ${r.response.message}`);
        } else {
          assert.equal(r.response.status, 500, `${fn} by ${who.label} should be denied`);
          assert.equal(
            parseGovernanceErrorMessage(r.response.message)?.code,
            'ACCESS_DENIED',
            `${fn} by ${who.label}: ${r.response.message}`,
          );
        }
        cells.push(r.response.status === 200 ? 'yes' : 'no');
      }
      table.push(`${fn}: ${cells.join(' ')}`);
    }
    assert.equal(table.length, rows.length);
  });
});
