// SPDX-License-Identifier: Apache-2.0
// Ledger benchmark: node packages/ledger/dist/testing/bench.js [blocks=200]
// Commits blocks of 100 transactions (~3 KB each, 2 writes per tx) with fdatasync, then times state reads.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { blockContents, decodeBlock } from '../blockparse';
import { Ledger } from '../ledger';
import { readBlockRecords, recordChecksumMatches } from '../records';
import { TestChain } from './blocks';
import { withTempDir } from './tmp';

async function main(): Promise<void> {
  const blocks = Number(process.argv[2] ?? 200);
  const txPerBlock = 100;
  const chain = new TestChain(42, { txPerBlock, writesPerTx: 2, valueBytes: 150, keySpace: 20_000, invalidEvery: 20 });
  const encoded = Array.from({ length: blocks }, () => chain.nextBlock().serializeBinary());
  const avgTx = encoded.reduce((s, b) => s + b.length, 0) / blocks / txPerBlock;

  let t = performance.now();
  for (const b of encoded) blockContents(decodeBlock(b));
  const deriveMs = (performance.now() - t) / blocks;

  await withTempDir(async (dir) => {
    const ledger = await Ledger.open(dir, { cacheBlocks: 0 });
    const lat: number[] = [];
    t = performance.now();
    for (const b of encoded) {
      const s = performance.now();
      await ledger.commit(b);
      lat.push(performance.now() - s);
    }
    const secs = (performance.now() - t) / 1000;
    lat.sort((a, b) => a - b);
    console.log(
      `commit: ${blocks} blocks x ${txPerBlock} tx (${avgTx.toFixed(0)} B/tx, ${(encoded[0]!.length / 1024).toFixed(0)} KiB/block), fdatasync on`,
    );
    console.log(
      `  ${(blocks / secs).toFixed(0)} blocks/s, ${((blocks * txPerBlock) / secs).toFixed(0)} tx/s; per block p50 ${lat[Math.floor(blocks / 2)]!.toFixed(2)} ms, p99 ${lat[Math.floor(blocks * 0.99)]!.toFixed(2)} ms; of which rwset derivation ${deriveMs.toFixed(2)} ms`,
    );

    const keys: { ns: string; key: string }[] = [];
    for (const u of blockContents(decodeBlock(encoded[blocks - 1]!)).updates) keys.push({ ns: u.ns, key: u.key });
    const N = 20_000;
    t = performance.now();
    for (let i = 0; i < N; i++) {
      const k = keys[i % keys.length]!;
      await ledger.state.get(k.ns, k.key);
    }
    const getUs = ((performance.now() - t) * 1000) / N;
    t = performance.now();
    for (let i = 0; i < N; i++) await ledger.state.get('lr', `absent-${i}`);
    const missUs = ((performance.now() - t) * 1000) / N;
    const snap = ledger.state.snapshot();
    t = performance.now();
    for (let i = 0; i < N / 4; i++) {
      const k = keys[i % keys.length]!;
      await snap.get(k.ns, k.key);
    }
    const snapUs = ((performance.now() - t) * 1000) / (N / 4);
    await snap.close();
    t = performance.now();
    for (let i = 0; i < 50; i++) await ledger.state.getMany(keys);
    const manyUs = ((performance.now() - t) * 1000) / (50 * keys.length);
    console.log(
      `state get: ${getUs.toFixed(1)} µs (hit), ${missUs.toFixed(1)} µs (miss); snapshot get ${snapUs.toFixed(1)} µs; getMany ${manyUs.toFixed(1)} µs/key (${keys.length} keys per call)`,
    );
    let n = 0;
    t = performance.now();
    for await (const _ of ledger.state.range('lr', '', '')) n++;
    console.log(
      `state range: ${n} keys in ${(performance.now() - t).toFixed(0)} ms (${(((performance.now() - t) * 1000) / n).toFixed(1)} µs/key)`,
    );
    // Read-back through getBlock (index lookup; length, checksum and number checked) against plain
    // preads of the same records with and without the checksum, interleaved A B C A B C so that the
    // machine's load hits all alike.
    const locations: { path: string; offset: number; length: number }[] = [];
    for await (const e of readBlockRecords(join(dir, 'chains')))
      if (e.kind === 'block') locations.push({ path: e.path, offset: e.offset, length: e.length });
    const handles = new Map<string, Awaited<ReturnType<typeof open>>>();
    for (const { path } of locations) if (!handles.has(path)) handles.set(path, await open(path, 'r'));
    const checked: number[] = [];
    const plain: number[] = [];
    const summed: number[] = [];
    let read = 0;
    for (let round = 0; round < 6; round++) {
      t = performance.now();
      for await (const b of ledger.blockStore.blocks(0)) read += b.length;
      checked.push(performance.now() - t);
      t = performance.now();
      for (const loc of locations) await handles.get(loc.path)!.read(Buffer.allocUnsafe(12 + loc.length), 0, 12 + loc.length, loc.offset);
      plain.push(performance.now() - t);
      t = performance.now();
      for (const loc of locations) {
        const buf = Buffer.allocUnsafe(12 + loc.length);
        await handles.get(loc.path)!.read(buf, 0, buf.length, loc.offset);
        if (!recordChecksumMatches(buf.subarray(0, 12), buf.subarray(12))) throw new Error('checksum');
      }
      summed.push(performance.now() - t);
    }
    for (const fh of handles.values()) await fh.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rate = (ms: number[]) => (blocks / (median(ms) / 1000)).toFixed(0);
    console.log(
      `block read-back (medians of 6 interleaved rounds, ${(read / 6 / 1048576).toFixed(0)} MiB each): getBlock ${rate(checked)} blocks/s; pread + checksum ${rate(summed)} blocks/s; pread alone ${rate(plain)} blocks/s`,
    );
    console.log(
      `  the checksum costs ${(((median(summed) - median(plain)) * 1000) / blocks).toFixed(0)} µs per ${(encoded[0]!.length / 1024).toFixed(0)} KiB block`,
    );
    await ledger.close();
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
