// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { serializeIdentity, signLowS, verifySignature } from '@metroledger/identity';
import { parseEnvelope } from '../transaction/parse.js';
import { decodeTxReadWriteSet } from '../transaction/rwset.js';
import { parseSignedProposal } from './parse.js';
import {
  decodeProposalResponse,
  newFailedProposalResponse,
  newProposalResponse,
  newTransactionEnvelope,
  type ChaincodeResult,
} from './response.js';
import { newTestSignedProposal } from './testing.js';

// The creator's certificate is never parsed here, so any PEM-looking text serves.
function newSigner(mspId: string, name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serialized = serializeIdentity(mspId, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
  return { publicKey, serialize: () => serialized, sign: (m: Uint8Array) => signLowS(privateKey, m) };
}

const client = newSigner('CETSPMSP', 'client');
const lasige = newSigner('LaSIGEMSP', 'peer0.lasige');
const pucpr = newSigner('PUCPRMSP', 'peer0.pucpr');

function result(payload = 'ok', value = 'v1'): ChaincodeResult {
  return {
    response: { status: 200, message: '', payload: Buffer.from(payload) },
    rwset: {
      namespace: 'lr',
      reads: [{ key: 'a', version: { blockNum: 1, txNum: 0 } }, { key: 'b' }],
      rangeQueries: [],
      writes: [{ key: 'a', isDelete: false, value: Buffer.from(value) }],
    },
    event: { name: 'Measurement', payload: Buffer.from('{}') },
  };
}

test('a client proposal parses into channel, chaincode, args, creator and a proposal hash over header and input', () => {
  const { bytes, txId } = newTestSignedProposal(client, { args: ['submitReading', 'abc'], timestamp: { seconds: 1700000000, nanos: 5 } });
  const p = parseSignedProposal(bytes);
  assert.equal(p.channelId, 'metrology');
  assert.equal(p.chaincodeName, 'lr');
  assert.equal(p.txId, txId);
  assert.deepEqual(
    p.args.map((a) => Buffer.from(a).toString()),
    ['submitReading', 'abc'],
  );
  assert.deepEqual(p.timestamp, { seconds: 1700000000, nanos: 5 });
  assert.deepEqual(Buffer.from(p.creator), Buffer.from(client.serialize()));
  assert.ok(verifySignature(client.publicKey, p.proposalBytes, p.signature));
  const header = common.Header.deserializeBinary(p.headerBytes);
  const proposal = peer.Proposal.deserializeBinary(p.proposalBytes);
  const expected = createHash('sha256')
    .update(header.getChannelHeader_asU8())
    .update(header.getSignatureHeader_asU8())
    .update(proposal.getPayload_asU8())
    .digest();
  assert.deepEqual(Buffer.from(p.proposalHash), expected);
});

test('transient data is available to the chaincode but left out of the proposal hash and the transaction', () => {
  const nonce = Buffer.alloc(24, 7);
  const plain = parseSignedProposal(newTestSignedProposal(client, { nonce, timestamp: { seconds: 1, nanos: 0 } }).bytes);
  const secret = parseSignedProposal(
    newTestSignedProposal(client, { nonce, timestamp: { seconds: 1, nanos: 0 }, transient: { key: Buffer.from('secret') } }).bytes,
  );
  assert.equal(Buffer.from(secret.transient.get('key')!).toString(), 'secret');
  assert.deepEqual(secret.proposalHash, plain.proposalHash);
  assert.ok(!Buffer.from(secret.payloadForTx).includes('secret'));
});

test('a tx ID not computed as sha256(nonce ‖ creator) is refused with BAD_TXID', () => {
  const { bytes } = newTestSignedProposal(client, { txId: 'f'.repeat(64) });
  assert.throws(() => parseSignedProposal(bytes), { name: 'ProtocolError', code: 'BAD_TXID' });
});

test('garbage, empty and truncated bytes are refused with MALFORMED_PROPOSAL', () => {
  const { bytes } = newTestSignedProposal(client);
  for (const bad of [Buffer.from('not a proposal at all'), new Uint8Array(0), bytes.subarray(0, bytes.length - 9)]) {
    assert.throws(() => parseSignedProposal(bad), { name: 'ProtocolError', code: 'MALFORMED_PROPOSAL' });
  }
  assert.throws(() => parseSignedProposal(newTestSignedProposal(client, { channelId: '' }).bytes), { code: 'MALFORMED_PROPOSAL' });
  assert.throws(() => parseSignedProposal(newTestSignedProposal(client, { chaincodeName: '' }).bytes), { code: 'MALFORMED_PROPOSAL' });
});

test('a proposal with a header type other than ENDORSER_TRANSACTION is refused', () => {
  const { bytes } = newTestSignedProposal(client, { headerType: common.HeaderType.CONFIG });
  assert.throws(() => parseSignedProposal(bytes), { code: 'UNSUPPORTED_HEADER_TYPE' });
});

test('an endorsement signs the proposal response payload followed by the endorser identity', () => {
  const p = parseSignedProposal(newTestSignedProposal(client).bytes);
  const r = decodeProposalResponse(newProposalResponse(p, result(), { name: 'lr', version: '1.0' }, lasige));
  assert.equal(r.status, 200);
  assert.equal(Buffer.from(r.payload).toString(), 'ok');
  assert.deepEqual(Buffer.from(r.endorsement!.endorser), Buffer.from(lasige.serialize()));
  assert.ok(verifySignature(lasige.publicKey, Buffer.concat([r.prpBytes, r.endorsement!.endorser]), r.endorsement!.signature));
  const prp = peer.ProposalResponsePayload.deserializeBinary(r.prpBytes);
  assert.deepEqual(Buffer.from(prp.getProposalHash_asU8()), Buffer.from(p.proposalHash));
  const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
  assert.equal(action.getChaincodeId()?.getVersion(), '1.0');
  assert.equal(action.getResponse()?.getStatus(), 200);
  const [rw] = decodeTxReadWriteSet(action.getResults_asU8());
  assert.equal(rw!.namespace, 'lr');
  assert.deepEqual(
    rw!.writes.map((w) => w.key),
    ['a'],
  );
  const ev = peer.ChaincodeEvent.deserializeBinary(action.getEvents_asU8());
  assert.deepEqual([ev.getChaincodeId(), ev.getTxId(), ev.getEventName()], ['lr', p.txId, 'Measurement']);
});

test('two matching endorsements make an envelope that keeps the client header and parses on the commit path', () => {
  const { bytes, txId } = newTestSignedProposal(client, { args: ['submitReading', 'x'] });
  const p = parseSignedProposal(bytes);
  const responses = [lasige, pucpr].map((peerId) => newProposalResponse(p, result(), { name: 'lr', version: '1.0' }, peerId));
  const envelope = common.Envelope.deserializeBinary(newTransactionEnvelope(p, [...responses, responses[0]!]));
  assert.equal(envelope.getSignature_asU8().length, 0);
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  assert.deepEqual(Buffer.from(payload.getHeader()!.serializeBinary()), Buffer.from(p.headerBytes));
  envelope.setSignature(client.sign(envelope.getPayload_asU8()));
  const tx = parseEnvelope(envelope.serializeBinary());
  assert.equal(tx.txId, txId);
  assert.equal(tx.chaincodeName, 'lr');
  assert.equal(tx.endorsements.length, 2, 'duplicate endorsements are dropped');
  assert.deepEqual(
    tx.args.map((a) => Buffer.from(a).toString()),
    ['submitReading', 'x'],
  );
  assert.deepEqual(Buffer.from(tx.response.payload).toString(), 'ok');
});

test('endorsements over different results cannot be assembled: ProposalResponsePayloads do not match', () => {
  const p = parseSignedProposal(newTestSignedProposal(client).bytes);
  const a = newProposalResponse(p, result('ok', 'v1'), { name: 'lr', version: '1.0' }, lasige);
  const b = newProposalResponse(p, result('ok', 'v2'), { name: 'lr', version: '1.0' }, pucpr);
  assert.throws(() => newTransactionEnvelope(p, [a, b]), { code: 'PAYLOAD_MISMATCH', message: /ProposalResponsePayloads do not match/ });
  assert.throws(() => newTransactionEnvelope(p, [newFailedProposalResponse(500, 'boom')]), { code: 'MALFORMED_PROPOSAL_RESPONSE' });
});
