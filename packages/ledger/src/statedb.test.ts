// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateReader } from '@metroledger/protocol';
import type { StateUpdate } from './blockparse';
import { LedgerError } from './errors';
import { StateDb } from './statedb';
import { withTempDir } from './testing/tmp';

const enc = (s: string) => new TextEncoder().encode(s);
const put = (ns: string, key: string, value: string, blockNum: number, txNum: number): StateUpdate => ({
  ns,
  key,
  isDelete: false,
  value: enc(value),
  version: { blockNum, txNum },
});
const del = (ns: string, key: string, blockNum: number, txNum: number): StateUpdate => ({
  ns,
  key,
  isDelete: true,
  version: { blockNum, txNum },
});
const isCode = (code: string) => (e: unknown) => e instanceof LedgerError && e.code === code;

async function keys(r: StateReader, ns: string, start = '', end = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const kv of r.range(ns, start, end)) out.push(kv.key);
  return out;
}

test('values carry the version of the transaction that last wrote them; deletes remove the key', () =>
  withTempDir(async (dir) => {
    const db = await StateDb.open(dir);
    assert.equal(db.savepoint, -1);
    assert.equal(await db.get('lr', 'a'), undefined);
    await db.applyBlock(0, [put('lr', 'a', 'one', 0, 0), put('lr', 'b', 'bee', 0, 1), put('lr', 'a', 'two', 0, 3)]);
    const a = await db.get('lr', 'a');
    assert.deepEqual(a?.version, { blockNum: 0, txNum: 3 }, 'later write in the block wins');
    assert.equal(Buffer.from(a!.value).toString(), 'two');
    await db.applyBlock(1, [del('lr', 'b', 1, 0), put('lr', 'c', '', 1, 2)]);
    assert.equal(await db.get('lr', 'b'), undefined);
    assert.deepEqual(await db.get('lr', 'c'), { version: { blockNum: 1, txNum: 2 }, value: Buffer.alloc(0) });
    assert.deepEqual(
      (
        await db.getMany([
          { ns: 'lr', key: 'a' },
          { ns: 'lr', key: 'b' },
        ])
      ).map((v) => v?.version),
      [{ blockNum: 0, txNum: 3 }, undefined],
    );
    await db.close();
    const again = await StateDb.open(dir);
    assert.equal(again.savepoint, 1, 'savepoint survives reopen');
    assert.deepEqual((await again.get('lr', 'a'))?.version, { blockNum: 0, txNum: 3 });
    await again.close();
  }));

test('range returns keys in UTF-8 byte order (not JS string order), start inclusive, end exclusive', () =>
  withTempDir(async (dir) => {
    const db = await StateDb.open(dir);
    const ks = ['b', 'a', '\u{1F600}', '\uFFFD', 'é', '\0comp\0x\0', 'Z', 'aa'];
    await db.applyBlock(
      0,
      ks.map((k, i) => put('lr', k, k, 0, i)),
    );
    const byteOrder = [...ks].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.notDeepEqual(byteOrder, [...ks].sort(), 'fixture distinguishes the two orders');
    assert.deepEqual(await keys(db, 'lr'), byteOrder);
    assert.ok(byteOrder.indexOf('\uFFFD') < byteOrder.indexOf('\u{1F600}'));
    assert.deepEqual(await keys(db, 'lr', 'a', 'b'), ['a', 'aa']);
    assert.deepEqual(
      await keys(db, 'lr', '\u0001', ''),
      byteOrder.filter((k) => k !== '\0comp\0x\0'),
    );
    assert.deepEqual(await keys(db, 'lr', '\uFFFD', ''), ['\uFFFD', '\u{1F600}']);
    const first = (await (async () => {
      for await (const kv of db.range('lr', 'é', '')) return kv;
      return undefined;
    })())!;
    assert.deepEqual(
      { key: first.key, version: first.version, value: Buffer.from(first.value).toString() },
      { key: 'é', version: { blockNum: 0, txNum: 4 }, value: 'é' },
    );
    await db.close();
  }));

test('namespaces are isolated, including one that is a prefix of another', () =>
  withTempDir(async (dir) => {
    const db = await StateDb.open(dir);
    await db.applyBlock(0, [put('a', 'k', '1', 0, 0), put('ab', 'k', '2', 0, 0), put('a', 'z', '3', 0, 0)]);
    assert.deepEqual(await keys(db, 'a'), ['k', 'z']);
    assert.deepEqual(await keys(db, 'ab'), ['k']);
    assert.equal(Buffer.from((await db.get('ab', 'k'))!.value).toString(), '2');
    assert.deepEqual(await keys(db, 'nothing'), []);
    await db.close();
  }));

test('a block is applied atomically: a bad key anywhere leaves state and savepoint untouched', () =>
  withTempDir(async (dir) => {
    const db = await StateDb.open(dir);
    await db.applyBlock(0, [put('lr', 'a', 'x', 0, 0)]);
    await assert.rejects(db.applyBlock(1, [put('lr', 'a', 'y', 1, 0), put('lr', 'lone\uD800', 'z', 1, 1)]), isCode('BAD_KEY'));
    await assert.rejects(db.applyBlock(1, [put('lr', 'b', 'y', 1, 0), put('', 'k', 'z', 1, 1)]), isCode('BAD_KEY'));
    await assert.rejects(db.applyBlock(1, [put('l\0r', 'b', 'y', 1, 0)]), isCode('BAD_KEY'));
    assert.equal(db.savepoint, 0);
    assert.equal(Buffer.from((await db.get('lr', 'a'))!.value).toString(), 'x');
    assert.equal(await db.get('lr', 'b'), undefined);
    await db.close();
  }));

test('blocks must be applied in order', () =>
  withTempDir(async (dir) => {
    const db = await StateDb.open(dir);
    await assert.rejects(db.applyBlock(1, []), isCode('BLOCK_OUT_OF_ORDER'));
    await db.applyBlock(0, []);
    await assert.rejects(db.applyBlock(0, []), isCode('BLOCK_OUT_OF_ORDER'));
    assert.equal(db.savepoint, 0);
    await db.close();
  }));

test('a snapshot does not see later blocks', () =>
  withTempDir(async (dir) => {
    const db = await StateDb.open(dir);
    await db.applyBlock(0, [put('lr', 'a', 'old', 0, 0)]);
    const snap = db.snapshot();
    await db.applyBlock(1, [put('lr', 'a', 'new', 1, 0), put('lr', 'b', 'new', 1, 1)]);
    assert.equal(snap.savepoint, 0);
    assert.equal(Buffer.from((await snap.get('lr', 'a'))!.value).toString(), 'old');
    assert.deepEqual(await keys(snap, 'lr'), ['a']);
    assert.deepEqual(await keys(db, 'lr'), ['a', 'b']);
    await snap.close();
    await db.close();
  }));

test('blockToLive purges the hashed state of an expired private write at block b+BTL+1, not a rewritten one, not another namespace, across a reopen', () =>
  withTempDir(async (dir) => {
    const H = 'evidence$$hshort';
    const btl = (ns: string, collection: string): number => (ns === 'evidence' && collection === 'short' ? 1 : 0);
    let db = await StateDb.open(dir, { blockToLive: btl });
    assert.deepEqual(
      await db.applyBlock(0, [
        put(H, 'aa', 'h1', 0, 0),
        put(H, 'bb', 'h2', 0, 1),
        put('evidence$$hforever', 'aa', 'h3', 0, 2),
        put('evidence', 'pub', 'p', 0, 3),
      ]),
      [],
    );
    assert.deepEqual(await db.applyBlock(1, [put(H, 'bb', 'h4', 1, 0)]), []);
    await db.close();
    db = await StateDb.open(dir, { blockToLive: btl });
    assert.equal(Buffer.from((await db.get(H, 'aa'))!.value).toString(), 'h1', 'readable at block 0 + 1');
    const purged = await db.applyBlock(2, []);
    assert.deepEqual(
      purged.map((u) => [u.ns, u.key, u.isDelete]),
      [[H, 'aa', true]],
    );
    assert.equal(await db.get(H, 'aa'), undefined);
    assert.equal(Buffer.from((await db.get(H, 'bb'))!.value).toString(), 'h4', 'rewritten at block 1: lives to block 2');
    assert.ok(await db.get('evidence$$hforever', 'aa'));
    assert.ok(await db.get('evidence', 'pub'));
    assert.deepEqual(
      (await db.applyBlock(3, [])).map((u) => u.key),
      ['bb'],
    );
    await db.close();
  }));
