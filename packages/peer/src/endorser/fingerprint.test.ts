// SPDX-License-Identifier: Apache-2.0
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Context, Contract, Transaction } from 'fabric-contract-api';
import { hostContracts, MemoryState } from '@metroledger/chaincode-host';
import { generateOrganization, MspRegistry, type OrgMaterial } from '@metroledger/identity';
import { newTestSignedProposal } from '@metroledger/protocol/testing/proposal';
import { Endorser } from './endorser.js';
import { guardChaincode, type FingerprintIncident, type PackageApproval } from './fingerprint.js';

class EchoContract extends Contract {
  constructor() {
    super('echo');
  }

  @Transaction()
  async put(ctx: Context, key: string): Promise<string> {
    await ctx.stub.putState(key, Buffer.from('v'));
    return key;
  }
}

const INSTALLED = `lr_1.0:${'11'.repeat(32)}`;
const OTHER = `lr_1.0:${'22'.repeat(32)}`;

let pucpr: OrgMaterial;
let cetsp: OrgMaterial;
let approval: PackageApproval | undefined;
const incidents: FingerprintIncident[] = [];
let endorser: Endorser;

before(async () => {
  [pucpr, cetsp] = await Promise.all([
    generateOrganization({ name: 'PUCPR', mspId: 'PUCPRMSP', domain: 'pucpr.example.com', kind: 'peer', peers: ['peer0'] }),
    generateOrganization({ name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', users: ['User1'] }),
  ]);
  const guarded = guardChaincode(hostContracts({ name: 'lr', version: '1.0', contracts: [EchoContract] }), {
    peer: 'peer0.pucpr.example.com',
    organization: 'PUCPRMSP',
    installedPackageId: INSTALLED,
    approval: (name, version) => (name === 'lr' && version === '1.0' ? approval : undefined),
    onIncident: (i) => incidents.push(i),
  });
  endorser = new Endorser({
    identity: pucpr.signingIdentity('peer0'),
    address: 'peer0.pucpr.example.com:7051',
    channelId: 'metrology',
    msps: new MspRegistry([pucpr.mspConfig(), cetsp.mspConfig()]),
    ledger: { state: new MemoryState(), getTx: async () => undefined },
    chaincodes: [guarded],
  });
});

async function propose() {
  const { bytes } = newTestSignedProposal(cetsp.signingIdentity('User1'), { chaincodeName: 'lr', args: ['put', 'k'] });
  return endorser.processProposal(bytes);
}

test('without an approval of the running version the peer refuses to endorse, and reports nothing', async () => {
  approval = undefined;
  const r = await propose();
  assert.equal(r.status, 500);
  assert.equal(r.endorsement, undefined);
  assert.match(r.message, /^UNAPPROVED_PACKAGE: peer0\.pucpr\.example\.com \(PUCPRMSP\) refuses to run lr 1\.0/);
  assert.equal(incidents.length, 0);
});

test('the approved package id endorses; another one is refused with FINGERPRINT_MISMATCH, reported once per episode', async () => {
  approval = { packageId: INSTALLED, status: 'APPROVED' };
  const ok = await propose();
  assert.equal(ok.status, 200);
  assert.ok(ok.endorsement);

  approval = { packageId: OTHER, status: 'APPROVED' };
  for (let i = 0; i < 3; i++) {
    const r = await propose();
    assert.equal(r.status, 500);
    assert.equal(r.endorsement, undefined);
    assert.match(r.message, new RegExp(`^FINGERPRINT_MISMATCH: .*installed package ${INSTALLED} is not the approved package ${OTHER}`));
  }
  assert.deepEqual(
    incidents.map((i) => [i.kind, i.expectedPackageId, i.foundPackageId, i.peer, i.organization]),
    [['FINGERPRINT_MISMATCH', OTHER, INSTALLED, 'peer0.pucpr.example.com', 'PUCPRMSP']],
  );

  // the episode ends when the check passes; a new mismatch is a new incident
  approval = { packageId: INSTALLED, status: 'APPROVED' };
  assert.equal((await propose()).status, 200);
  approval = { packageId: OTHER, status: 'APPROVED' };
  assert.equal((await propose()).status, 500);
  assert.equal(incidents.length, 2);
});

test('a withdrawn version is refused with WITHDRAWN_PACKAGE and reported', async () => {
  incidents.length = 0;
  approval = { packageId: INSTALLED, status: 'WITHDRAWN' };
  const r = await propose();
  assert.equal(r.status, 500);
  assert.match(r.message, /^WITHDRAWN_PACKAGE: .*withdrew this version/);
  assert.deepEqual(
    incidents.map((i) => i.kind),
    ['WITHDRAWN_PACKAGE'],
  );
});
