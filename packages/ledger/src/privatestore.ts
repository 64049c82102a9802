// SPDX-License-Identifier: Apache-2.0
// One peer's private data, beside the world state: Fabric's private state (`<chaincode>$$p<collection>`)
// and its pvtdata store (what the peer kept of each transaction), in a LevelDB of its own. Blocks hold
// only hashes; the values are here, on the peers of the collection's organizations only.
//
// Key:   'p' | namespace | 0x00 | collection | 0x00 | key (UTF-8) -> u64 BE blockNum | u32 BE txNum | value
//        'b' | u64 BE blockNum | u32 BE txNum -> TxPvtReadWriteSet bytes (this peer's collections only)
//        'x' ...  the blockToLive schedule (expiry.ts)
// Meta:  'm' 'savepoint' -> u64 BE last block whose private data was stored (-1: none).
// A block's private data is one atomic batch, written before the block is appended (as Fabric's
// ledger commits pvt data before the block): a crash in between leaves the savepoint one ahead of
// the blocks, and the re-delivered block finds its private data already there. The same batch
// purges what expires at that block (blockToLive): the value, if no later write replaced it, and
// the collection's part of the transaction's record under 'b'.
import {
  decodeTxPvtReadWriteSet,
  encodeTxPvtReadWriteSet,
  privateDataHash,
  type NsPvtRwSet,
  type VersionedValue,
} from '@metroledger/protocol';
import { writeU64 } from './bytes';
import { LedgerError } from './errors';
import { dueExpiries, expiringBlock, expiryKey, expiryValue, nextExpiry, type BlockToLive } from './expiry';
import { ioFailure } from './files';
import { openSavepointDb, writeBlockBatch, type LevelDb } from './leveldb';
import { decodeValue, encodeValue } from './statedb';

const K_PRIVATE = 0x70; // 'p'
const K_BLOCK = 0x62; // 'b'
const NO_BYTES = new Uint8Array(0);

type Db = LevelDb;

/** A key a transaction purged (purgePrivateData, Fabric 2.5), named by its hash as the block names it. */
export interface PrivatePurge {
  readonly namespace: string;
  readonly collection: string;
  /** SHA-256 of the key's UTF-8 bytes. */
  readonly keyHash: Uint8Array;
}

/** The private writes of one valid transaction of a block that this peer keeps. */
export interface PrivateTxData {
  readonly txNum: number;
  readonly rwset: readonly NsPvtRwSet[];
  /** Keys it purged: their earlier values go, from the current state and from every earlier transaction's record. */
  readonly purges?: readonly PrivatePurge[];
}

function wellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function privateKey(ns: string, collection: string, key: string): Buffer {
  if (
    ns === '' ||
    ns.includes('\0') ||
    collection === '' ||
    collection.includes('\0') ||
    !wellFormed(ns) ||
    !wellFormed(collection) ||
    !wellFormed(key)
  ) {
    throw new LedgerError(
      'BAD_KEY',
      `private key ${JSON.stringify(key)} of collection ${JSON.stringify(collection)} in ${JSON.stringify(ns)} cannot be stored`,
      { ns, collection, key },
    );
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

export interface PrivateStoreOptions {
  /** Each collection's blockToLive (0 or absent: kept forever); fixed per collection, as Fabric's lifecycle keeps it. */
  readonly blockToLive?: BlockToLive;
}

/** The namespace and collection of a schedule entry's data key (privateKey(ns, collection, '') | blockKey). */
function scheduledCollection(k: Buffer): { ns: string; collection: string } {
  const first = k.indexOf(0, 1);
  const second = k.indexOf(0, first + 1);
  return { ns: k.toString('utf8', 1, first), collection: k.toString('utf8', first + 1, second) };
}

/** The block's transactions, each without its writes of keys a later transaction of the block purges (their records must not keep them). */
function withSameBlockPurges(txs: readonly PrivateTxData[]): readonly PrivateTxData[] {
  if (!txs.some((tx) => (tx.purges?.length ?? 0) > 0)) return txs;
  return txs.map((tx) => {
    const later = txs.filter((o) => o.txNum > tx.txNum).flatMap((o) => o.purges ?? []);
    if (later.length === 0) return tx;
    const hit = (ns: string, collection: string, key: string): boolean => {
      const h = Buffer.from(privateDataHash(key));
      return later.some((p) => p.namespace === ns && p.collection === collection && h.equals(Buffer.from(p.keyHash)));
    };
    const rwset = tx.rwset
      .map((ns) => ({
        namespace: ns.namespace,
        collections: ns.collections
          .map((c) => ({ collection: c.collection, writes: c.writes.filter((w) => !hit(ns.namespace, c.collection, w.key)) }))
          .filter((c) => c.writes.length > 0),
      }))
      .filter((ns) => ns.collections.length > 0);
    return { ...tx, rwset };
  });
}

export class PrivateStore {
  readonly #db: Db;
  readonly #dir: string;
  readonly #blockToLive: BlockToLive;
  #savepoint: number;
  /** The earliest block with a scheduled purge. */
  #nextExpiry: number | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(db: Db, dir: string, savepoint: number, blockToLive: BlockToLive, next: number | undefined) {
    this.#db = db;
    this.#dir = dir;
    this.#savepoint = savepoint;
    this.#blockToLive = blockToLive;
    this.#nextExpiry = next;
  }

  static async open(dir: string, options: PrivateStoreOptions = {}): Promise<PrivateStore> {
    const { db, savepoint } = await openSavepointDb(dir, 'opening the private data store');
    return new PrivateStore(db, dir, savepoint, options.blockToLive ?? (() => 0), await nextExpiry(db));
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

  /** This peer's current values of a collection in [startKey, endKey) ('' = to the end), in key (UTF-8 byte) order. */
  async *range(
    namespace: string,
    collection: string,
    startKey: string,
    endKey: string,
  ): AsyncGenerator<{ readonly key: string } & VersionedValue, void, undefined> {
    const prefix = privateKey(namespace, collection, '');
    const lt =
      endKey === '' ? Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from([1])]) : privateKey(namespace, collection, endKey);
    for await (const [k, v] of this.#db.iterator({ gte: privateKey(namespace, collection, startKey), lt })) {
      yield { key: k.toString('utf8', prefix.length), ...decodeValue(v) };
    }
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
   * after a crash). Every block should be given, with no transactions where it has none for this
   * peer, so that what expires at it (blockToLive) is purged; it costs a write only then.
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
    const purging = this.#nextExpiry !== undefined && this.#nextExpiry <= blockNum;
    if (txs.length === 0 && !purging) return;
    let scheduled = false;
    const erasing = purging || txs.some((tx) => (tx.purges?.length ?? 0) > 0);
    await writeBlockBatch(
      this.#db,
      blockNum,
      async (batch) => {
        const written = new Set<string>();
        for (const tx of withSameBlockPurges(txs)) {
          const version = { blockNum, txNum: tx.txNum };
          if (tx.rwset.length > 0) batch.put(blockKey(blockNum, tx.txNum), Buffer.from(encodeTxPvtReadWriteSet(tx.rwset)));
          for (const ns of tx.rwset) {
            for (const c of ns.collections) {
              const expiring = expiringBlock(blockNum, this.#blockToLive(ns.namespace, c.collection));
              for (const w of c.writes) {
                const k = privateKey(ns.namespace, c.collection, w.key);
                written.add(k.toString('latin1'));
                if (w.isDelete) batch.del(k);
                else batch.put(k, encodeValue(version, w.value ?? NO_BYTES));
              }
              if (expiring !== undefined) {
                // one entry per collection of the transaction: it purges the keys and the record
                if (c.writes.length > 0) {
                  batch.put(
                    expiryKey(expiring, Buffer.concat([privateKey(ns.namespace, c.collection, ''), blockKey(blockNum, tx.txNum)])),
                    expiryValue(version),
                  );
                  scheduled = true;
                }
              }
            }
          }
        }
        if (purging) await this.#purge(blockNum, batch, written);
        for (const tx of txs) if (tx.purges !== undefined && tx.purges.length > 0) await this.#purgeKeys(blockNum, tx, txs, batch);
      },
      {
        dir: this.#dir,
        action: `storing the private data of block ${blockNum}`,
        sync: true,
        // LevelDB drops a shadowed value only when a compaction merges it with the newer entry, never
        // in a flush of the memtable holding both: flush what is to be purged into tables first.
        ...(erasing && { beforeWrite: () => this.#compact() }),
      },
    );
    this.#savepoint = blockNum;
    if (purging || scheduled) this.#nextExpiry = await nextExpiry(this.#db);
    // A LevelDB delete leaves the value in the write-ahead log and the table files until a
    // compaction merges them: force it, so that a purged value is gone from the disk, not just unreadable.
    if (erasing) await this.#compact();
  }

  async #compact(): Promise<void> {
    try {
      await this.#db.compactRange(Buffer.from([0]), Buffer.from([0xff]));
    } catch (e) {
      throw ioFailure('compacting the private data store for a purge', this.#dir, e);
    }
  }

  /**
   * Adds to `batch` the purge of what expires at block `blockNum`: for each (transaction,
   * collection) due, its keys still at that version, and its part of the transaction's record.
   */
  async #purge(blockNum: number, batch: ReturnType<Db['batch']>, written: ReadonlySet<string>): Promise<void> {
    const records = new Map<string, NsPvtRwSet[]>();
    for (const due of await dueExpiries(this.#db, blockNum)) {
      batch.del(due.entry);
      const { ns, collection } = scheduledCollection(due.dataKey);
      const rk = blockKey(due.version.blockNum, due.version.txNum);
      const id = rk.toString('latin1');
      let record = records.get(id);
      if (record === undefined) {
        const bytes = this.#db.getSync(rk);
        record = bytes === undefined ? [] : decodeTxPvtReadWriteSet(bytes);
        records.set(id, record);
      }
      const nsSet = record.find((n) => n.namespace === ns);
      const pvt = nsSet?.collections.find((c) => c.collection === collection);
      if (nsSet === undefined || pvt === undefined) continue;
      for (const w of pvt.writes) {
        const k = privateKey(ns, collection, w.key);
        if (written.has(k.toString('latin1'))) continue; // this block writes it again
        const current = this.#db.getSync(k);
        if (current === undefined) continue;
        const v = decodeValue(current).version;
        if (v.blockNum === due.version.blockNum && v.txNum === due.version.txNum) batch.del(k);
      }
      const rest = nsSet.collections.filter((c) => c !== pvt);
      const next =
        rest.length === 0 ? record.filter((n) => n !== nsSet) : record.map((n) => (n === nsSet ? { namespace: ns, collections: rest } : n));
      records.set(id, next);
    }
    for (const [id, record] of records) {
      const rk = Buffer.from(id, 'latin1');
      if (record.length === 0) batch.del(rk);
      else batch.put(rk, Buffer.from(encodeTxPvtReadWriteSet(record)));
    }
  }

  /**
   * Adds to `batch` a transaction's purgePrivateData: each purged key (found by its hash) leaves the
   * current values unless a later transaction of this block wrote it, and every record of an
   * earlier transaction. Scans the collection's keys and all records: a purge is rare, and exact.
   */
  async #purgeKeys(blockNum: number, tx: PrivateTxData, block: readonly PrivateTxData[], batch: ReturnType<Db['batch']>): Promise<void> {
    const targets = tx.purges!;
    const byCollection = new Map<string, Set<string>>();
    for (const p of targets) {
      const id = `${p.namespace}\0${p.collection}`;
      let hashes = byCollection.get(id);
      if (hashes === undefined) byCollection.set(id, (hashes = new Set()));
      hashes.add(Buffer.from(p.keyHash).toString('hex'));
    }
    const isPurged = (ns: string, collection: string, key: string): boolean =>
      byCollection.get(`${ns}\0${collection}`)?.has(Buffer.from(privateDataHash(key)).toString('hex')) === true;
    const laterWrites = new Set<string>();
    for (const other of block) {
      if (other.txNum <= tx.txNum) continue;
      for (const ns of other.rwset)
        for (const c of ns.collections) for (const w of c.writes) laterWrites.add(`${ns.namespace}\0${c.collection}\0${w.key}`);
    }
    for (const p of targets) {
      const prefix = privateKey(p.namespace, p.collection, '');
      const end = Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from([1])]);
      for await (const [k] of this.#db.iterator({ gte: prefix, lt: end })) {
        const key = k.toString('utf8', prefix.length);
        if (isPurged(p.namespace, p.collection, key) && !laterWrites.has(`${p.namespace}\0${p.collection}\0${key}`)) batch.del(k);
      }
    }
    for await (const [k, v] of this.#db.iterator({ gte: blockKey(0, 0), lt: blockKey(blockNum, 0) })) {
      const record = decodeTxPvtReadWriteSet(v);
      let changed = false;
      const next = record
        .map((ns) => ({
          namespace: ns.namespace,
          collections: ns.collections
            .map((c) => {
              const writes = c.writes.filter((w) => !isPurged(ns.namespace, c.collection, w.key));
              if (writes.length !== c.writes.length) changed = true;
              return { collection: c.collection, writes };
            })
            .filter((c) => c.writes.length > 0),
        }))
        .filter((ns) => ns.collections.length > 0);
      if (!changed) continue;
      if (next.length === 0) batch.del(k);
      else batch.put(k, Buffer.from(encodeTxPvtReadWriteSet(next)));
    }
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#db.close();
  }
}
