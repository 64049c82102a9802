// SPDX-License-Identifier: Apache-2.0
// One peer's private data, beside the world state: Fabric's private state (`<chaincode>$$p<collection>`)
// and its pvtdata store (what the peer kept of each transaction), in a LevelDB of its own. Blocks hold
// only hashes; the values are here, on the peers of the collection's organizations only.
//
// Key:   'p' | namespace | 0x00 | collection | 0x00 | key (UTF-8) -> u64 BE blockNum | u32 BE txNum | value
//        'b' | u64 BE blockNum | u32 BE txNum -> TxPvtReadWriteSet bytes (this peer's collections only)
// Meta:  the savepoint record (leveldb.ts): the last block whose private data was stored.
// A block's private data is one atomic batch, written before the block is appended (as Fabric's
// ledger commits pvt data before the block): a crash in between leaves the savepoint one ahead of
// the blocks, and the re-delivered block finds its private data already there.
import { decodeTxPvtReadWriteSet, encodeTxPvtReadWriteSet, type NsPvtRwSet, type VersionedValue } from '@metroledger/protocol';
import { writeU64 } from './bytes';
import { LedgerError } from './errors';
import { openSavepointDb, writeBlockBatch, type LevelDb } from './leveldb';
import { decodeValue, encodeValue } from './statedb';

const K_PRIVATE = 0x70; // 'p'
const K_BLOCK = 0x62; // 'b'
const NO_BYTES = new Uint8Array(0);

type Db = LevelDb;

/** The private writes of one valid transaction of a block that this peer keeps. */
export interface PrivateTxData {
  readonly txNum: number;
  readonly rwset: readonly NsPvtRwSet[];
}

function wellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function privateKey(ns: string, collection: string, key: string): Buffer {
  if (ns === '' || ns.includes('\0') || collection === '' || collection.includes('\0') || !wellFormed(ns) || !wellFormed(collection) || !wellFormed(key)) {
    throw new LedgerError('BAD_KEY', `private key ${JSON.stringify(key)} of collection ${JSON.stringify(collection)} in ${JSON.stringify(ns)} cannot be stored`, { ns, collection, key });
  }
  return Buffer.concat([Buffer.from([K_PRIVATE]), Buffer.from(`${ns}\0${collection}\0${key}`, 'utf8')]);
}

function blockKey(blockNum: number, txNum: number): Buffer {
  const k = Buffer.allocUnsafe(13);
  k[0] = K_BLOCK;
  writeU64(k, 1, blockNum);
  k.writeUInt32BE(txNum, 9);
  return k;
}

export class PrivateStore {
  readonly #db: Db;
  readonly #dir: string;
  #savepoint: number;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(db: Db, dir: string, savepoint: number) {
    this.#db = db;
    this.#dir = dir;
    this.#savepoint = savepoint;
  }

  static async open(dir: string): Promise<PrivateStore> {
    const { db, savepoint } = await openSavepointDb(dir, 'opening the private data store');
    return new PrivateStore(db, dir, savepoint);
  }

  /** The last block whose private data is stored (-1: none). */
  get savepoint(): number {
    return this.#savepoint;
  }

  /** The current private value of a key, with the version (block, tx) of the write; undefined if this peer holds none. */
  async get(namespace: string, collection: string, key: string): Promise<VersionedValue | undefined> {
    const v = this.#db.getSync(privateKey(namespace, collection, key));
    return v === undefined ? undefined : decodeValue(v);
  }

  /** What this peer stored of block `blockNum`'s transactions, in tx order. */
  async blockData(blockNum: number): Promise<PrivateTxData[]> {
    const out: PrivateTxData[] = [];
    for await (const [k, v] of this.#db.iterator({ gte: blockKey(blockNum, 0), lte: blockKey(blockNum, 0xffffffff) })) {
      out.push({ txNum: k.readUInt32BE(9), rwset: decodeTxPvtReadWriteSet(v) });
    }
    return out;
  }

  /**
   * Stores the private writes of block `blockNum`'s valid transactions (in tx order; a later write of
   * a key wins, version (blockNum, txNum)) and moves the savepoint, in one atomic, synced batch. A
   * block at or below the savepoint is already stored: nothing is written (a block re-delivered
   * after a crash). Blocks without private data for this peer need not be given.
   * @throws {LedgerError} BAD_KEY (nothing written); IO (with path and errno); CLOSED
   */
  commitBlock(blockNum: number, txs: readonly PrivateTxData[]): Promise<void> {
    const run = this.#tail.then(() => this.#commitNow(blockNum, txs));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #commitNow(blockNum: number, txs: readonly PrivateTxData[]): Promise<void> {
    if (this.#db.status !== 'open') throw new LedgerError('CLOSED', 'private data store is closed');
    if (blockNum <= this.#savepoint) return;
    // Synced: the block that refers to this data is appended after it, and is not replayed into it.
    await writeBlockBatch(this.#db, blockNum, (batch) => {
      for (const tx of txs) {
        const version = { blockNum, txNum: tx.txNum };
        batch.put(blockKey(blockNum, tx.txNum), Buffer.from(encodeTxPvtReadWriteSet(tx.rwset)));
        for (const ns of tx.rwset) {
          for (const c of ns.collections) {
            for (const w of c.writes) {
              const k = privateKey(ns.namespace, c.collection, w.key);
              if (w.isDelete) batch.del(k);
              else batch.put(k, encodeValue(version, w.value ?? NO_BYTES));
            }
          }
        }
      }
    }, { dir: this.#dir, action: `storing the private data of block ${blockNum}`, sync: true });
    this.#savepoint = blockNum;
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#db.close();
  }
}
