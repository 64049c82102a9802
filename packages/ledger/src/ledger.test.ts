// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BlockStore } from './blockstore';
import { LedgerError } from './errors';
import { Ledger } from './ledger';
import { StateDb } from './statedb';
import { headerHashOf, newTestBlock, newTestEnvelope, TestChain, testTxId } from './testing/blocks';
import { withTempDir } from './testing/tmp';
import { verifyLedger } from './testing/verify';

const isCode = (code: string) => (e: unknown) => e instanceof LedgerError && e.code === code;
const chainOf = () =>
  new TestChain(3, { txPerBlock: 1, txPerBlockMax: 12, writesPerTx: 2, valueBytes: 64, keySpace: 8, invalidEvery: 4, deleteEvery: 5 });

test('commit applies only valid transactions, with versions (block, tx)', () =>
  withTempDir(async (dir) => {
    const ledger = await Ledger.open(dir);
    const envs = [
      newTestEnvelope(testTxId('t0'), [{ ns: 'lr', key: 'm1', value: Uint8Array.of(1) }]),
      newTestEnvelope(testTxId('t1'), [{ ns: 'lr', key: 'm2', value: Uint8Array.of(2) }]),
      newTestEnvelope(testTxId('t2'), [
        { ns: 'lr', key: 'm1', value: Uint8Array.of(3) },
        { ns: 'meters', key: 'x', value: Uint8Array.of(4) },
      ]),
    ];
    const b0 = newTestBlock(0, new Uint8Array(0), envs, [0, 11 /* MVCC_READ_CONFLICT */, 0]);
    const result = await ledger.commit(b0);
    assert.deepEqual(
      result.txIndex.map((e) => e.code),
      [0, 11, 0],
    );
    assert.deepEqual((await ledger.state.get('lr', 'm1'))?.version, { blockNum: 0, txNum: 2 });
    assert.equal(await ledger.state.get('lr', 'm2'), undefined, 'invalid tx wrote nothing');
    assert.deepEqual((await ledger.state.get('meters', 'x'))?.version, { blockNum: 0, txNum: 2 });
    assert.deepEqual(await ledger.getTx(testTxId('t1')), { blockNum: 0, txNum: 1, code: 11 });
    const b1 = newTestBlock(1, headerHashOf(b0), [newTestEnvelope(testTxId('t3'), [{ ns: 'lr', key: 'm1', isDelete: true }])]);
    await ledger.commit(b1.serializeBinary());
    assert.equal(await ledger.state.get('lr', 'm1'), undefined);
    await verifyLedger(ledger);
    await ledger.close();
  }));

test('a refused block changes neither blocks nor state', () =>
  withTempDir(async (dir) => {
    const ledger = await Ledger.open(dir);
    const chain = chainOf();
    const b0 = chain.nextBlock();
    await ledger.commit(b0);
    const b1 = chain.nextBlock();
    await assert.rejects(ledger.commit(chain.nextBlock()), isCode('BLOCK_OUT_OF_ORDER'));
    await assert.rejects(ledger.commit(newTestBlock(1, new Uint8Array(32), b1.getData()!.getDataList_asU8())), isCode('BAD_PREVIOUS_HASH'));
    const noFilter = newTestBlock(1, headerHashOf(b0), b1.getData()!.getDataList_asU8());
    noFilter.getMetadata()!.setMetadataList([]);
    await assert.rejects(ledger.commit(noFilter), isCode('MISSING_TX_FILTER'));
    const badKey = newTestBlock(1, headerHashOf(b0), [
      newTestEnvelope(testTxId('bad'), [
        { ns: 'lr', key: 'ok', value: Uint8Array.of(1) },
        { ns: 'l\0r', key: 'k', value: Uint8Array.of(1) },
      ]),
    ]);
    await assert.rejects(ledger.commit(badKey), isCode('BAD_KEY'));
    assert.equal(ledger.height, 1);
    assert.equal(ledger.state.savepoint, 0);
    assert.equal(await ledger.state.get('lr', 'ok'), undefined);
    await ledger.commit(b1);
    await verifyLedger(ledger);
    await ledger.close();
  }));

test('concurrent commits are applied in call order', () =>
  withTempDir(async (dir) => {
    const ledger = await Ledger.open(dir);
    const chain = chainOf();
    const blocks = Array.from({ length: 8 }, () => chain.nextBlock());
    const results = await Promise.all(blocks.map((b) => ledger.commit(b)));
    assert.deepEqual(
      results.map((r) => r.blockNum),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    await verifyLedger(ledger);
    await ledger.close();
  }));

test('state lagging behind the blocks (crash between block write and state batch) is replayed on open', () =>
  withTempDir(async (dir) => {
    const chain = chainOf();
    let ledger = await Ledger.open(dir);
    for (let i = 0; i < 4; i++) await ledger.commit(chain.nextBlock());
    await ledger.close();
    // Blocks 4..9 reach the block store only, as if the process died before each state batch.
    const store = await BlockStore.open(join(dir, 'chains'));
    for (let i = 0; i < 6; i++) await store.append(chain.nextBlock());
    await store.close();
    ledger = await Ledger.open(dir);
    assert.equal(ledger.recovery.replayedBlocks, 6);
    assert.equal(ledger.height, 10);
    await verifyLedger(ledger);
    await ledger.commit(chain.nextBlock());
    await ledger.close();
  }));

test('a state savepoint past the blocks is refused on open', () =>
  withTempDir(async (dir) => {
    const state = await StateDb.open(join(dir, 'state'));
    await state.applyBlock(0, []);
    await state.close();
    await assert.rejects(Ledger.open(dir), isCode('STATE_AHEAD'));
  }));

test('iterate yields a block only once its writes are in the state, and ends on abort', () =>
  withTempDir(async (dir) => {
    const ledger = await Ledger.open(dir);
    const ac = new AbortController();
    const seen: { n: number; value: number | undefined }[] = [];
    let n = 0;
    const reader = (async () => {
      for await (const _block of ledger.iterate(0, { signal: ac.signal })) {
        // read the state the moment the stream announces the block, as a Deliver client would
        const v = await ledger.state.get('lr', `k${n}`);
        seen.push({ n, value: v?.value[0] });
        n++;
        if (seen.length === 5) ac.abort();
      }
    })();
    let prev: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 5; i++) {
      const b = newTestBlock(i, prev, [newTestEnvelope(testTxId(`it${i}`), [{ ns: 'lr', key: `k${i}`, value: Uint8Array.of(i + 1) }])]);
      await ledger.commit(b);
      prev = headerHashOf(b);
    }
    await reader; // it stops itself after the fifth block
    assert.deepEqual(
      seen,
      [0, 1, 2, 3, 4].map((i) => ({ n: i, value: i + 1 })),
    );
    await ledger.close();
  }));

test('onApplied hears each commit’s writes once they are readable, before the commit resolves or a stream yields the block', () =>
  withTempDir(async (dir) => {
    const ledger = await Ledger.open(dir);
    const events: string[] = [];
    const off = ledger.onApplied((blockNum, updates) => {
      events.push(
        `applied ${blockNum}: ${updates.map((u) => `${u.key}=${u.isDelete ? 'deleted' : u.value?.[0]}@${u.version.blockNum}.${u.version.txNum}`).join(' ')}`,
      );
      // another thread's cache is fed from here: the writes must already be readable
      assert.equal(ledger.state.getNow('lr', updates[0]!.key)?.value[0], updates[0]!.value?.[0]);
    });
    const ac = new AbortController();
    const reader = (async () => {
      for await (const _block of ledger.iterate(0, { signal: ac.signal })) {
        events.push('yielded');
        if (events.filter((e) => e === 'yielded').length === 4) ac.abort();
      }
    })();
    let prev: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 3; i++) {
      const b = newTestBlock(i, prev, [newTestEnvelope(testTxId(`ap${i}`), [{ ns: 'lr', key: `k${i}`, value: Uint8Array.of(i + 1) }])]);
      await ledger.commit(b).then(() => events.push(`resolved ${i}`));
      prev = headerHashOf(b);
    }
    off();
    const b3 = newTestBlock(3, prev, [newTestEnvelope(testTxId('ap3'), [{ ns: 'lr', key: 'k0', value: Uint8Array.of(9) }])]);
    await ledger.commit(b3);
    await reader; // it stops itself after the fourth block
    for (let i = 0; i < 3; i++) {
      const at = events.indexOf(`applied ${i}: k${i}=${i + 1}@${i}.0`);
      assert.ok(at >= 0, events.join(' | '));
      assert.ok(at < events.indexOf(`resolved ${i}`), `block ${i} resolved before it was applied: ${events.join(' | ')}`);
      assert.equal(
        events.slice(0, at).filter((e) => e === 'yielded').length,
        i,
        `a stream yielded block ${i} before onApplied: ${events.join(' | ')}`,
      );
    }
    assert.ok(!events.some((e) => e.startsWith('applied 3')), 'a removed listener hears nothing');
    await ledger.close();
  }));
