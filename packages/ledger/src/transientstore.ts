// SPDX-License-Identifier: Apache-2.0
// Fabric's transient store (core/transientstore): the private writes an endorser simulated, kept by
// transaction id in a LevelDB of the peer's own until the transaction commits (then the collections'
// member peers store them and the copy goes) or until the ledger has grown past `retention` blocks
// since the endorsement (Fabric's peer.gossip.pvtData.transientstoreMaxBlockRetention). On disk, so
// a peer restarted between endorsement and commit still has the values when the block comes.
//
// Key:   't' | txId (UTF-8)                -> u64 BE ledger height at endorsement | TxPvtReadWriteSet bytes
//        'h' | u64 BE height | txId (UTF-8) -> empty (what retention purges, oldest first)
// Writes are not fsync'd (as Fabric's): a killed process loses nothing the OS has; a lost copy
// only makes the transaction's private data missing at commit, never wrong.
import { decodeTxPvtReadWriteSet, encodeTxPvtReadWriteSet, type NsPvtRwSet } from '@metroledger/protocol';
import { readU64, writeU64 } from './bytes';
import { ioFailure } from './files';
import { openLevelDb, type LevelDb } from './leveldb';

/** Fabric's default transientstoreMaxBlockRetention. */
export const DEFAULT_TRANSIENT_RETENTION = 1000;

const K_TX = 0x74; // 't'
const K_HEIGHT = 0x68; // 'h'

type Db = LevelDb;

function txKey(txId: string): Buffer {
  return Buffer.concat([Buffer.from([K_TX]), Buffer.from(txId, 'utf8')]);
}

function heightKey(height: number, txId: string): Buffer {
  const k = Buffer.allocUnsafe(9 + Buffer.byteLength(txId));
  k[0] = K_HEIGHT;
  writeU64(k, 1, height);
  k.write(txId, 9, 'utf8');
  return k;
}

export interface TransientStoreOptions {
  /** Blocks an uncommitted endorsement's private writes are kept (default {@link DEFAULT_TRANSIENT_RETENTION}). */
  readonly retention?: number;
}

export class TransientStore {
  readonly #db: Db;
  readonly #dir: string;
  readonly #retention: number;

  private constructor(db: Db, dir: string, retention: number) {
    this.#db = db;
    this.#dir = dir;
    this.#retention = retention;
  }

  static async open(dir: string, options: TransientStoreOptions = {}): Promise<TransientStore> {
    const retention = options.retention ?? DEFAULT_TRANSIENT_RETENTION;
    if (!Number.isInteger(retention) || retention < 0)
      throw new RangeError(`transient store retention must be a whole number of blocks, not ${retention}`);
    return new TransientStore(await openLevelDb(dir, 'opening the transient store'), dir, retention);
  }

  /** Keeps the private writes of an endorsement of `txId`, simulated at ledger `height` (a later endorsement of the same id replaces it). */
  async put(txId: string, data: readonly NsPvtRwSet[], height: number): Promise<void> {
    const value = Buffer.allocUnsafe(8);
    writeU64(value, 0, height);
    const batch = this.#db.batch();
    const old = this.#db.getSync(txKey(txId));
    if (old !== undefined) batch.del(heightKey(readU64(old, 0), txId));
    batch.put(txKey(txId), Buffer.concat([value, Buffer.from(encodeTxPvtReadWriteSet(data))]));
    batch.put(heightKey(height, txId), Buffer.alloc(0));
    try {
      await batch.write();
    } catch (e) {
      throw ioFailure(`keeping the private data of transaction ${txId}`, this.#dir, e, { txId });
    }
  }

  get(txId: string): NsPvtRwSet[] | undefined {
    const v = this.#db.getSync(txKey(txId));
    return v === undefined ? undefined : decodeTxPvtReadWriteSet(v.subarray(8));
  }

  /** After a block commits at ledger `height`: its transactions' copies go, and so do endorsements older than the retention. */
  async purge(committedTxIds: Iterable<string>, height: number): Promise<void> {
    const batch = this.#db.batch();
    let any = false;
    for (const id of committedTxIds) {
      const v = this.#db.getSync(txKey(id));
      if (v === undefined) continue;
      batch.del(txKey(id));
      batch.del(heightKey(readU64(v, 0), id));
      any = true;
    }
    const below = height - this.#retention; // kept while height - endorsed <= retention
    if (below > 0) {
      const lt = Buffer.allocUnsafe(9);
      lt[0] = K_HEIGHT;
      writeU64(lt, 1, below);
      for await (const k of this.#db.keys({ gte: Buffer.from([K_HEIGHT]), lt })) {
        batch.del(k);
        batch.del(txKey(k.toString('utf8', 9)));
        any = true;
      }
    }
    if (!any) {
      await batch.close();
      return;
    }
    try {
      await batch.write();
    } catch (e) {
      throw ioFailure(`purging the transient store at height ${height}`, this.#dir, e, { height });
    }
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
