// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peer } from '@hyperledger/fabric-protos';
import type { StateReader, VersionedValue } from '../rwset/types.js';
import { checkMvcc } from './mvcc.js';
import { buildTransaction, expiredIdentity, rw, testContext, testNetwork } from './testkit.js';
import { validateBlockTransactions, validateTransaction, type SignatureCheck } from './validate.js';

const V = peer.TxValidationCode;

test('a transaction endorsed by both orgs is VALID; one endorsement fails AND(Org1.peer, Org2.peer)', async () => {
  const net = await testNetwork();
  const ctx = testContext(net);
  const client = net.org1.signingIdentity('User1');
  const both = [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')];
  assert.equal(
    validateTransaction(buildTransaction({ client, endorsers: both, rwsets: [rw('lr', {}, { k: 'v' })] }).envelope, ctx),
    V.VALID,
  );
  assert.equal(
    validateTransaction(buildTransaction({ client, endorsers: both.slice(0, 1), rwsets: [rw('lr', {}, { k: 'v' })] }).envelope, ctx),
    V.ENDORSEMENT_POLICY_FAILURE,
  );
  // the same peer twice counts once
  assert.equal(
    validateTransaction(buildTransaction({ client, endorsers: [both[0]!, both[0]!], rwsets: [] }).envelope, ctx),
    V.ENDORSEMENT_POLICY_FAILURE,
  );
  // a client certificate is not a peer
  assert.equal(
    validateTransaction(buildTransaction({ client, endorsers: [both[0]!, net.org2.signingIdentity('User1')], rwsets: [] }).envelope, ctx),
    V.ENDORSEMENT_POLICY_FAILURE,
  );
  // a forged endorsement signature does not count
  assert.equal(
    validateTransaction(buildTransaction({ client, endorsers: both, rwsets: [], badEndorsement: 1 }).envelope, ctx),
    V.ENDORSEMENT_POLICY_FAILURE,
  );
  // an endorser from an MSP the channel does not know does not count
  assert.equal(
    validateTransaction(
      buildTransaction({ client, endorsers: [both[0]!, net.outsider.signingIdentity('peer0')], rwsets: [] }).envelope,
      ctx,
    ),
    V.ENDORSEMENT_POLICY_FAILURE,
  );
});

test('creator, tx id, channel, chaincode and write-set checks give Fabric codes', async () => {
  const net = await testNetwork();
  const ctx = testContext(net);
  const client = net.org1.signingIdentity('User1');
  const endorsers = [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')];
  const code = (spec: Partial<Parameters<typeof buildTransaction>[0]>) =>
    validateTransaction(buildTransaction({ client, endorsers, rwsets: [rw('lr', {}, { k: 'v' })], ...spec }).envelope, ctx);
  assert.equal(code({ envelopeSigner: net.org2.signingIdentity('User1') }), V.BAD_CREATOR_SIGNATURE);
  assert.equal(code({ client: net.outsider.signingIdentity('User1') }), V.BAD_CREATOR_SIGNATURE);
  assert.equal(code({ txId: 'ab'.repeat(32) }), V.BAD_PROPOSAL_TXID);
  assert.equal(code({ channelId: 'otherchannel' }), V.TARGET_CHAIN_NOT_FOUND);
  assert.equal(code({ chaincodeName: 'undefined-cc', rwsets: [] }), V.INVALID_CHAINCODE);
  assert.equal(code({ rwsets: [rw('lr', {}, { k: 'v' }), rw('othercc', {}, { x: 'y' })] }), V.ILLEGAL_WRITESET);
  // reading another namespace is fine
  assert.equal(code({ rwsets: [rw('lr', {}, { k: 'v' }), rw('othercc', { x: null }, {})] }), V.VALID);
});

test('block validation batches all signatures into one verifier call and marks in-block and ledger duplicates', async () => {
  const net = await testNetwork();
  const committed = new Set<string>();
  const ctx = testContext(net, { committed });
  const client = net.org1.signingIdentity('User1');
  const endorsers = [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')];
  const a = buildTransaction({ client, endorsers, rwsets: [] });
  const b = buildTransaction({ client, endorsers, rwsets: [] });
  const old = buildTransaction({ client, endorsers, rwsets: [] });
  committed.add(old.txId);
  let calls = 0;
  let seen = 0;
  const verifier = async (checks: readonly SignatureCheck[]) => {
    calls++;
    seen = checks.length;
    const { verifyInline } = await import('./validate.js');
    return verifyInline(checks);
  };
  const res = await validateBlockTransactions([a.envelope, b.envelope, a.envelope, old.envelope, new Uint8Array(0)], ctx, verifier);
  assert.deepEqual(res.codes, [V.VALID, V.VALID, V.DUPLICATE_TXID, V.DUPLICATE_TXID, V.NIL_ENVELOPE]);
  assert.equal(calls, 1);
  assert.equal(seen, 3 * 3 + 1); // creator + 2 endorsements for a, b, a again; creator only for the ledger duplicate
  assert.equal(res.txs[4], undefined);
});

test('commit-time validation depends on the block alone: a transaction keeps its code after its certificates expired', async () => {
  // Fabric checks expiry when a proposal is endorsed and when it is broadcast, never at commit: a
  // peer that validates (or replays) a block later must mark every transaction as the others did.
  const net = await testNetwork();
  const ctx = testContext(net);
  const client = await expiredIdentity(net.org1, 'Gone@org1.example.com', 'client');
  const endorser = await expiredIdentity(net.org2, 'gone-peer.org2.example.com', 'peer');
  const tx = buildTransaction({ client, endorsers: [net.org1.signingIdentity('peer0'), endorser], rwsets: [rw('lr', {}, { k: 'v' })] });
  assert.equal(validateTransaction(tx.envelope, ctx), V.VALID);
  assert.deepEqual((await validateBlockTransactions([tx.envelope], ctx)).codes, [V.VALID]);
  // membership still decides: an expired endorser of the wrong role, or an unknown creator, fails as always
  const client2 = await expiredIdentity(net.org2, 'Gone@org2.example.com', 'client');
  assert.equal(
    validateTransaction(buildTransaction({ client, endorsers: [net.org1.signingIdentity('peer0'), client2], rwsets: [] }).envelope, ctx),
    V.ENDORSEMENT_POLICY_FAILURE,
  );
  const stranger = await expiredIdentity(net.outsider, 'Gone@evil.example.com', 'client');
  assert.equal(
    validateTransaction(
      buildTransaction({ client: stranger, endorsers: [net.org1.signingIdentity('peer0'), endorser], rwsets: [] }).envelope,
      ctx,
    ),
    V.BAD_CREATOR_SIGNATURE,
  );
});

class MapState implements StateReader {
  readonly data = new Map<string, VersionedValue>(); // 'ns\0key'
  put(ns: string, key: string, blockNum: number, txNum: number): void {
    this.data.set(`${ns}\0${key}`, { value: Buffer.from('x'), version: { blockNum, txNum } });
  }
  async get(ns: string, key: string) {
    return this.data.get(`${ns}\0${key}`);
  }
  async *range(ns: string, start: string, end: string) {
    const keys = [...this.data.keys()]
      .filter((k) => k.startsWith(ns + '\0'))
      .map((k) => k.slice(ns.length + 1))
      .sort();
    for (const key of keys) if (key >= start && (end === '' || key < end)) yield { key, ...this.data.get(`${ns}\0${key}`)! };
  }
}

test('MVCC: stale reads and reads of keys written earlier in the block conflict; valid writes become versioned updates', async () => {
  const state = new MapState();
  state.put('lr', 'a', 1, 0);
  state.put('lr', 'b', 1, 1);
  const txs = [
    { code: V.VALID, rwsets: [rw('lr', { a: { blockNum: 1, txNum: 0 } }, { a: 'a2' })] },
    { code: V.VALID, rwsets: [rw('lr', { a: { blockNum: 1, txNum: 0 } }, { a: 'a3' })] }, // same version read, but tx 0 wrote a
    { code: V.VALID, rwsets: [rw('lr', { b: { blockNum: 0, txNum: 9 } }, { b: 'b2' })] }, // stale
    { code: V.VALID, rwsets: [rw('lr', { c: null }, { c: 'c1', b: null })] }, // absent key read as absent: fine
    { code: V.ENDORSEMENT_POLICY_FAILURE, rwsets: [rw('lr', {}, { z: 'z' })] },
    { code: V.VALID, rwsets: [rw('lr', { c: null }, {})] }, // c was written by tx 3
  ];
  const res = await checkMvcc(2, txs, state);
  assert.deepEqual(res.codes, [
    V.VALID,
    V.MVCC_READ_CONFLICT,
    V.MVCC_READ_CONFLICT,
    V.VALID,
    V.ENDORSEMENT_POLICY_FAILURE,
    V.MVCC_READ_CONFLICT,
  ]);
  assert.deepEqual(
    res.updates.map((u) => [u.key, u.isDelete, u.version.txNum]),
    [
      ['a', false, 0],
      ['c', false, 3],
      ['b', true, 3],
    ],
  );
});

test('MVCC: a range query whose results changed is a phantom read', async () => {
  const state = new MapState();
  state.put('lr', 'm1', 1, 0);
  state.put('lr', 'm2', 1, 0);
  const rangeTx = (reads: string[], exhausted = true) => ({
    code: V.VALID,
    rwsets: [
      {
        namespace: 'lr',
        reads: [],
        writes: [],
        rangeQueries: [
          { startKey: 'm', endKey: 'n', itrExhausted: exhausted, reads: reads.map((key) => ({ key, version: { blockNum: 1, txNum: 0 } })) },
        ],
      },
    ],
  });
  let res = await checkMvcc(2, [rangeTx(['m1', 'm2']), rangeTx(['m1']), rangeTx(['m1'], false)], state);
  assert.deepEqual(res.codes, [V.VALID, V.PHANTOM_READ_CONFLICT, V.VALID]);
  // a key inserted into the range by an earlier transaction of the same block is a phantom
  res = await checkMvcc(2, [{ code: V.VALID, rwsets: [rw('lr', {}, { m15: 'new' })] }, rangeTx(['m1', 'm2'])], state);
  assert.deepEqual(res.codes, [V.VALID, V.PHANTOM_READ_CONFLICT]);
});
