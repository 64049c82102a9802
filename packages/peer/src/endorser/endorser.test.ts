// SPDX-License-Identifier: Apache-2.0
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Context, Contract, Transaction } from 'fabric-contract-api';
import { hostContracts, MemoryState } from '@metroledger/chaincode-host';
import {
  generateOrganization,
  issueIdentity,
  MspRegistry,
  SigningIdentity,
  verifySignature,
  type OrgMaterial,
} from '@metroledger/identity';
import { newTransactionEnvelope, parseEnvelope, parseSignedProposal } from '@metroledger/protocol';
import { newTestSignedProposal } from '@metroledger/protocol/testing/proposal';
import { Endorser } from './endorser.js';
import { PeerError } from './errors.js';

class CounterContract extends Contract {
  constructor() {
    super('counter');
  }

  @Transaction()
  async increment(ctx: Context, key: string): Promise<number> {
    const current = Number(Buffer.from(await ctx.stub.getState(key)).toString() || '0');
    await ctx.stub.putState(key, Buffer.from(String(current + 1)));
    ctx.stub.setEvent('Incremented', Buffer.from(key));
    return current + 1;
  }

  @Transaction()
  async fail(_ctx: Context, reason: string): Promise<void> {
    throw new Error(`REFUSED: ${reason}`);
  }
}

let lasige: OrgMaterial;
let cetsp: OrgMaterial;
let outsider: OrgMaterial;
let endorser: Endorser;
const committed = new Set<string>();
const state = new MemoryState();

before(async () => {
  [lasige, cetsp, outsider] = await Promise.all([
    generateOrganization({ name: 'LaSIGE', mspId: 'LaSIGEMSP', domain: 'lasige.example.com', kind: 'peer', peers: ['peer0'] }),
    generateOrganization({ name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', users: ['User1'] }),
    // same MSP id as a channel member, different CA: a forged identity
    generateOrganization({ name: 'Mallory', mspId: 'CETSPMSP', domain: 'mallory.example.com', kind: 'peer', users: ['User1'] }),
  ]);
  endorser = new Endorser({
    identity: lasige.signingIdentity('peer0'),
    address: 'peer0.lasige.example.com:7051',
    channelId: 'metrology',
    msps: new MspRegistry([lasige.mspConfig(), cetsp.mspConfig()]),
    ledger: { state, getTx: async (txId) => (committed.has(txId) ? { blockNum: 1, txNum: 0, code: 0 } : undefined) },
    chaincodes: [hostContracts({ name: 'counter', version: '1.0', contracts: [CounterContract] })],
  });
});

test('a valid proposal is simulated against the state and endorsed with the peer signature', async () => {
  state.apply(
    'counter',
    { namespace: 'counter', reads: [], rangeQueries: [], writes: [{ key: 'k', isDelete: false, value: Buffer.from('41') }] },
    { blockNum: 3, txNum: 1 },
  );
  const user = cetsp.signingIdentity('User1');
  const { bytes } = newTestSignedProposal(user, { chaincodeName: 'counter', args: ['increment', 'k'] });
  const r = await endorser.processProposal(bytes);
  assert.equal(r.status, 200);
  assert.equal(Buffer.from(r.payload).toString(), '42');
  const peerId = lasige.signingIdentity('peer0');
  assert.deepEqual(Buffer.from(r.endorsement!.endorser), Buffer.from(peerId.serialize()));
  assert.ok(
    verifySignature(createPublicKey(peerId.privateKey), Buffer.concat([r.prpBytes, r.endorsement!.endorser]), r.endorsement!.signature),
  );
  const envelope = newTransactionEnvelope(parseSignedProposal(bytes), [r]);
  const tx = parseEnvelope(envelope);
  assert.deepEqual(tx.rwsets[0]!.reads, [{ key: 'k', version: { blockNum: 3, txNum: 1 } }]);
  assert.equal(Buffer.from(tx.rwsets[0]!.writes[0]!.value).toString(), '42');
  assert.equal(tx.event?.eventName, 'Incremented');
  assert.equal(tx.chaincodeVersion, '1.0');
});

test('a chaincode error is returned as its status and message, without an endorsement', async () => {
  const { bytes } = newTestSignedProposal(cetsp.signingIdentity('User1'), { chaincodeName: 'counter', args: ['fail', 'no'] });
  const r = await endorser.processProposal(bytes);
  assert.equal(r.status, 500);
  assert.match(r.message, /REFUSED: no/);
  assert.equal(r.endorsement, undefined);
});

test('a chaincode that is not installed on this peer is refused with status 500', async () => {
  const { bytes } = newTestSignedProposal(cetsp.signingIdentity('User1'), { chaincodeName: 'lr', args: ['getMeter', 'm1'] });
  const r = await endorser.processProposal(bytes);
  assert.equal(r.status, 500);
  assert.match(r.message, /chaincode lr/);
  assert.equal(r.endorsement, undefined);
});

test('a creator certificate from a CA outside the channel is denied', async () => {
  const { bytes } = newTestSignedProposal(outsider.signingIdentity('User1'), { chaincodeName: 'counter', args: ['increment', 'k'] });
  await assert.rejects(endorser.processProposal(bytes), {
    name: 'PeerError',
    code: 'ACCESS_DENIED',
    message: 'access denied: channel [metrology] creator org [CETSPMSP]',
  });
});

test("a proposal from an expired certificate is denied at endorsement time (Fabric's ExpirationCheck)", async () => {
  const now = Date.now();
  // the test CA exists since 5 minutes ago; this client certificate lived from 4 to 1 minutes ago
  const pem = await issueIdentity(cetsp, {
    commonName: 'Gone@cetsp.example.com',
    role: 'client',
    notBefore: new Date(now - 4 * 60_000),
    notAfter: new Date(now - 60_000),
  });
  const gone = new SigningIdentity('CETSPMSP', pem.certPem, createPrivateKey(pem.keyPem));
  const { bytes } = newTestSignedProposal(gone, { chaincodeName: 'counter', args: ['increment', 'k'] });
  await assert.rejects(
    endorser.processProposal(bytes),
    (e: unknown) => e instanceof PeerError && e.code === 'ACCESS_DENIED' && /valid only from/.test(String(e.details?.['reason'])),
  );
});

test('a proposal whose signature does not match the creator is denied', async () => {
  const user = cetsp.signingIdentity('User1');
  const other = lasige.signingIdentity('peer0');
  const forged = { serialize: () => user.serialize(), sign: (m: Uint8Array) => other.sign(m) };
  const { bytes } = newTestSignedProposal(forged, { chaincodeName: 'counter', args: ['increment', 'k'] });
  await assert.rejects(endorser.processProposal(bytes), { code: 'ACCESS_DENIED' });
});

test('a proposal whose tx ID is already committed is refused as a duplicate', async () => {
  const { bytes, txId } = newTestSignedProposal(cetsp.signingIdentity('User1'), { chaincodeName: 'counter', args: ['increment', 'k'] });
  committed.add(txId);
  await assert.rejects(endorser.processProposal(bytes), {
    code: 'DUPLICATE_TXID',
    message: new RegExp(`duplicate transaction found \\[${txId}\\]`),
  });
});

test('garbage bytes, a wrong channel and a bad tx ID are refused with typed errors', async () => {
  await assert.rejects(endorser.processProposal(Buffer.from('garbage')), { code: 'MALFORMED_PROPOSAL' });
  const user = cetsp.signingIdentity('User1');
  await assert.rejects(endorser.processProposal(newTestSignedProposal(user, { channelId: 'other', chaincodeName: 'counter' }).bytes), {
    code: 'CHANNEL_NOT_FOUND',
  });
  await assert.rejects(endorser.processProposal(newTestSignedProposal(user, { txId: 'ab'.repeat(32), chaincodeName: 'counter' }).bytes), {
    code: 'MALFORMED_PROPOSAL',
  });
});
