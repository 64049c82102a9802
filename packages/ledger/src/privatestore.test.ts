// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LedgerError } from './errors';
import { PrivateStore, type PrivateTxData } from './privatestore';
import { withTempDir } from './testing/tmp';

const C = '_implicit_org_CETSPMSP';
const tx = (txNum: number, writes: Record<string, string | null>): PrivateTxData => ({
  txNum,
  rwset: [
    {
      namespace: 'evidence',
      collections: [
        { collection: C, writes: Object.entries(writes).map(([key, v]) => ({ key, isDelete: v === null, value: Buffer.from(v ?? '') })) },
      ],
    },
  ],
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
      assert.deepEqual(
        (await store.blockData(3)).map((t) => [t.txNum, t.rwset[0]!.collections[0]!.writes.map((w) => w.key)]),
        [
          [0, ['a', 'b']],
          [2, ['a']],
        ],
      );
      assert.deepEqual(await store.blockData(4), []);
      await assert.rejects(
        store.commitBlock(6, [
          {
            txNum: 0,
            rwset: [
              {
                namespace: 'evidence',
                collections: [{ collection: C, writes: [{ key: '\ud800', isDelete: false, value: Buffer.from('x') }] }],
              },
            ],
          },
        ]),
        (e: unknown) => e instanceof LedgerError && e.code === 'BAD_KEY',
      );
      assert.equal(store.savepoint, 5, 'nothing of a refused block is written');
    } finally {
      await store.close();
    }
  });
});

test('blockToLive: a value written in block b lives through block b+BTL and is purged, with its record, when block b+BTL+1 commits; across a reopen', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'pvt');
    const btl = (_ns: string, collection: string): number => (collection === C ? 2 : 0);
    let store = await PrivateStore.open(path, { blockToLive: btl });
    await store.commitBlock(3, [tx(0, { a: 'one', b: 'two' })]);
    await store.commitBlock(4, [tx(1, { b: 'rewritten' })]); // b's expiry moves with its new version
    await store.commitBlock(5, []);
    assert.equal(text(await store.get('evidence', C, 'a')), 'one', 'readable at block 3+2');
    await store.close();
    store = await PrivateStore.open(path, { blockToLive: btl });
    try {
      await store.commitBlock(6, []); // 3 + 2 + 1
      assert.equal(await store.get('evidence', C, 'a'), undefined, 'purged at block 6');
      assert.equal(text(await store.get('evidence', C, 'b')), 'rewritten', 'a later write is not purged with the earlier one');
      assert.deepEqual(await store.blockData(3), [], "the transaction's private record is purged too");
      assert.equal(store.savepoint, 6);
      await store.commitBlock(7, []);
      assert.equal(await store.get('evidence', C, 'b'), undefined, 'purged at block 4 + 2 + 1');
      assert.deepEqual(await store.blockData(4), []);
    } finally {
      await store.close();
    }
  });
});

test("blockToLive 0 keeps data forever; a private range scan gives this store's values in key order", async () => {
  await withTempDir(async (dir) => {
    const store = await PrivateStore.open(join(dir, 'pvt'));
    try {
      await store.commitBlock(1, [tx(0, { k1: 'a', k3: 'c', k2: 'b', other: 'x' })]);
      for (let b = 2; b < 10; b++) await store.commitBlock(b, []);
      assert.equal(text(await store.get('evidence', C, 'k1')), 'a');
      const all = [];
      for await (const e of store.range('evidence', C, 'k', 'k3')) all.push(e.key);
      assert.deepEqual(all, ['k1', 'k2']);
      const open = [];
      for await (const e of store.range('evidence', C, '', '')) open.push(e.key);
      assert.deepEqual(open, ['k1', 'k2', 'k3', 'other']);
    } finally {
      await store.close();
    }
  });
});

test('a purged value is gone from the store’s files, not only unreadable (the purge compacts)', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'pvt');
    const value = 'plate QWE4R56 evidence that must not outlive its blockToLive';
    const store = await PrivateStore.open(path, { blockToLive: () => 1 });
    try {
      await store.commitBlock(1, [tx(0, { k: value })]);
      const holds = async (): Promise<boolean> => {
        for (const f of await readdir(path)) if ((await readFile(join(path, f))).includes(Buffer.from(value))) return true;
        return false;
      };
      assert.ok(await holds(), 'the value is on disk while it lives');
      await store.commitBlock(3, []);
      assert.equal(await store.get('evidence', C, 'k'), undefined);
      assert.equal(await holds(), false);
    } finally {
      await store.close();
    }
  });
});

test('purgePrivateData: the purged key leaves the current values and every earlier record, by its hash, even without the values; other keys stay', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'pvt');
    const store = await PrivateStore.open(path);
    try {
      await store.commitBlock(1, [tx(0, { k: 'first value of k', other: 'stays' })]);
      await store.commitBlock(2, [tx(0, { k: 'second value of k' })]);
      // block 3: tx 0 writes k again, tx 1 purges it (its own write is the delete), tx 2 writes it anew
      const purge = { namespace: 'evidence', collection: C, keyHash: createHash('sha256').update('k').digest() };
      await store.commitBlock(3, [tx(0, { k: 'third value of k' }), { ...tx(1, { k: null }), purges: [purge] }, tx(2, { fresh: 'x' })]);
      assert.equal(await store.get('evidence', C, 'k'), undefined);
      assert.equal(text(await store.get('evidence', C, 'other')), 'stays');
      const keysOf = async (b: number): Promise<string[][]> =>
        (await store.blockData(b)).map((t) => t.rwset.flatMap((ns) => ns.collections.flatMap((c) => c.writes.map((w) => w.key))));
      assert.deepEqual(await keysOf(1), [['other']]);
      assert.deepEqual(await keysOf(2), []);
      assert.deepEqual(await keysOf(3), [['k'], ['fresh']], 'the purge’s own delete is its record; the earlier write of the block is gone');
      for (const f of await readdir(path)) {
        const bytes = await readFile(join(path, f));
        for (const v of ['first value of k', 'second value of k', 'third value of k'])
          assert.equal(bytes.includes(Buffer.from(v)), false, `${f} still holds ${v}`);
      }
      // a member peer that never received the values still purges what it has, by hash
      await store.commitBlock(4, [tx(0, { k: 'fourth' })]);
      await store.commitBlock(5, [{ txNum: 0, rwset: [], purges: [purge] }]);
      assert.equal(await store.get('evidence', C, 'k'), undefined);
      assert.deepEqual(await keysOf(4), []);
    } finally {
      await store.close();
    }
  });
});
