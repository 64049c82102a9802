// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newProposalResponsePayload, parseSignedProposal, type NsReadWriteSet } from '@metroledger/protocol';
import { newTestSignedProposal } from '@metroledger/protocol/testing/proposal';
import { testNetwork } from '@metroledger/protocol/testing/validation';
import { chaincodeInterest, touchesCollections } from './interest.js';

const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n);

async function responsePayload(rwsets: NsReadWriteSet[]): Promise<Uint8Array> {
  const net = await testNetwork();
  const p = parseSignedProposal(newTestSignedProposal(net.org1.signingIdentity('User1'), { chaincodeName: 'pdc' }).bytes);
  const response = { status: 200, message: '', payload: new Uint8Array(0) };
  return newProposalResponsePayload(p, { response, rwset: rwsets[0]!, rwsets }, { name: 'pdc', version: '1.0' });
}

const ns = (namespace: string, extra: Partial<NsReadWriteSet> = {}): NsReadWriteSet => ({
  namespace,
  reads: [],
  rangeQueries: [],
  writes: [],
  ...extra,
});

test('a response that touches no collection of its chaincode is told apart without decoding, and needs the chaincode policy alone', async () => {
  const publicOnly = await responsePayload([ns('pdc', { writes: [{ key: 'k', isDelete: false, value: Buffer.from('v') }] })]);
  assert.equal(touchesCollections(publicOnly, 'pdc'), false);
  assert.deepEqual(chaincodeInterest(publicOnly, 'pdc'), { writes: { public: true, collections: [] }, privateReads: [] });
  // another namespace's collections are not the chaincode's
  const elsewhere = await responsePayload([
    ns('pdc'),
    ns('other', {
      collections: [
        { collection: 'c', reads: [], writes: [{ keyHash: hash(1), isDelete: true, valueHash: new Uint8Array(0) }], pvtRwSetHash: hash(2) },
      ],
    }),
  ]);
  assert.equal(touchesCollections(elsewhere, 'pdc'), false);
});

test('a response that writes or reads collections: which it writes, which it reads', async () => {
  const prp = await responsePayload([
    ns('pdc', {
      collections: [
        { collection: 'read', reads: [{ keyHash: hash(1), version: { blockNum: 3, txNum: 0 } }], writes: [], pvtRwSetHash: hash(2) },
        { collection: 'written', reads: [], writes: [{ keyHash: hash(3), isDelete: false, valueHash: hash(4) }], pvtRwSetHash: hash(5) },
      ],
    }),
  ]);
  assert.equal(touchesCollections(prp, 'pdc'), true);
  assert.deepEqual(chaincodeInterest(prp, 'pdc'), { writes: { public: false, collections: ['written'] }, privateReads: ['read'] });
});

test('bytes that do not parse count as touching collections, and the decode says why', () => {
  const garbage = Uint8Array.from([0x12, 0x40, 1, 2]);
  assert.equal(touchesCollections(garbage, 'pdc'), true);
  assert.throws(() => chaincodeInterest(garbage, 'pdc'));
});
