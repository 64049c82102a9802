// SPDX-License-Identifier: Apache-2.0
// Child process for the kill -9 test: commits blocks forever, printing each block number once its
// commit resolved. Usage: node crash-writer.js <dir> <seed> <maxFileSize>
import { Ledger } from '../ledger';
import { TestChain } from './blocks';

async function main(): Promise<void> {
  const [dir, seed, maxFileSize] = process.argv.slice(2);
  if (dir === undefined || seed === undefined) throw new Error('usage: crash-writer <dir> <seed> [maxFileSize]');
  const ledger = await Ledger.open(dir, { maxFileSize: Number(maxFileSize ?? 64 * 1024 * 1024) });
  const chain = new TestChain(Number(seed) * 1_000_003 + ledger.height, {
    txPerBlock: 1,
    txPerBlockMax: 40,
    writesPerTx: 2,
    valueBytes: 400,
    keySpace: 50,
    invalidEvery: 7,
    deleteEvery: 9,
  });
  chain.resume(ledger.height, ledger.lastHeaderHash);
  process.stdout.write(`open ${ledger.height}\n`);
  for (;;) {
    const block = chain.nextBlock();
    const { blockNum } = await ledger.commit(block);
    // stdout to a pipe is synchronous on Linux: once written, the parent sees it even after SIGKILL.
    process.stdout.write(`${blockNum}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`crash-writer: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
