// SPDX-License-Identifier: Apache-2.0
// Transient store benchmark: node packages/ledger/dist/testing/transientbench.js [txs=2000] [rounds=6]
// What keeping endorsed private writes on disk (TransientStore, LevelDB) costs against the in-memory
// map the devnet used before, per transaction: put at endorsement, get at commit, purge after the
// commit in blocks of 100. Rounds alternate disk and memory, so a loaded machine slows both alike;
// compare the ratio, rerun on a quiet machine for absolute figures.
import { performance } from 'node:perf_hooks';
import type { NsPvtRwSet } from '@metroledger/protocol';
import { TransientStore } from '../transientstore';
import { withTempDir } from './tmp';

interface Store {
  put(txId: string, data: readonly NsPvtRwSet[], height: number): Promise<void> | void;
  get(txId: string): unknown;
  purge(txIds: readonly string[], height: number): Promise<void> | void;
}

class MemoryTransient implements Store {
  readonly #m = new Map<string, { data: readonly NsPvtRwSet[]; height: number }>();
  put(txId: string, data: readonly NsPvtRwSet[], height: number): void {
    this.#m.set(txId, { data, height });
  }
  get(txId: string): unknown {
    return this.#m.get(txId)?.data;
  }
  purge(txIds: readonly string[]): void {
    for (const id of txIds) this.#m.delete(id);
  }
}

async function round(store: Store, txs: number, tag: string): Promise<number> {
  const value = Buffer.alloc(150, 7);
  const t = performance.now();
  for (let b = 0; b < txs / 100; b++) {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const id = `${tag}-${b}-${i}`;
      ids.push(id);
      await store.put(
        id,
        [
          {
            namespace: 'evidence',
            collections: [{ collection: '_implicit_org_CETSPMSP', writes: [{ key: `image/${id}`, isDelete: false, value }] }],
          },
        ],
        b,
      );
    }
    for (const id of ids) store.get(id);
    await store.purge(ids, b + 1);
  }
  return ((performance.now() - t) * 1000) / txs;
}

async function main(): Promise<void> {
  const txs = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 6);
  await withTempDir(async (dir) => {
    const disk = await TransientStore.open(dir);
    const memory = new MemoryTransient();
    const d: number[] = [];
    const m: number[] = [];
    try {
      for (let r = 0; r < rounds; r++) {
        d.push(await round(disk, txs, `d${r}`));
        m.push(await round(memory, txs, `m${r}`));
      }
    } finally {
      await disk.close();
    }
    const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    console.log(`transient store, ${txs} transactions x ${rounds} rounds (alternated), per transaction (put + get + purge):`);
    console.log(
      `  LevelDB: median ${median(d).toFixed(1)} µs   memory map: median ${median(m).toFixed(1)} µs   ratio ${(median(d) / median(m)).toFixed(1)}`,
    );
  });
}

void main();
