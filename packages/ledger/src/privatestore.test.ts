// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LedgerError } from './errors';
import { PrivateStore, type PrivateTxData } from './privatestore';
import { withTempDir } from './testing/tmp';

const C = '_implicit_org_CETSPMSP';
const tx = (txNum: number, writes: Record<string, string | null>): PrivateTxData => ({
  txNum,
  rwset: [{ namespace: 'evidence', collections: [{ collection: C, writes: Object.entries(writes).map(([key, v]) => ({ key, isDelete: v === null, value: Buffer.from(v ?? '') })) }] }],
});
const text = (v: { value: Uint8Array } | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v.value).toString());

test('a private store keeps values with the version that wrote them, per block, and across a reopen', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'pvt');
    let store = await PrivateStore.open(path);
    assert.equal(store.savepoint, -1);
    await store.commitBlock(3, [tx(0, { a: 'one', b: 'two' }), tx(2, { a: 'three' })]);
    assert.equal(store.savepoint, 3);
    assert.deepEqual((await store.get('evidence', C, 'a'))!.version, { blockNum: 3, txNum: 2 });
    assert.equal(text(await store.get('evidence', C, 'a')), 'three');
    assert.equal(await store.get('evidence', '_implicit_org_X', 'a'), undefined);
    // a block re-delivered after a crash (at or below the savepoint) changes nothing
    await store.commitBlock(3, [tx(0, { a: 'forged' })]);
    assert.equal(text(await store.get('evidence', C, 'a')), 'three');
    await store.commitBlock(5, [tx(1, { b: null })]);
    await store.close();

    store = await PrivateStore.open(path);
    try {
      assert.equal(store.savepoint, 5);
      assert.equal(await store.get('evidence', C, 'b'), undefined);
      assert.equal(text(await store.get('evidence', C, 'a')), 'three');
      assert.deepEqual((await store.blockData(3)).map((t) => [t.txNum, t.rwset[0]!.collections[0]!.writes.map((w) => w.key)]), [[0, ['a', 'b']], [2, ['a']]]);
      assert.deepEqual(await store.blockData(4), []);
      await assert.rejects(store.commitBlock(6, [{ txNum: 0, rwset: [{ namespace: 'evidence', collections: [{ collection: C, writes: [{ key: '\ud800', isDelete: false, value: Buffer.from('x') }] }] }] }]), (e: unknown) => e instanceof LedgerError && e.code === 'BAD_KEY');
      assert.equal(store.savepoint, 5, 'nothing of a refused block is written');
    } finally {
      await store.close();
    }
  });
});
