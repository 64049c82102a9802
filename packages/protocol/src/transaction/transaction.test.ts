// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { common, peer } from '@hyperledger/fabric-protos';
import { buildTransaction, rw, testNetwork } from '../validation/testkit.js';
import { ProtocolError, validationCodeOf } from './errors.js';
import { parseEnvelope } from './parse.js';
import { compareUtf8, decodeTxReadWriteSet, encodeTxReadWriteSet } from './rwset.js';

test('rwset round-trips with namespaces and keys in UTF-8 byte order, absent reads without version', () => {
  const bytes = encodeTxReadWriteSet([
    { namespace: 'zeta', reads: [], rangeQueries: [], writes: [{ key: 'k', isDelete: false, value: Buffer.from('v') }] },
    {
      namespace: 'alpha',
      reads: [{ key: '\u{1F600}' }, { key: '\uFFFD', version: { blockNum: 3, txNum: 1 } }],
      rangeQueries: [{ startKey: 'a', endKey: 'b', itrExhausted: true, reads: [{ key: 'a1', version: { blockNum: 0, txNum: 0 } }] }],
      writes: [{ key: 'gone', isDelete: true, value: new Uint8Array(0) }],
    },
  ]);
  const back = decodeTxReadWriteSet(bytes);
  assert.deepEqual(
    back.map((n) => n.namespace),
    ['alpha', 'zeta'],
  );
  // U+FFFD is EF BF BD in UTF-8, U+1F600 is F0 9F 98 80: byte order puts U+FFFD first (JS order would not).
  assert.deepEqual(back[0]!.reads, [{ key: '\uFFFD', version: { blockNum: 3, txNum: 1 } }, { key: '\u{1F600}' }]);
  assert.deepEqual(back[0]!.rangeQueries[0]!.reads, [{ key: 'a1', version: { blockNum: 0, txNum: 0 } }]);
  assert.equal(back[0]!.writes[0]!.isDelete, true);
  assert.equal(Buffer.from(back[1]!.writes[0]!.value).toString(), 'v');
  assert.ok(compareUtf8('\uFFFD', '\u{1F600}') < 0);
});

test('identical simulations encode to identical bytes whatever the input order', () => {
  const a = encodeTxReadWriteSet([rw('cc', { b: null, a: null }, { y: '1', x: '2' })]);
  const b = encodeTxReadWriteSet([rw('cc', { a: null, b: null }, { x: '2', y: '1' })]);
  assert.deepEqual(a, b);
});

test('a namespace twice in one rwset is refused', () => {
  assert.throws(
    () => encodeTxReadWriteSet([rw('cc', {}, {}), rw('cc', {}, {})]),
    (e: unknown) => e instanceof ProtocolError && e.code === 'BAD_ARGUMENT',
  );
});

test('parseEnvelope reads header, creator, args, rwset, event and endorsements of an endorsed transaction', async () => {
  const net = await testNetwork();
  const client = net.org1.signingIdentity('User1');
  const built = buildTransaction({
    client,
    endorsers: [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')],
    rwsets: [rw('lr', { m1: { blockNum: 1, txNum: 0 } }, { m1: 'v2' })],
    args: ['submitReading', 'abc'],
    event: { name: 'Measurement', payload: Buffer.from('{}') },
  });
  const tx = parseEnvelope(built.envelope);
  assert.equal(tx.type, common.HeaderType.ENDORSER_TRANSACTION);
  assert.equal(tx.channelId, 'mychannel');
  assert.equal(tx.txId, built.txId);
  assert.equal(tx.chaincodeName, 'lr');
  assert.equal(tx.chaincodeVersion, '1.0');
  assert.deepEqual(tx.creator, client.serialize());
  assert.deepEqual(
    tx.args.map((a) => Buffer.from(a).toString()),
    ['submitReading', 'abc'],
  );
  assert.equal(tx.rwsets[0]!.writes[0]!.key, 'm1');
  assert.equal(tx.event?.eventName, 'Measurement');
  assert.equal(tx.endorsements.length, 2);
  assert.equal(tx.response.status, 200);
});

function codeOf(bytes: Uint8Array): number {
  try {
    parseEnvelope(bytes);
    return peer.TxValidationCode.VALID;
  } catch (e) {
    assert.ok(e instanceof ProtocolError, String(e));
    return validationCodeOf(e);
  }
}

function envelopeWith(mutate: (payload: common.Payload) => void, base: Uint8Array): Uint8Array {
  const env = common.Envelope.deserializeBinary(base);
  const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
  mutate(payload);
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}

test('each malformation maps to its Fabric validation code', async () => {
  const net = await testNetwork();
  const base = buildTransaction({ client: net.org1.signingIdentity('User1'), endorsers: [], rwsets: [rw('lr', {}, { k: 'v' })] }).envelope;
  const V = peer.TxValidationCode;
  assert.equal(codeOf(new Uint8Array(0)), V.NIL_ENVELOPE);
  assert.equal(codeOf(Buffer.from([0xff, 0xff, 0xff])), V.NIL_ENVELOPE);
  const noPayload = new common.Envelope();
  noPayload.setSignature(Buffer.from('s'));
  assert.equal(codeOf(noPayload.serializeBinary()), V.BAD_PAYLOAD);
  assert.equal(codeOf(envelopeWith((p) => p.clearHeader(), base)), V.BAD_PAYLOAD);
  assert.equal(codeOf(envelopeWith((p) => p.getHeader()!.setChannelHeader(Buffer.from([0xff, 0xff])), base)), V.BAD_CHANNEL_HEADER);
  assert.equal(codeOf(envelopeWith((p) => p.getHeader()!.setSignatureHeader(new Uint8Array(0)), base)), V.BAD_COMMON_HEADER);
  const withHeader = (f: (ch: common.ChannelHeader) => void) =>
    envelopeWith((p) => {
      const ch = common.ChannelHeader.deserializeBinary(p.getHeader()!.getChannelHeader_asU8());
      f(ch);
      p.getHeader()!.setChannelHeader(ch.serializeBinary());
    }, base);
  assert.equal(codeOf(withHeader((ch) => ch.setType(common.HeaderType.MESSAGE))), V.UNKNOWN_TX_TYPE);
  assert.equal(codeOf(withHeader((ch) => ch.setExtension$(new Uint8Array(0)))), V.BAD_HEADER_EXTENSION);
  // a header changed after endorsement no longer matches the proposal hash the endorsers signed
  assert.equal(codeOf(withHeader((ch) => ch.setEpoch(7))), V.INVALID_ENDORSER_TRANSACTION);
  assert.equal(codeOf(envelopeWith((p) => p.setData(new peer.Transaction().serializeBinary()), base)), V.NIL_TXACTION);
  const withAction = (f: (a: peer.ChaincodeAction) => void) =>
    envelopeWith((p) => {
      const tx = peer.Transaction.deserializeBinary(p.getData_asU8());
      const ta = tx.getActionsList()[0]!;
      const cap = peer.ChaincodeActionPayload.deserializeBinary(ta.getPayload_asU8());
      const prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction()!.getProposalResponsePayload_asU8());
      const ca = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
      f(ca);
      prp.setExtension$(ca.serializeBinary());
      cap.getAction()!.setProposalResponsePayload(prp.serializeBinary());
      ta.setPayload(cap.serializeBinary());
      p.setData(tx.serializeBinary());
    }, base);
  assert.equal(codeOf(withAction((a) => a.setResults(Buffer.from([0x0a, 0xff])))), V.BAD_RWSET);
  assert.equal(codeOf(withAction((a) => a.clearResponse())), V.BAD_RESPONSE_PAYLOAD);
  assert.equal(codeOf(base), V.VALID);
});
