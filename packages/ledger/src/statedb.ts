// SPDX-License-Identifier: Apache-2.0
// World state in LevelDB: versioned values per (namespace, key), written one block per atomic batch.
//
// Key:   'd' | namespace (UTF-8) | 0x00 | key (UTF-8). Byte order of the key part is UTF-8 byte order,
//        which is Fabric's order (and differs from JS string order above the BMP).
// Value: u64 BE blockNum | u32 BE txNum | value bytes.
// Meta:  'm' 'savepoint' -> u64 BE last applied block number.
//        'x' ...  the blockToLive schedule of the hashed state (`<chaincode>$$h<collection>`, expiry.ts):
//        Fabric purges a private write's key and value hashes from every peer's state when it expires.
import { parseHashedNamespace, type StateReader, type Version, type VersionedValue } from '@metroledger/protocol';
import type { StateUpdate } from './blockparse';
import { readU64, writeU64 } from './bytes';
import { LedgerError } from './errors';
import { openSavepointDb, writeBlockBatch, type LevelDb } from './leveldb';
import { dueExpiries, expiringBlock, expiryKey, expiryValue, nextExpiry, type BlockToLive } from './expiry';

const K_DATA = 0x64; // 'd'
const VALUE_HEADER = 12;
const RANGE_BATCH = 256;

export interface StateKey {
  readonly ns: string;
  readonly key: string;
}

type Db = LevelDb;
type Snapshot = ReturnType<Db['snapshot']>;

function checkNamespace(ns: string): void {
  if (ns.length === 0 || ns.includes('\0') || !(ns as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new LedgerError('BAD_KEY', `namespace ${JSON.stringify(ns)} is empty, contains NUL or is not valid Unicode`, { ns });
  }
}

function checkKey(ns: string, key: string): void {
  // A lone surrogate would be stored as U+FFFD and read back as a different key.
  if (!(key as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new LedgerError('BAD_KEY', `key ${JSON.stringify(key)} in ${ns} is not valid Unicode`, { ns, key });
  }
}

/** Per-namespace key prefixes, cached: namespaces are few and reused on every access. */
class Prefixes {
  readonly #cache = new Map<string, Buffer>();
  get(ns: string): Buffer {
    let p = this.#cache.get(ns);
    if (p === undefined) {
      checkNamespace(ns);
      const len = Buffer.byteLength(ns);
      p = Buffer.allocUnsafe(len + 2);
      p[0] = K_DATA;
      p.write(ns, 1, 'utf8');
      p[len + 1] = 0;
      this.#cache.set(ns, p);
    }
    return p;
  }
  key(ns: string, key: string): Buffer {
    const p = this.get(ns);
    checkKey(ns, key);
    const k = Buffer.allocUnsafe(p.length + Buffer.byteLength(key));
    p.copy(k, 0);
    k.write(key, p.length, 'utf8');
    return k;
  }
}

export function decodeValue(v: Buffer): VersionedValue {
  return { version: { blockNum: readU64(v, 0), txNum: v.readUInt32BE(8) }, value: v.subarray(VALUE_HEADER) };
}

export function encodeValue(version: Version, value: Uint8Array): Buffer {
  const v = Buffer.allocUnsafe(VALUE_HEADER + value.length);
  writeU64(v, 0, version.blockNum);
  v.writeUInt32BE(version.txNum, 8);
  v.set(value, VALUE_HEADER);
  return v;
}

async function* rangeOf(
  db: Db,
  prefixes: Prefixes,
  ns: string,
  startKey: string,
  endKey: string,
  snapshot: Snapshot | undefined,
): AsyncGenerator<{ key: string } & VersionedValue, void, undefined> {
  const prefix = prefixes.get(ns);
  const gte = prefixes.key(ns, startKey);
  let lt: Buffer;
  if (endKey === '') {
    lt = Buffer.from(prefix);
    lt[lt.length - 1] = 1;
  } else {
    lt = prefixes.key(ns, endKey);
  }
  const it = db.iterator({ gte, lt, ...(snapshot === undefined ? {} : { snapshot }) });
  try {
    for (;;) {
      const entries = await it.nextv(RANGE_BATCH);
      if (entries.length === 0) return;
      for (const [k, v] of entries) yield { key: k.toString('utf8', prefix.length), ...decodeValue(v) };
    }
  } finally {
    await it.close();
  }
}

/** A read-only view of the state as of the moment it was taken; close it when done. */
export interface StateSnapshot extends StateReader {
  /** Last block applied when the snapshot was taken (-1: none). */
  readonly savepoint: number;
  close(): Promise<void>;
}

export class StateDb implements StateReader {
  readonly #db: Db;
  readonly #dir: string;
  readonly #prefixes = new Prefixes();
  readonly #blockToLive: BlockToLive | undefined;
  #savepoint: number;
  #nextExpiry: number | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(db: Db, dir: string, savepoint: number, blockToLive: BlockToLive | undefined, next: number | undefined) {
    this.#db = db;
    this.#dir = dir;
    this.#savepoint = savepoint;
    this.#blockToLive = blockToLive;
    this.#nextExpiry = next;
  }

  /** @param options.blockToLive each private data collection's blockToLive (0: forever), for the hashed state's purges */
  static async open(dir: string, options: { readonly blockToLive?: BlockToLive } = {}): Promise<StateDb> {
    const { db, savepoint } = await openSavepointDb(dir);
    return new StateDb(db, dir, savepoint, options.blockToLive, await nextExpiry(db));
  }

  /** Number of the last block whose writes are applied; -1 when none is. */
  get savepoint(): number {
    return this.#savepoint;
  }

  /** @throws {LedgerError} BAD_KEY if this namespace/key cannot be stored (empty or NUL namespace, lone surrogate). */
  checkStorable(namespace: string, key: string): void {
    this.#prefixes.get(namespace);
    checkKey(namespace, key);
  }

  async get(namespace: string, key: string): Promise<VersionedValue | undefined> {
    return this.getNow(namespace, key);
  }

  /** As {@link get}, answered at once: a LevelDB lookup costs a few µs, much less than the thread-pool round trip of an async get. */
  getNow(namespace: string, key: string): VersionedValue | undefined {
    const v = this.#db.getSync(this.#prefixes.key(namespace, key));
    return v === undefined ? undefined : decodeValue(v);
  }

  /** Several lookups from one consistent view (for MVCC checks of a whole block). */
  async getMany(keys: readonly StateKey[]): Promise<(VersionedValue | undefined)[]> {
    const values = await this.#db.getMany(keys.map((k) => this.#prefixes.key(k.ns, k.key)));
    return values.map((v) => (v === undefined ? undefined : decodeValue(v)));
  }

  /** Keys of `namespace` in UTF-8 byte order, startKey inclusive, endKey exclusive; '' = unbounded. */
  range(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string } & VersionedValue> {
    return rangeOf(this.#db, this.#prefixes, namespace, startKey, endKey, undefined);
  }

  /** A consistent read view for a simulation: later applyBlock calls are not visible through it. */
  snapshot(): StateSnapshot {
    const db = this.#db;
    const prefixes = this.#prefixes;
    const snapshot = db.snapshot();
    return {
      savepoint: this.#savepoint,
      async get(namespace: string, key: string): Promise<VersionedValue | undefined> {
        const v = db.getSync(prefixes.key(namespace, key), { snapshot });
        return v === undefined ? undefined : decodeValue(v);
      },
      range: (namespace: string, startKey: string, endKey: string) => rangeOf(db, prefixes, namespace, startKey, endKey, snapshot),
      close: () => snapshot.close(),
    };
  }

  /**
   * Apply the valid writes of block `blockNum` (in order; a later write of a key wins) and move the
   * savepoint to it, in one atomic LevelDB batch. Blocks must come in order. The same batch purges
   * the hashed private data that expires at this block (blockToLive); returns those deletes.
   * @throws {LedgerError} BLOCK_OUT_OF_ORDER, BAD_KEY (nothing written); IO (with path and errno); CLOSED
   */
  applyBlock(blockNum: number, updates: readonly StateUpdate[]): Promise<StateUpdate[]> {
    const run = this.#tail.then(() => this.#applyNow(blockNum, updates));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #applyNow(blockNum: number, updates: readonly StateUpdate[]): Promise<StateUpdate[]> {
    if (this.#db.status !== 'open') throw new LedgerError('CLOSED', 'state database is closed');
    if (blockNum !== this.#savepoint + 1) {
      throw new LedgerError('BLOCK_OUT_OF_ORDER', `state expects block ${this.#savepoint + 1}, got ${blockNum}`, {
        expected: this.#savepoint + 1,
        got: blockNum,
      });
    }
    const purged: StateUpdate[] = [];
    const purging = this.#nextExpiry !== undefined && this.#nextExpiry <= blockNum;
    let scheduled = false;
    // Not synced: a state that lags its synced blocks after a crash is replayed from them on open.
    await writeBlockBatch(
      this.#db,
      blockNum,
      async (batch) => {
        const written = purging ? new Set<string>() : undefined;
        for (const u of updates) {
          const k = this.#prefixes.key(u.ns, u.key);
          written?.add(k.toString('latin1'));
          if (u.isDelete) batch.del(k);
          else batch.put(k, encodeValue(u.version, u.value ?? new Uint8Array(0)));
          const hashed = u.isDelete || this.#blockToLive === undefined ? undefined : parseHashedNamespace(u.ns);
          const expiring =
            hashed === undefined ? undefined : expiringBlock(blockNum, this.#blockToLive!(hashed.namespace, hashed.collection));
          if (expiring !== undefined) {
            batch.put(expiryKey(expiring, k), expiryValue(u.version));
            scheduled = true;
          }
        }
        if (purging) {
          for (const due of await dueExpiries(this.#db, blockNum)) {
            batch.del(due.entry);
            if (written!.has(due.dataKey.toString('latin1'))) continue; // written again by this block
            const current = this.#db.getSync(due.dataKey);
            if (current === undefined) continue;
            const v = decodeValue(current).version;
            if (v.blockNum !== due.version.blockNum || v.txNum !== due.version.txNum) continue;
            batch.del(due.dataKey);
            const sep = due.dataKey.indexOf(0, 1);
            purged.push({
              ns: due.dataKey.toString('utf8', 1, sep),
              key: due.dataKey.toString('utf8', sep + 1),
              isDelete: true,
              version: { blockNum, txNum: 0 },
            });
          }
        }
      },
      { dir: this.#dir, action: `applying block ${blockNum} to the world state`, sync: false },
    );
    this.#savepoint = blockNum;
    if (purging || scheduled) this.#nextExpiry = await nextExpiry(this.#db);
    return purged;
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#db.close();
  }
}
