// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { encodeTxReadWriteSet, hashedStateKey, implicitCollectionOrg, type VersionedValue } from '@metroledger/protocol';
import { hostContracts, MemoryState, type ChaincodeInvocation, type HostedChaincode, type PrivateDataAccess } from './index';
import { selfSignedCertPem } from './testing/certs';
import { PrivateContract } from './testing/privatecontract';

const NS = 'pv';
const ORG1 = '_implicit_org_Org1MSP';
const sha256hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
let pem: Uint8Array;
let cc: HostedChaincode;

before(async () => {
  pem = Buffer.from(await selfSignedCertPem('alice', 'Org1'));
  cc = hostContracts({ name: NS, version: '1.0', contracts: [PrivateContract] });
});

function invocation(args: string[], transient?: Record<string, string>): ChaincodeInvocation {
  return {
    channelId: 'mychannel',
    txId: 'tx-' + args.join('-'),
    args: args.map((a) => Buffer.from(a)),
    creator: { mspId: 'Org1MSP', idBytes: pem },
    timestamp: { seconds: 1_700_000_000, nanos: 0 },
    ...(transient !== undefined && { transient: new Map(Object.entries(transient).map(([k, v]) => [k, Buffer.from(v)])) }),
  };
}

/** A peer's private store, in memory; a member of Org1's collection when `member`. */
function peerStore(): PrivateDataAccess & { values: Map<string, VersionedValue> } {
  const values = new Map<string, VersionedValue>();
  return {
    values,
    hasCollection: (_ns, c) => ['Org1MSP', 'Org2MSP'].includes(implicitCollectionOrg(c) ?? ''),
    get: async (ns, c, key) => values.get(`${ns}/${c}/${key}`),
  };
}

describe('private data in the chaincode host', () => {
  it('records only hashes in the read/write set, hands the values over apart, and reads them back on a member peer only', async () => {
    const state = new MemoryState();
    const member = peerStore();
    const other = peerStore();
    const put = await cc.invoke(invocation(['put', ORG1, 'plate-1'], { value: 'the image' }), state, { privateData: member });
    assert.equal(put.response.status, 200, put.response.message);
    assert.equal(put.rwset.writes.length, 0);
    const c = put.rwset.collections![0]!;
    assert.equal(c.collection, ORG1);
    assert.equal(Buffer.from(c.writes[0]!.keyHash).toString('hex'), sha256hex('plate-1'));
    assert.equal(Buffer.from(c.writes[0]!.valueHash).toString('hex'), sha256hex('the image'));
    assert.equal(Buffer.from(encodeTxReadWriteSet(put.rwsets)).indexOf(Buffer.from('the image')), -1);
    assert.deepEqual(put.privateData!.map((ns) => [ns.namespace, ns.collections.map((x) => [x.collection, x.writes.map((w) => [w.key, Buffer.from(w.value).toString()])])]), [
      [NS, [[ORG1, [['plate-1', 'the image']]]]],
    ]);

    // commit: the hash for everyone, the value for the member
    const version = { blockNum: 5, txNum: 2 };
    const at = hashedStateKey(NS, ORG1, c.writes[0]!.keyHash);
    state.put(at.ns, at.key, c.writes[0]!.valueHash, version);
    member.values.set(`${NS}/${ORG1}/plate-1`, { value: Buffer.from('the image'), version });

    const got = await cc.invoke(invocation(['get', ORG1, 'plate-1']), state, { privateData: member });
    assert.equal(Buffer.from(got.response.payload).toString(), 'the image');
    assert.deepEqual(got.rwset.collections![0]!.reads, [{ keyHash: c.writes[0]!.keyHash, version }]);

    const refused = await cc.invoke(invocation(['get', ORG1, 'plate-1']), state, { privateData: other });
    assert.equal(refused.response.status, 500);
    assert.match(refused.response.message, /^PRIVATE_DATA_NOT_AVAILABLE: private data matching public hash version is not available\. Public hash version = 5:2, Private data version = <nil>/);
    const hash = await cc.invoke(invocation(['hash', ORG1, 'plate-1']), state, { privateData: other });
    assert.equal(Buffer.from(hash.response.payload).toString(), sha256hex('the image'));
    assert.deepEqual(hash.rwset.collections![0]!.reads, [{ keyHash: c.writes[0]!.keyHash, version }]);

    const del = await cc.invoke(invocation(['del', ORG1, 'plate-1']), state, { privateData: other });
    assert.deepEqual(del.rwset.collections![0]!.writes.map((w) => [w.isDelete, w.valueHash.length]), [[true, 0]]);
  });

  it('refuses an unknown collection, a host without private data, and private range queries; a write needs a value', async () => {
    const state = new MemoryState();
    const unknown = await cc.invoke(invocation(['get', 'images', 'k']), state, { privateData: peerStore() });
    assert.match(unknown.response.message, /^NO_SUCH_COLLECTION: collection \[images\] not defined in the collection config for chaincode \[pv\]/);
    const none = await cc.invoke(invocation(['get', ORG1, 'k']), state);
    assert.match(none.response.message, /^PRIVATE_DATA_UNSUPPORTED/);
    const range = await cc.invoke(invocation(['range', ORG1]), state, { privateData: peerStore() });
    assert.equal(range.response.status, 500);
    assert.match(range.response.message, /private data range queries are not supported/);
    const put = await cc.invoke(invocation(['put', ORG1, 'k']), state, { privateData: peerStore() });
    assert.equal(put.response.status, 500, 'no value in the transient map');
  });
});
