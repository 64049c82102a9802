// SPDX-License-Identifier: Apache-2.0
// The LevelDB stores kept beside the block files share one opener (buffer keys and values: the block
// index, the world state, a peer's private data and transient stores). The state and the private data
// also share a savepoint record written in the same atomic batch as a block's writes, so that after a
// crash a store says which block it holds and the ledger knows what to replay.
//
// Meta:  'm' 'savepoint' -> u64 BE number of the last block the store holds (absent: none).
import { ClassicLevel } from 'classic-level';
import { readU64, writeU64 } from './bytes';
import { ioFailure } from './files';

export type LevelDb = ClassicLevel<Buffer, Buffer>;
export type LevelBatch = ReturnType<LevelDb['batch']>;

const K_SAVEPOINT = Buffer.from('msavepoint');

export interface SavepointDb {
  readonly db: LevelDb;
  /** The last block the store holds; -1 when none. */
  readonly savepoint: number;
}

/**
 * Opens (or creates) the LevelDB in `dir`, with buffer keys and values.
 * @param openFailure when given, a failure to open becomes LedgerError IO naming this action and the path.
 */
export async function openLevelDb(dir: string, openFailure?: string): Promise<LevelDb> {
  const db: LevelDb = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    await db.open();
  } catch (e) {
    throw openFailure === undefined ? e : ioFailure(openFailure, dir, e);
  }
  return db;
}

/**
 * Opens (or creates) the LevelDB in `dir` and reads its savepoint.
 * @param openFailure when given, a failure to open becomes LedgerError IO naming this action and the path.
 */
export async function openSavepointDb(dir: string, openFailure?: string): Promise<SavepointDb> {
  const db = await openLevelDb(dir, openFailure);
  const sp = await db.get(K_SAVEPOINT);
  return { db, savepoint: sp === undefined ? -1 : readU64(sp, 0) };
}

/**
 * Writes block `blockNum`'s records (`fill` adds them to the batch; if it throws, nothing is written)
 * and moves the savepoint to the block, in one atomic batch. `beforeWrite` runs just before the
 * write (a failure there is reported like the write's).
 * @throws {LedgerError} IO (naming `action`, `dir` and the errno) when the write fails
 */
export async function writeBlockBatch(
  db: LevelDb,
  blockNum: number,
  fill: (batch: LevelBatch) => void | Promise<void>,
  o: { readonly dir: string; readonly action: string; readonly sync: boolean; readonly beforeWrite?: () => Promise<void> },
): Promise<void> {
  const batch = db.batch();
  try {
    await fill(batch);
  } catch (e) {
    await batch.close();
    throw e;
  }
  const sp = Buffer.allocUnsafe(8);
  writeU64(sp, 0, blockNum);
  batch.put(K_SAVEPOINT, sp);
  try {
    await o.beforeWrite?.();
    await batch.write({ sync: o.sync });
  } catch (e) {
    throw ioFailure(o.action, o.dir, e, { blockNum });
  }
}
