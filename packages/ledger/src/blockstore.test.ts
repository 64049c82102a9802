// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { ClassicLevel } from 'classic-level';
import { BlockStore } from './blockstore';
import { LedgerError } from './errors';
import { headerHashOf, newTestBlock, newTestEnvelope, TestChain, testTxId } from './testing/blocks';
import { withTempDir } from './testing/tmp';

const isCode = (code: string) => (e: unknown) => e instanceof LedgerError && e.code === code;
const numberOf = (bytes: Uint8Array) => common.Block.deserializeBinary(bytes).getHeader()!.getNumber();
const chainOf = (seed = 1) => new TestChain(seed, { txPerBlock: 5, writesPerTx: 2, valueBytes: 100, keySpace: 10, invalidEvery: 3 });

async function collect(it: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const b of it) out.push(numberOf(b));
  return out;
}

test('blocks out of order, with a wrong previous hash or data hash are refused and leave the store unchanged', () =>
  withTempDir(async (dir) => {
    const store = await BlockStore.open(dir);
    const chain = chainOf();
    const b0 = chain.nextBlock();
    await store.append(b0);
    const b1 = chain.nextBlock();
    const b2 = chain.nextBlock();
    await assert.rejects(store.append(b2), isCode('BLOCK_OUT_OF_ORDER'));
    await assert.rejects(store.append(b0), isCode('BLOCK_OUT_OF_ORDER'));
    const forged = newTestBlock(1, new Uint8Array(32), b1.getData()!.getDataList_asU8());
    await assert.rejects(store.append(forged), isCode('BAD_PREVIOUS_HASH'));
    const tampered = common.Block.deserializeBinary(b1.serializeBinary());
    tampered.getData()!.setDataList([...tampered.getData()!.getDataList_asU8()].reverse());
    await assert.rejects(store.append(tampered), isCode('BAD_DATA_HASH'));
    await assert.rejects(store.append(Uint8Array.of(1, 2, 3)), isCode('MALFORMED_BLOCK'));
    await assert.rejects(store.append(b1, [{ txId: 'x', code: 0 }]), isCode('TX_INDEX_MISMATCH'));
    assert.equal(store.height, 1);
    assert.deepEqual(Buffer.from(store.lastHeaderHash), Buffer.from(headerHashOf(b0)));
    await store.append(b1); // the right block still goes in
    await store.close();
    const again = await BlockStore.open(dir);
    assert.equal(again.height, 2);
    assert.deepEqual(again.recovery, { truncatedBytes: 0, reindexedBlocks: 0 });
    await again.append(b2);
    await again.close();
  }));

test('blocks, hashes and transactions are found by number, hash and tx id after reopen', () =>
  withTempDir(async (dir) => {
    const chain = chainOf();
    const blocks = Array.from({ length: 6 }, () => chain.nextBlock());
    let store = await BlockStore.open(dir, { cacheBlocks: 0 });
    for (const b of blocks) await store.append(b.serializeBinary());
    await store.close();
    store = await BlockStore.open(dir, { cacheBlocks: 0 });
    for (const [n, b] of blocks.entries()) {
      assert.deepEqual(Buffer.from(await store.getBlock(n)), Buffer.from(b.serializeBinary()));
      assert.equal(numberOf((await store.getBlockByHash(headerHashOf(b)))!), n);
      const filter = b.getMetadata()!.getMetadataList_asU8()[2]!;
      for (const [txNum, env] of b.getData()!.getDataList_asU8().entries()) {
        const txId = common.ChannelHeader.deserializeBinary(
          common.Payload.deserializeBinary(common.Envelope.deserializeBinary(env).getPayload_asU8()).getHeader()!.getChannelHeader_asU8(),
        ).getTxId();
        assert.deepEqual(await store.getTx(txId), { blockNum: n, txNum, code: filter[txNum] });
      }
    }
    assert.equal(await store.getTx(testTxId('unknown')), undefined);
    assert.equal(await store.getBlockByHash(new Uint8Array(32)), undefined);
    await assert.rejects(store.getBlock(6), isCode('BLOCK_NOT_FOUND'));
    await assert.rejects(store.getBlock(-1), isCode('BLOCK_NOT_FOUND'));
    assert.deepEqual(await collect(store.blocks(2)), [2, 3, 4, 5]);
    assert.deepEqual(await collect(store.blocks(1, 3)), [1, 2]);
    await store.close();
    await assert.rejects(store.getBlock(0), isCode('CLOSED'));
  }));

test('a duplicate tx id resolves to its first occurrence', () =>
  withTempDir(async (dir) => {
    const store = await BlockStore.open(dir);
    const env = newTestEnvelope(testTxId('dup'), [{ ns: 'lr', key: 'k', value: Uint8Array.of(1) }]);
    const b0 = newTestBlock(0, new Uint8Array(0), [env], [0]);
    await store.append(b0);
    await store.append(newTestBlock(1, headerHashOf(b0), [env], [30 /* DUPLICATE_TXID */]));
    assert.deepEqual(await store.getTx(testTxId('dup')), { blockNum: 0, txNum: 0, code: 0 });
    await store.close();
  }));

test('duplicates within a block and across re-indexing resolve to the first occurrence', () =>
  withTempDir(async (dir) => {
    const store = await BlockStore.open(dir);
    const env = newTestEnvelope(testTxId('twice'), [{ ns: 'lr', key: 'k', value: Uint8Array.of(1) }]);
    const b0 = newTestBlock(0, new Uint8Array(0), [env, env], [0, 30]);
    await store.append(b0);
    await store.close();
    // drop the index: open re-indexes every block from the files
    await rm(join(dir, 'index'), { recursive: true });
    const reopened = await BlockStore.open(dir);
    assert.equal(reopened.recovery.reindexedBlocks, 1);
    assert.deepEqual(await reopened.getTx(testTxId('twice')), { blockNum: 0, txNum: 0, code: 0 });
    await reopened.close();
  }));

test('an index of format 1 (every occurrence under t) is migrated on open', () =>
  withTempDir(async (dir) => {
    const store = await BlockStore.open(dir);
    const env = newTestEnvelope(testTxId('dup'), [{ ns: 'lr', key: 'k', value: Uint8Array.of(1) }]);
    const other = newTestEnvelope(testTxId('other'), [{ ns: 'lr', key: 'k', value: Uint8Array.of(2) }]);
    const b0 = newTestBlock(0, new Uint8Array(0), [other, env], [0, 11]);
    await store.append(b0);
    await store.append(newTestBlock(1, headerHashOf(b0), [env], [30]));
    await store.close();
    // rewrite the tx index as format 1 wrote it
    const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const v1 = (txId: string, blockNum: number, txNum: number, code: number): [Buffer, Buffer] => {
      const k = Buffer.alloc(txId.length + 14);
      k[0] = 0x74;
      k.write(txId, 1);
      k.writeUInt32BE(blockNum, txId.length + 6);
      k.writeUInt32BE(txNum, txId.length + 10);
      return [k, Buffer.of(code)];
    };
    const batch = db.batch().del(Buffer.from('v'));
    for await (const k of db.keys({ gte: Buffer.from('T'), lt: Buffer.from('U') })) batch.del(k);
    for (const [k, v] of [v1(testTxId('dup'), 0, 1, 11), v1(testTxId('dup'), 1, 0, 30), v1(testTxId('other'), 0, 0, 0)]) batch.put(k, v);
    await batch.write();
    assert.equal(await db.get(Buffer.concat([Buffer.from('T'), Buffer.from(testTxId('dup'))])), undefined);
    await db.close();

    const migrated = await BlockStore.open(dir);
    assert.deepEqual(await migrated.getTx(testTxId('dup')), { blockNum: 0, txNum: 1, code: 11 });
    assert.deepEqual(await migrated.getTx(testTxId('other')), { blockNum: 0, txNum: 0, code: 0 });
    assert.equal(await migrated.getTx(testTxId('unknown')), undefined);
    await migrated.close();
    const db2 = new ClassicLevel<Buffer, Buffer>(join(dir, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db2.open();
    assert.deepEqual(await db2.keys({ gte: Buffer.from('t'), lt: Buffer.from('u') }).all(), [], 'format-1 entries are removed');
    await db2.close();
  }));

test('iterate delivers existing blocks, then waits for new ones; abort and close end it', () =>
  withTempDir(async (dir) => {
    const store = await BlockStore.open(dir);
    const chain = chainOf();
    await store.append(chain.nextBlock());
    await store.append(chain.nextBlock());
    // No sleeps: the iterator is stepped by hand. Past the head it has no I/O left to do, so one
    // event-loop turn brings it to its wait; a `next()` still pending then is one that waits.
    const turn = () => new Promise<void>((r) => setImmediate(r));
    const pendingAfterTurn = async <T>(p: Promise<T>): Promise<boolean> => {
      let settled = false;
      void p.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      await turn();
      return !settled;
    };
    const ac = new AbortController();
    const it = store.iterate(1, { signal: ac.signal });
    assert.equal(numberOf((await it.next()).value as Uint8Array), 1);
    const third = it.next();
    assert.ok(await pendingAfterTurn(third), 'waits at the head');
    await store.append(chain.nextBlock());
    assert.equal(numberOf((await third).value as Uint8Array), 2, 'an append wakes it');
    await store.append(chain.nextBlock());
    assert.equal(numberOf((await it.next()).value as Uint8Array), 3);

    const waitingForAbort = it.next();
    assert.ok(await pendingAfterTurn(waitingForAbort), 'waits at the head again');
    ac.abort();
    assert.deepEqual(await waitingForAbort, { done: true, value: undefined }, 'abort ends an iterator waiting at the head');

    const waiting = store.iterate(4);
    const waitingForClose = waiting.next();
    assert.ok(await pendingAfterTurn(waitingForClose), 'a fresh iterator at the head waits');
    await store.close();
    assert.deepEqual(await waitingForClose, { done: true, value: undefined }, 'close ends a waiting iterator');
  }));

test('block files roll over at the size limit and every block stays readable', () =>
  withTempDir(async (dir) => {
    const chain = chainOf();
    let store = await BlockStore.open(dir, { maxFileSize: 20_000, cacheBlocks: 0 });
    const blocks = Array.from({ length: 12 }, () => chain.nextBlock());
    for (const b of blocks) await store.append(b);
    await store.close();
    const files = (await readdir(dir)).filter((f) => f.startsWith('blockfile_')).sort();
    assert.ok(files.length >= 3, `rolled over: ${files.join(',')}`);
    for (const f of files) assert.ok((await stat(join(dir, f))).size <= 20_000 || f === files[0]);
    store = await BlockStore.open(dir, { maxFileSize: 20_000, cacheBlocks: 0 });
    assert.deepEqual(
      await collect(store.blocks()),
      blocks.map((_, i) => i),
    );
    await store.append(chain.nextBlock());
    assert.equal(store.height, 13);
    await store.close();
  }));

test('a torn last record (file cut short, or garbage appended) is truncated on open', () =>
  withTempDir(async (dir) => {
    const chain = chainOf();
    let store = await BlockStore.open(dir);
    const blocks = Array.from({ length: 4 }, () => chain.nextBlock());
    for (const b of blocks) await store.append(b);
    await store.close();
    const file = join(dir, 'blockfile_000000');
    const full = (await stat(file)).size;

    // Index lost its last block too: simulate by dropping the index; a cut-short last record stays unindexed.
    await rm(join(dir, 'index'), { recursive: true });
    await truncate(file, full - 5);
    store = await BlockStore.open(dir);
    assert.equal(store.height, 3);
    assert.equal(store.recovery.reindexedBlocks, 3);
    assert.equal(store.recovery.truncatedBytes, blocks[3]!.serializeBinary().length + 12 - 5);
    assert.deepEqual(Buffer.from(store.lastHeaderHash), Buffer.from(headerHashOf(blocks[2]!)));
    await store.append(blocks[3]!); // the lost block can be appended again
    await store.close();
    assert.equal((await stat(file)).size, full);

    await appendFile(file, Buffer.from([0, 0, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3])); // header of a 256-byte record, 3 bytes of it
    store = await BlockStore.open(dir);
    assert.equal(store.height, 4);
    assert.equal(store.recovery.truncatedBytes, 15);
    await store.close();

    await appendFile(file, Buffer.alloc(40, 0xab)); // a complete-looking record with a bad checksum
    store = await BlockStore.open(dir);
    assert.equal(store.height, 4);
    assert.equal(store.recovery.truncatedBytes, 40);
    assert.deepEqual(await collect(store.blocks()), [0, 1, 2, 3]);
    await store.close();
  }));

test('a lost index is rebuilt from the block files, across files', () =>
  withTempDir(async (dir) => {
    const chain = chainOf();
    let store = await BlockStore.open(dir, { maxFileSize: 15_000 });
    const blocks = Array.from({ length: 10 }, () => chain.nextBlock());
    for (const b of blocks) await store.append(b);
    const someTx = (await store.getTx(testTxId('unknown'))) ?? null;
    await store.close();
    await rm(join(dir, 'index'), { recursive: true });
    store = await BlockStore.open(dir, { maxFileSize: 15_000 });
    assert.equal(store.height, 10);
    assert.equal(store.recovery.reindexedBlocks, 10);
    assert.equal(someTx, null);
    assert.equal(numberOf((await store.getBlockByHash(headerHashOf(blocks[7]!)))!), 7);
    assert.deepEqual(Buffer.from(store.lastHeaderHash), Buffer.from(headerHashOf(blocks[9]!)));
    await store.append(chain.nextBlock());
    await store.close();
  }));

test('a block file that does not continue the chain is reported, not silently used', () =>
  withTempDir(async (dir) => {
    const a = chainOf(1);
    let store = await BlockStore.open(dir);
    await store.append(a.nextBlock());
    await store.close();
    // Copy a record of a different chain (block 1 of chain 2) after block 0.
    const other = await withTempDir(async (d2) => {
      const s2 = await BlockStore.open(d2);
      const b = chainOf(2);
      await s2.append(b.nextBlock());
      await s2.append(b.nextBlock());
      await s2.close();
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(join(d2, 'blockfile_000000'));
      const len0 = bytes.readUInt32BE(0) + 12;
      return bytes.subarray(len0);
    });
    await appendFile(join(dir, 'blockfile_000000'), other);
    await rm(join(dir, 'index'), { recursive: true });
    await assert.rejects(BlockStore.open(dir), isCode('CORRUPT_BLOCK_FILE'));
    void store;
  }));
