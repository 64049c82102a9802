// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  decodeTxReadWriteSet,
  encodeTxReadWriteSet,
  hashedStateKey,
  implicitCollectionOrg,
  type VersionedValue,
} from '@metroledger/protocol';
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
    assert.deepEqual(
      put.privateData!.map((ns) => [
        ns.namespace,
        ns.collections.map((x) => [x.collection, x.writes.map((w) => [w.key, Buffer.from(w.value).toString()])]),
      ]),
      [[NS, [[ORG1, [['plate-1', 'the image']]]]]],
    );

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
    assert.match(
      refused.response.message,
      /^PRIVATE_DATA_NOT_AVAILABLE: private data matching public hash version is not available\. Public hash version = 5:2, Private data version = <nil>/,
    );
    const hash = await cc.invoke(invocation(['hash', ORG1, 'plate-1']), state, { privateData: other });
    assert.equal(Buffer.from(hash.response.payload).toString(), sha256hex('the image'));
    assert.deepEqual(hash.rwset.collections![0]!.reads, [{ keyHash: c.writes[0]!.keyHash, version }]);

    const del = await cc.invoke(invocation(['del', ORG1, 'plate-1']), state, { privateData: other });
    assert.deepEqual(
      del.rwset.collections![0]!.writes.map((w) => [w.isDelete, w.valueHash.length]),
      [[true, 0]],
    );
  });

  it('refuses an unknown collection, a host without private data, and private range queries; a write needs a value', async () => {
    const state = new MemoryState();
    const unknown = await cc.invoke(invocation(['get', 'images', 'k']), state, { privateData: peerStore() });
    assert.match(
      unknown.response.message,
      /^NO_SUCH_COLLECTION: collection \[images\] not defined in the collection config for chaincode \[pv\]/,
    );
    const none = await cc.invoke(invocation(['get', ORG1, 'k']), state);
    assert.match(none.response.message, /^PRIVATE_DATA_UNSUPPORTED/);
    const range = await cc.invoke(invocation(['range', ORG1]), state, { privateData: peerStore() });
    assert.equal(range.response.status, 500);
    assert.match(range.response.message, /PRIVATE_DATA_UNSUPPORTED|cannot be scanned/);
    const put = await cc.invoke(invocation(['put', ORG1, 'k']), state, { privateData: peerStore() });
    assert.equal(put.response.status, 500, 'no value in the transient map');
  });

  it('memberOnlyRead / memberOnlyWrite: a creator the peer says is no member is refused with PRIVATE_DATA_ACCESS_DENIED, and only for what the flags cover', async () => {
    const state = new MemoryState();
    const seen: string[] = [];
    const access = (read: boolean, write: boolean): PrivateDataAccess => ({
      ...peerStore(),
      permission: (_ns, c, creator) => {
        seen.push(`${c}:${creator.mspId}:${Buffer.from(creator.idBytes).toString().slice(0, 27)}`);
        return { read, write };
      },
    });
    const noWrite = await cc.invoke(invocation(['put', ORG1, 'k'], { value: 'v' }), state, { privateData: access(true, false) });
    assert.equal(noWrite.response.status, 500);
    assert.match(
      noWrite.response.message,
      /tx creator does not have write access permission on privatedata in chaincodeName:pv collectionName: _implicit_org_Org1MSP/,
    );
    assert.equal(noWrite.privateData, undefined, 'nothing to disseminate');
    const noDelete = await cc.invoke(invocation(['del', ORG1, 'k']), state, { privateData: access(true, false) });
    assert.match(noDelete.response.message, /does not have write access/);
    const noRead = await cc.invoke(invocation(['get', ORG1, 'k']), state, { privateData: access(false, true) });
    assert.match(noRead.response.message, /PRIVATE_DATA_ACCESS_DENIED: tx creator does not have read access permission/);
    const noRange = await cc.invoke(invocation(['range', ORG1]), state, { privateData: access(false, true) });
    assert.match(noRange.response.message, /does not have read access/);
    // the hash is public: no read permission needed (Fabric checks none for GetPrivateDataHash)
    const hash = await cc.invoke(invocation(['hash', ORG1, 'k']), state, { privateData: access(false, false) });
    assert.equal(hash.response.status, 200, hash.response.message);
    const allowed = await cc.invoke(invocation(['put', ORG1, 'k'], { value: 'v' }), state, { privateData: access(false, true) });
    assert.equal(allowed.response.status, 200, allowed.response.message);
    assert.ok(
      seen.every((x) => x.startsWith(`${ORG1}:Org1MSP:-----BEGIN CERTIFICATE-----`)),
      'the proposal creator is what the peer judges',
    );
  });

  it("a private range query gives this peer's values, is recorded nowhere, and only in a read-only transaction (as Fabric)", async () => {
    const state = new MemoryState();
    const member = peerStore();
    const version = { blockNum: 1, txNum: 0 };
    for (const k of ['a', 'b', 'c']) member.values.set(`${NS}/${ORG1}/${k}`, { value: Buffer.from(k), version });
    const scanning: PrivateDataAccess = {
      ...member,
      async *range(ns, c, start, end) {
        for (const [id, v] of [...member.values].sort(([x], [y]) => (x < y ? -1 : 1))) {
          const key = id.slice(`${ns}/${c}/`.length);
          if (id.startsWith(`${ns}/${c}/`) && key >= start && (end === '' || key < end)) yield { key, ...v };
        }
      },
    };
    const r = await cc.invoke(invocation(['range', ORG1]), state, { privateData: scanning });
    assert.equal(r.response.status, 200, r.response.message);
    assert.equal(Buffer.from(r.response.payload).toString(), '3');
    assert.deepEqual(r.rwset.rangeQueries, [], 'no range query info: Fabric validates no phantom reads of private ranges');
    assert.equal(r.rwset.collections, undefined);
    const mixed = await cc.invoke(invocation(['putThenRange', ORG1, 'd'], { value: 'v' }), state, { privateData: scanning });
    assert.match(mixed.response.message, /Queries on pvt data is supported only in a read-only transaction/);
    const after = await cc.invoke(invocation(['rangeThenPut', ORG1, 'd'], { value: 'v' }), state, { privateData: scanning });
    assert.match(after.response.message, /Transaction has already performed queries on pvt data\. Writes are not allowed/);
    const byPrefix = await cc.invoke(invocation(['byPartialKey', ORG1, 'plate', 'SP']), state, {
      privateData: {
        ...scanning,
        range: (ns, c, start, end) => {
          assert.ok(start.startsWith('\u0000plate\u0000SP\u0000') && end === start + '\u{10ffff}');
          return scanning.range!(ns, c, start, end);
        },
      },
    });
    assert.equal(byPrefix.response.status, 200, byPrefix.response.message);
  });

  it('purgePrivateData records a delete whose hashed write is marked is_purge (Fabric 2.5), and needs write permission', async () => {
    const state = new MemoryState();
    const purged = await cc.invoke(invocation(['purge', ORG1, 'k']), state, { privateData: peerStore() });
    assert.equal(purged.response.status, 200, purged.response.message);
    assert.deepEqual(
      purged.rwset.collections![0]!.writes.map((w) => [w.isDelete, w.isPurge, Buffer.from(w.keyHash).toString('hex')]),
      [[true, true, sha256hex('k')]],
    );
    assert.deepEqual(
      purged.privateData![0]!.collections[0]!.writes.map((w) => [w.key, w.isDelete]),
      [['k', true]],
    );
    const roundTrip = decodeTxReadWriteSet(encodeTxReadWriteSet(purged.rwsets));
    assert.equal(roundTrip[0]!.collections![0]!.writes[0]!.isPurge, true, 'is_purge survives the block encoding');
    const denied = await cc.invoke(invocation(['purge', ORG1, 'k']), state, {
      privateData: { ...peerStore(), permission: () => ({ read: true, write: false }) },
    });
    assert.match(denied.response.message, /does not have write access/);
  });
});
