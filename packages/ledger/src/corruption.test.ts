// SPDX-License-Identifier: Apache-2.0
// Damaged block files: a damaged record is never served, damage in what recovery reads stops the
// open instead of being truncated away, a torn tail is still repaired, and the record reader and the
// verification scan report every damaged record and go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { BlockStore } from './blockstore';
import { LedgerError } from './errors';
import { Ledger } from './ledger';
import { readBlockRecords, type BlockFileEntry } from './records';
import { newRng, TestChain } from './testing/blocks';
import { withTempDir } from './testing/tmp';
import { verifyLedgerFiles } from './verify';

const chainOf = () => new TestChain(3, { txPerBlock: 3, writesPerTx: 2, valueBytes: 150, keySpace: 10, invalidEvery: 4 });
const isCorrupt = (fields: Record<string, unknown>) => (e: unknown) => {
  assert.ok(e instanceof LedgerError, String(e));
  assert.equal(e.code, 'CORRUPT_BLOCK_FILE', e.message);
  for (const [k, v] of Object.entries(fields)) assert.equal(e.details?.[k], v, `details.${k} in ${JSON.stringify(e.details)}`);
  return true;
};

/** A ledger of `n` blocks in `dir` (one block file); returns each record's offset and length. */
async function newLedger(
  dir: string,
  n: number,
  opts: { maxFileSize?: number } = {},
): Promise<{ offsets: number[]; lengths: number[]; file: string }> {
  const chain = chainOf();
  const ledger = await Ledger.open(dir, opts);
  for (let i = 0; i < n; i++) await ledger.commit(chain.nextBlock());
  await ledger.close();
  const offsets: number[] = [];
  const lengths: number[] = [];
  for await (const e of readBlockRecords(join(dir, 'chains'))) {
    assert.equal(e.kind, 'block');
    offsets.push(e.offset);
    lengths.push(e.kind === 'block' ? e.length : 0);
  }
  return { offsets, lengths, file: join(dir, 'chains', 'blockfile_000000') };
}

async function flip(file: string, at: number, mask = 0x01): Promise<void> {
  const bytes = await readFile(file);
  bytes[at] = bytes[at]! ^ mask;
  await writeFile(file, bytes);
}

async function entries(dir: string): Promise<BlockFileEntry[]> {
  const out: BlockFileEntry[] = [];
  for await (const e of readBlockRecords(join(dir, 'chains'))) out.push(e);
  return out;
}

const summary = (es: readonly BlockFileEntry[]) => es.map((e) => (e.kind === 'block' ? e.blockNumber : `${e.code}@${e.offset}`));

test("a flipped byte in a stored block is refused when read (queries and Deliver's iterator), not served", () =>
  withTempDir(async (dir) => {
    const { offsets, file } = await newLedger(dir, 8);
    await flip(file, offsets[3]! + 40);
    const ledger = await Ledger.open(dir);
    try {
      assert.equal(ledger.height, 8, 'the damage is not in what open reads');
      await assert.rejects(ledger.getBlock(3), isCorrupt({ path: file, file: 0, offset: offsets[3], blockNum: 3 }));
      assert.ok((await ledger.getBlock(4)).length > 0, 'the other blocks are still served');
      const served: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const b of ledger.iterate(0)) {
            served.push(common.Block.deserializeBinary(b).getHeader()!.getNumber());
            if (served.length === 8) break;
          }
        })(),
        isCorrupt({ blockNum: 3 }),
      );
      assert.deepEqual(served, [0, 1, 2], 'a Deliver stream stops before the damaged block');
    } finally {
      await ledger.close();
    }
  }));

test('damage in the last block is detected when the ledger opens', () =>
  withTempDir(async (dir) => {
    const { offsets, file } = await newLedger(dir, 5);
    await flip(file, offsets[4]! + 100);
    await assert.rejects(Ledger.open(dir), isCorrupt({ blockNum: 4, offset: offsets[4] }));
  }));

test('damage in the middle of what recovery scans stops the open and is never truncated away', () =>
  withTempDir(async (dir) => {
    const { offsets, file } = await newLedger(dir, 6);
    const size = (await stat(file)).size;
    // The index is gone: recovery reads every record from the start.
    for (const [label, damage] of [
      ['a payload byte', () => flip(file, offsets[2]! + 30)],
      ['a checksum byte', () => flip(file, offsets[2]! + 6)],
      ['the length field', () => flip(file, offsets[2]!, 0x40)],
    ] as const) {
      const original = await readFile(file);
      await damage();
      await rm(join(dir, 'chains', 'index'), { recursive: true, force: true });
      await assert.rejects(Ledger.open(dir), isCorrupt({ offset: offsets[2], blockNum: 2, path: file }), label);
      assert.equal((await stat(file)).size, size, `${label}: nothing was truncated`);
      await writeFile(file, original);
    }
    const ledger = await Ledger.open(dir);
    assert.equal(ledger.height, 6, 'with the bytes restored every block is back');
    await ledger.close();
  }));

test('a torn tail (an append cut short) is still truncated on open: a partial header, a partial record, a full-length garbage record', () =>
  withTempDir(async (dir) => {
    const { offsets, lengths, file } = await newLedger(dir, 4);
    const full = await readFile(file);
    const lastEnd = offsets[3]! + 12 + lengths[3]!;
    // The block store alone: the state has applied block 3, which these cuts take away.
    const chains = join(dir, 'chains');
    for (const cut of [offsets[3]! + 5, offsets[3]! + 12 + 20]) {
      await writeFile(file, full.subarray(0, cut));
      await rm(join(chains, 'index'), { recursive: true, force: true });
      const es = await entries(dir);
      assert.deepEqual(summary(es), [0, 1, 2, `TORN_TAIL@${offsets[3]}`]);
      const store = await BlockStore.open(chains);
      assert.equal(store.height, 3);
      assert.equal(store.recovery.truncatedBytes, cut - offsets[3]!);
      await store.close();
    }
    // a record whose length is right but whose bytes never reached the disk (zeros)
    const zeroed = Buffer.concat([full.subarray(0, offsets[3]! + 12), Buffer.alloc(lengths[3]!)]);
    await writeFile(file, zeroed);
    await rm(join(chains, 'index'), { recursive: true, force: true });
    const store = await BlockStore.open(chains);
    assert.equal(store.height, 3);
    assert.equal(store.recovery.truncatedBytes, lastEnd - offsets[3]!);
    await store.close();
  }));

test('the record reader reports each damaged record with file, offset and expected block, and goes on', () =>
  withTempDir(async (dir) => {
    const { offsets, lengths, file } = await newLedger(dir, 9);
    await flip(file, offsets[2]! + 12 + 50); // payload: data_hash
    await flip(file, offsets[5]!, 0x7f); // length field: runs past the end
    const es = await entries(dir);
    assert.deepEqual(summary(es), [0, 1, `BAD_CHECKSUM@${offsets[2]}`, 3, 4, `BAD_LENGTH@${offsets[5]}`, 6, 7, 8]);
    const bad = es.filter((e) => e.kind === 'damaged');
    assert.deepEqual(
      bad.map((e) => [e.file, e.path, e.expectedBlockNumber, e.length]),
      [
        [0, file, 2, 12 + lengths[2]!],
        [0, file, 5, 12 + lengths[5]!],
      ],
    );
    assert.equal(bad[0]!.kind === 'damaged' && bad[0]!.claimedBlockNumber, 2);

    // reading from a position (an incremental audit's resume point)
    const from: BlockFileEntry[] = [];
    for await (const e of readBlockRecords(join(dir, 'chains'), { from: { file: 0, offset: offsets[6]! } })) from.push(e);
    assert.deepEqual(summary(from), [6, 7, 8]);
  }));

test('damage in a block file that is not the newest is corruption, even at its end', () =>
  withTempDir(async (dir) => {
    await newLedger(dir, 12, { maxFileSize: 6_000 });
    const first = join(dir, 'chains', 'blockfile_000000');
    assert.ok((await stat(join(dir, 'chains', 'blockfile_000001'))).size > 0);
    const es0 = await entries(dir);
    const lastOfFirst = es0.filter((e) => e.file === 0).at(-1)!;
    await truncate(first, lastOfFirst.offset + 20);
    const es = await entries(dir);
    const damaged = es.filter((e) => e.kind === 'damaged');
    assert.equal(damaged.length, 1);
    assert.equal(damaged[0]!.code, 'BAD_LENGTH');
    assert.equal(es.filter((e) => e.kind === 'block').length, 11, 'every other block is read');
  }));

test('verification scan: a sound ledger has no findings; each damage, gap and lost tail is listed', () =>
  withTempDir(async (dir) => {
    const { offsets, file } = await newLedger(dir, 10);
    const sound = await verifyLedgerFiles(dir);
    assert.deepEqual(sound.findings, []);
    assert.equal(sound.blocks, 10);
    assert.equal(sound.lastBlockNumber, 9);
    assert.deepEqual(sound.index, { checked: true, height: 10 });

    const original = await readFile(file);
    await flip(file, offsets[1]! + 33);
    await flip(file, offsets[6]! + 3);
    let v = await verifyLedgerFiles(dir);
    assert.deepEqual(
      v.findings.map((f) => [f.code, f.file, f.offset, f.blockNumber]),
      [
        ['BAD_CHECKSUM', 0, offsets[1], 1],
        ['BAD_CHECKSUM', 0, offsets[6], 6],
      ],
    );
    assert.equal(v.blocks, 8);

    // Cut cleanly at a record boundary: the files look whole, the index knows better.
    await writeFile(file, original.subarray(0, offsets[7]));
    v = await verifyLedgerFiles(dir);
    assert.deepEqual(
      v.findings.map((f) => [f.code, f.blockNumber]),
      [['MISSING_BLOCKS', 7]],
    );
    assert.match(v.findings[0]!.message, /index records 10 blocks/);

    // A record removed from the middle: a gap in the numbers.
    await writeFile(file, Buffer.concat([original.subarray(0, offsets[4]), original.subarray(offsets[5])]));
    v = await verifyLedgerFiles(dir, { index: false });
    assert.deepEqual(
      v.findings.map((f) => [f.code, f.blockNumber]),
      [['MISSING_BLOCKS', 4]],
    );
    assert.deepEqual(v.index, { checked: false, reason: 'not asked for' });
  }));

test('the verification scan cannot open the index of a running ledger, and says so', () =>
  withTempDir(async (dir) => {
    await newLedger(dir, 2);
    const store = await BlockStore.open(join(dir, 'chains'));
    try {
      const v = await verifyLedgerFiles(dir);
      assert.equal(v.index.checked, false);
      assert.equal(v.findings.length, 0);
      assert.equal(v.blocks, 2);
    } finally {
      await store.close();
    }
  }));

test('a ledger directory that is a file gets NOT_A_DIRECTORY', () =>
  withTempDir(async (dir) => {
    const path = join(dir, 'file');
    await writeFile(path, 'x');
    await assert.rejects(Ledger.open(path), (e: unknown) => e instanceof LedgerError && e.code === 'NOT_A_DIRECTORY');
    await assert.rejects(verifyLedgerFiles(path), (e: unknown) => e instanceof LedgerError && e.code === 'NO_LEDGER');
  }));

test('every single flipped byte, at 200 seeded places in a block file, is found by the scan and never served', async (t) =>
  withTempDir(async (dir) => {
    const { offsets, lengths, file } = await newLedger(dir, 12);
    const original = await readFile(file);
    const blocks: Buffer[] = offsets.map((o, i) => original.subarray(o + 12, o + 12 + lengths[i]!));
    const rng = newRng(0xc0ffee);
    let scanned = 0;
    let refused = 0;
    const PLACES = 200;
    for (let i = 0; i < PLACES; i++) {
      const at = Math.floor(rng() * original.length);
      const hit = offsets.findLastIndex((o) => o <= at);
      const damaged = Buffer.from(original);
      damaged[at] = damaged[at]! ^ (1 << Math.floor(rng() * 8));
      await writeFile(file, damaged);
      const v = await verifyLedgerFiles(dir, { index: false });
      if (v.findings.some((f) => f.offset === offsets[hit] && f.blockNumber === hit)) scanned++;
      // Whatever is read back is exactly what was written, or refused.
      let store: BlockStore | undefined;
      let served = 0;
      try {
        store = await BlockStore.open(join(dir, 'chains'), { cacheBlocks: 0 });
        for (let n = 0; n < offsets.length; n++) {
          try {
            assert.deepEqual(Buffer.from(await store.getBlock(n)), blocks[n], `block ${n} served altered (byte ${at} flipped)`);
            served++;
          } catch (e) {
            if (!(e instanceof LedgerError && e.code === 'CORRUPT_BLOCK_FILE')) throw e;
            assert.equal(n, hit, `only block ${hit} is refused`);
          }
        }
      } catch (e) {
        if (!(e instanceof LedgerError && e.code === 'CORRUPT_BLOCK_FILE' && hit === offsets.length - 1)) throw e; // open checks the last block
      } finally {
        await store?.close();
      }
      if (served === offsets.length - 1 || store === undefined) refused++;
    }
    await writeFile(file, original);
    t.diagnostic(
      `single-byte corruptions: ${scanned} of ${PLACES} found by the scan at the right record; ${refused} of ${PLACES} refused on read with every other block served intact`,
    );
    assert.equal(scanned, PLACES);
    assert.equal(refused, PLACES);
  }));
