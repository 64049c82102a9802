// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ledger } from '../protos.js';
import {
  decodeTxPvtReadWriteSet,
  decodeTxReadWriteSet,
  encodeCollectionPvtRwSet,
  encodeTxPvtReadWriteSet,
  encodeTxReadWriteSet,
  hashCollectionWrites,
  privateWritesMatch,
} from '../transaction/rwset.js';
import { hashedStateKey, implicitCollectionName, implicitCollectionOrg, privateDataHash } from './private.js';
import type { CollectionPvtRwSet, NsReadWriteSet } from './types.js';

const sha256 = (b: Uint8Array | string): Buffer =>
  createHash('sha256')
    .update(typeof b === 'string' ? Buffer.from(b, 'utf8') : b)
    .digest();
const pvt: CollectionPvtRwSet = {
  collection: '_implicit_org_CETSPMSP',
  writes: [
    { key: 'placa-ção/1', isDelete: false, value: Buffer.from('image bytes') },
    { key: 'gone', isDelete: true, value: new Uint8Array(0) },
  ],
};

test('key and value hashes are SHA-256 of the key’s UTF-8 bytes and of the value, as Fabric’s util.ComputeHash', () => {
  assert.deepEqual(Buffer.from(privateDataHash('placa-ção/1')), sha256(Buffer.from('placa-ção/1', 'utf8')));
  const { writes, pvtRwSetHash } = hashCollectionWrites(pvt);
  // sorted by the plain key, as Fabric's rwset builder does
  assert.deepEqual(
    writes.map((w) => Buffer.from(w.keyHash)),
    [sha256('gone'), sha256('placa-ção/1')],
  );
  assert.deepEqual(Buffer.from(writes[1]!.valueHash), sha256('image bytes'));
  assert.equal(writes[0]!.isDelete, true);
  assert.equal(writes[0]!.valueHash.length, 0);
  // pvt_rwset_hash: SHA-256 of the collection's private KVRWSet bytes
  assert.deepEqual(Buffer.from(pvtRwSetHash), sha256(encodeCollectionPvtRwSet(pvt)));
  const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(encodeCollectionPvtRwSet(pvt));
  assert.deepEqual(
    kv.getWritesList().map((w) => w.getKey()),
    ['gone', 'placa-ção/1'],
  );
});

test('a namespace with collections encodes Fabric’s collection_hashed_rwset, and decodes back (only hashes in it)', () => {
  const { writes, pvtRwSetHash } = hashCollectionWrites(pvt);
  const rwset: NsReadWriteSet = {
    namespace: 'evidence',
    reads: [],
    rangeQueries: [],
    writes: [],
    collections: [
      {
        collection: '_implicit_org_CETSPMSP',
        reads: [{ keyHash: privateDataHash('a'), version: { blockNum: 3, txNum: 1 } }, { keyHash: privateDataHash('b') }],
        writes,
        pvtRwSetHash,
      },
      { collection: '_implicit_org_AMSP', reads: [{ keyHash: privateDataHash('x') }], writes: [], pvtRwSetHash: new Uint8Array(0) },
    ],
  };
  const bytes = encodeTxReadWriteSet([rwset]);
  assert.equal(Buffer.from(bytes).indexOf(Buffer.from('image bytes')), -1);
  assert.equal(Buffer.from(bytes).indexOf(Buffer.from('placa')), -1);
  const pb = ledger.rwset.TxReadWriteSet.deserializeBinary(bytes).getNsRwsetList()[0]!.getCollectionHashedRwsetList();
  assert.deepEqual(
    pb.map((c) => c.getCollectionName()),
    ['_implicit_org_AMSP', '_implicit_org_CETSPMSP'],
  );
  assert.deepEqual(Buffer.from(pb[1]!.getPvtRwsetHash_asU8()), Buffer.from(pvtRwSetHash));
  const [back] = decodeTxReadWriteSet(bytes);
  assert.deepEqual(
    back!.collections!.map((c) => c.collection),
    ['_implicit_org_AMSP', '_implicit_org_CETSPMSP'],
  );
  const c = back!.collections![1]!;
  assert.deepEqual(
    c.reads.map((r) => r.version),
    [{ blockNum: 3, txNum: 1 }, undefined],
  );
  assert.deepEqual(
    c.writes.map((w) => [Buffer.from(w.keyHash).toString('hex'), w.isDelete]),
    writes.map((w) => [Buffer.from(w.keyHash).toString('hex'), w.isDelete]),
  );
  assert.deepEqual(Buffer.from(encodeTxReadWriteSet(decodeTxReadWriteSet(bytes))), Buffer.from(bytes), 're-encoding is a fixpoint');
});

test('private writes round-trip as TxPvtReadWriteSet and are checked against the block’s hashes', () => {
  const bytes = encodeTxPvtReadWriteSet([{ namespace: 'evidence', collections: [pvt] }]);
  const [ns] = decodeTxPvtReadWriteSet(bytes);
  assert.equal(ns!.namespace, 'evidence');
  const back = ns!.collections[0]!;
  assert.deepEqual(
    back.writes.map((w) => [w.key, w.isDelete, Buffer.from(w.value).toString()]),
    [
      ['gone', true, ''],
      ['placa-ção/1', false, 'image bytes'],
    ],
  );
  const hashed = { collection: pvt.collection, reads: [], ...hashCollectionWrites(pvt) };
  assert.equal(privateWritesMatch(hashed, back), true);
  const forged = { ...back, writes: back.writes.map((w) => (w.isDelete ? w : { ...w, value: Buffer.from('another image') })) };
  assert.equal(privateWritesMatch(hashed, forged), false);
  assert.equal(privateWritesMatch({ ...hashed, collection: '_implicit_org_X' }, back), false);
});

test('implicit collection names and the hashed state’s place', () => {
  assert.equal(implicitCollectionName('CETSPMSP'), '_implicit_org_CETSPMSP');
  assert.equal(implicitCollectionOrg('_implicit_org_CETSPMSP'), 'CETSPMSP');
  assert.equal(implicitCollectionOrg('_implicit_org_'), undefined);
  assert.equal(implicitCollectionOrg('images'), undefined);
  assert.deepEqual(hashedStateKey('evidence', '_implicit_org_CETSPMSP', privateDataHash('k')), {
    ns: 'evidence$$h_implicit_org_CETSPMSP',
    key: sha256('k').toString('hex'),
  });
});
