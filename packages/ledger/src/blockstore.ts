// SPDX-License-Identifier: Apache-2.0
// Append-only block files (as Fabric's blockfile_NNNNNN) with a LevelDB index of blocks and transactions.
//
// Records are laid out as records.ts defines. A block is fdatasync'd in its file before `append`
// resolves; the index is written after that without sync, because it can always be rebuilt from the
// files: the index holds a checkpoint (file, end offset, height, last header hash) in the same batch
// as each block's entries, and `open` scans the files from that checkpoint, truncating a torn tail
// and re-indexing any block the index missed. Every record read back is checked against its checksum.
import { mkdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { common } from '@hyperledger/fabric-protos';
import { blockDataHash, blockHeaderHash } from '@metroledger/protocol';
import { blockContents, decodeBlock, requireTxFilter, type DecodedBlock, type TxIndexEntry } from './blockparse';
import { equalBytes, hex, readU64, writeU64 } from './bytes';
import { LedgerError } from './errors';
import { ioFailure, nodeFileSystem, type BlockFileHandle, type BlockFileSystem } from './files';
import { openLevelDb } from './leveldb';
import {
  blockFileName as fileName,
  encodeRecordHeader,
  FileRecords,
  listBlockFiles,
  peekBlockNumber,
  RECORD_HEADER_BYTES as RECORD_HEADER,
  recordChecksumMatches,
  recordLength,
} from './records';

export interface BlockStoreOptions {
  /** Roll over to a new block file once a file would exceed this size. Default 64 MiB (Fabric's default). */
  readonly maxFileSize?: number;
  /** Refuse blocks whose header.data_hash does not match their envelopes. Default true. */
  readonly verifyDataHash?: boolean;
  /** Number of most recent blocks kept in memory for readers (Deliver streams). Default 64. */
  readonly cacheBlocks?: number;
  /** The block files' file layer. Default: Node's fs. A port for tests that inject disk failures. */
  readonly fileSystem?: BlockFileSystem;
}

/** Where a transaction is, and its validation code (peer.TxValidationCode). */
export interface TxLocation {
  readonly blockNum: number;
  readonly txNum: number;
  readonly code: number;
}

/** What `open` had to repair. */
export interface BlockStoreRecovery {
  /** Bytes of torn (incomplete or corrupt) tail records removed from the last block file. */
  readonly truncatedBytes: number;
  /** Blocks present in the files but missing from the index, re-indexed on open. */
  readonly reindexedBlocks: number;
}

export interface IterateOptions {
  /** Aborting ends the iteration (without an error) at the next wait for a new block. */
  readonly signal?: AbortSignal;
}

const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;
const INDEX_DIR = 'index';

// Index key spaces (first byte).
const K_BLOCK = 0x6e; // 'n' + u64 number -> u32 file | u64 offset | u32 length
const K_HASH = 0x68; // 'h' + header hash -> u64 number
// 'T' + txId -> u64 blockNum | u32 txNum | u8 code, of the tx id's first occurrence only: a point
// lookup (getSync, a few µs) instead of an iterator seek through the thread pool, since every
// proposal, submit and commit asks whether its tx id is already on the ledger.
const K_TX = 0x54;
// Index format 1 kept every occurrence as 't' + txId + 0x00 + u64 blockNum + u32 txNum -> u8 code;
// an index without K_FORMAT is migrated to format 2 on open.
const K_TX_V1 = 0x74;
const K_FORMAT = Buffer.from('v');
const INDEX_FORMAT = 2;
const K_CHECKPOINT = Buffer.from('c'); // u32 file | u64 end offset | u64 height | last header hash

/** Where the index places a block's record: file number, record offset, payload length. */
export interface BlockLocation {
  readonly file: number;
  readonly offset: number;
  readonly length: number;
}
type Location = BlockLocation;
interface Checkpoint {
  file: number;
  offset: number;
  height: number;
  lastHash: Uint8Array;
}

function blockKey(n: number): Buffer {
  const k = Buffer.allocUnsafe(9);
  k[0] = K_BLOCK;
  writeU64(k, 1, n);
  return k;
}

function txKey(txId: string): Buffer {
  const len = Buffer.byteLength(txId);
  const k = Buffer.allocUnsafe(len + 1);
  k[0] = K_TX;
  k.write(txId, 1, 'utf8');
  return k;
}

function txValue(blockNum: number, txNum: number, code: number): Buffer {
  const v = Buffer.allocUnsafe(13);
  writeU64(v, 0, blockNum);
  v.writeUInt32BE(txNum, 8);
  v[12] = code;
  return v;
}

function encodeCheckpoint(cp: Checkpoint): Buffer {
  const v = Buffer.allocUnsafe(20 + cp.lastHash.length);
  v.writeUInt32BE(cp.file, 0);
  writeU64(v, 4, cp.offset);
  writeU64(v, 12, cp.height);
  v.set(cp.lastHash, 20);
  return v;
}

function decodeCheckpoint(v: Uint8Array): Checkpoint {
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return { file: b.readUInt32BE(0), offset: readU64(b, 4), height: readU64(b, 12), lastHash: Uint8Array.from(b.subarray(20)) };
}

type Batch = ReturnType<ClassicLevel<Buffer, Buffer>['batch']>;

/**
 * Index entries of one block plus the checkpoint after it, added to `batch`. A tx id gets an entry
 * only at its first occurrence: `indexed` says whether an earlier one is in the index or in
 * `pending` (tx ids put in this batch, not yet written), which collects this block's ids.
 */
function putBlockIndex(
  batch: Batch,
  num: number,
  hash: Uint8Array,
  loc: Location,
  txIndex: readonly TxIndexEntry[],
  cp: Checkpoint,
  indexed: (key: Buffer) => boolean,
  pending: Set<string>,
): void {
  const locValue = Buffer.allocUnsafe(16);
  locValue.writeUInt32BE(loc.file, 0);
  writeU64(locValue, 4, loc.offset);
  locValue.writeUInt32BE(loc.length, 12);
  batch.put(blockKey(num), locValue);
  const hashKey = Buffer.allocUnsafe(1 + hash.length);
  hashKey[0] = K_HASH;
  hashKey.set(hash, 1);
  const numValue = Buffer.allocUnsafe(8);
  writeU64(numValue, 0, num);
  batch.put(hashKey, numValue);
  for (let txNum = 0; txNum < txIndex.length; txNum++) {
    const e = txIndex[txNum]!;
    if (e.txId === '' || pending.has(e.txId)) continue;
    const k = txKey(e.txId);
    if (indexed(k)) continue;
    pending.add(e.txId);
    batch.put(k, txValue(num, txNum, e.code));
  }
  batch.put(K_CHECKPOINT, encodeCheckpoint(cp));
}

export class BlockStore {
  readonly #dir: string;
  readonly #db: ClassicLevel<Buffer, Buffer>;
  readonly #maxFileSize: number;
  readonly #verifyDataHash: boolean;
  readonly #cacheSize: number;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #fs: BlockFileSystem;
  readonly #readers = new Map<number, BlockFileHandle>();
  #writer: BlockFileHandle;
  #writeFile: number;
  #writeOffset: number;
  #height: number;
  #lastHash: Uint8Array;
  #tail: Promise<unknown> = Promise.resolve();
  #waiters: Array<() => void> = [];
  #failure: LedgerError | undefined = undefined;
  #closed = false;
  readonly recovery: BlockStoreRecovery;

  private constructor(
    dir: string,
    db: ClassicLevel<Buffer, Buffer>,
    opts: BlockStoreOptions,
    writer: BlockFileHandle,
    cp: Checkpoint,
    recovery: BlockStoreRecovery,
  ) {
    this.#dir = dir;
    this.#fs = opts.fileSystem ?? nodeFileSystem;
    this.#db = db;
    this.#maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    this.#verifyDataHash = opts.verifyDataHash ?? true;
    this.#cacheSize = opts.cacheBlocks ?? 64;
    this.#writer = writer;
    this.#writeFile = cp.file;
    this.#writeOffset = cp.offset;
    this.#height = cp.height;
    this.#lastHash = cp.lastHash;
    this.recovery = recovery;
  }

  /**
   * Open (or create) the block store in `dir`, repairing a torn tail and a lagging index, and
   * checking the last block's record.
   * @throws {LedgerError} CORRUPT_BLOCK_FILE (damage that is not a torn tail: never truncated away),
   *   NOT_A_DIRECTORY, IO.
   */
  static async open(dir: string, opts: BlockStoreOptions = {}): Promise<BlockStore> {
    await ensureDirectory(dir);
    const db = await openLevelDb(join(dir, INDEX_DIR));
    let store: BlockStore | undefined;
    try {
      await migrateIndex(db);
      const { writer, cp, recovery } = await recover(dir, db, opts.fileSystem ?? nodeFileSystem);
      store = new BlockStore(dir, db, opts, writer, cp, recovery);
      // The most recently written record is the one a crash or a failing disk most likely damaged.
      if (store.height > 0) await store.getBlock(store.height - 1);
      return store;
    } catch (e) {
      if (store !== undefined) await store.close();
      else await db.close();
      throw e;
    }
  }

  /** Number of blocks stored (= number of the next block to append). */
  get height(): number {
    return this.#height;
  }

  /** Header hash of the last block (empty before the first block). */
  get lastHeaderHash(): Uint8Array {
    return Uint8Array.from(this.#lastHash);
  }

  /**
   * Append the next block and resolve once it is fdatasync'd in its block file and indexed.
   * `txIndex` (tx id and validation code per transaction) is derived from the block when omitted
   * (codes from its TRANSACTIONS_FILTER, or NOT_VALIDATED if it has none, as in an orderer's chain);
   * when supplied its codes must equal the block's TRANSACTIONS_FILTER.
   * @throws {LedgerError} BLOCK_OUT_OF_ORDER, BAD_PREVIOUS_HASH, BAD_DATA_HASH, MALFORMED_BLOCK,
   *   MISSING_TX_FILTER, TX_INDEX_MISMATCH (store unchanged); IO, with `details.path` and
   *   `details.errno` (the store refuses further appends: reopen it, which recovers); CLOSED.
   */
  append(block: common.Block | Uint8Array, txIndex?: readonly TxIndexEntry[]): Promise<void> {
    let decoded: DecodedBlock;
    try {
      decoded = decodeBlock(block);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.appendDecoded(decoded, txIndex);
  }

  /** @internal Append an already decoded block (the Ledger decodes once for store and state). */
  appendDecoded(block: DecodedBlock, txIndex?: readonly TxIndexEntry[]): Promise<void> {
    const run = this.#tail.then(() => this.#appendNow(block, txIndex));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #appendNow(block: DecodedBlock, txIndexIn: readonly TxIndexEntry[] | undefined): Promise<void> {
    if (this.#closed) throw new LedgerError('CLOSED', 'block store is closed');
    if (this.#failure !== undefined)
      throw new LedgerError(
        'IO',
        `the block store failed earlier (${this.#failure.message}); reopen it to recover`,
        this.#failure.details,
        { cause: this.#failure },
      );
    if (block.number !== this.#height) {
      throw new LedgerError('BLOCK_OUT_OF_ORDER', `expected block ${this.#height}, got ${block.number}`, {
        expected: this.#height,
        got: block.number,
      });
    }
    if (this.#height > 0 && !equalBytes(block.previousHash, this.#lastHash)) {
      throw new LedgerError(
        'BAD_PREVIOUS_HASH',
        `block ${block.number} previous_hash ${hex(block.previousHash)} != ${hex(this.#lastHash)}`,
        { blockNum: block.number },
      );
    }
    if (this.#verifyDataHash && !equalBytes(block.dataHash, blockDataHash(block.envelopes))) {
      throw new LedgerError('BAD_DATA_HASH', `block ${block.number} data_hash does not match its envelopes`, { blockNum: block.number });
    }
    let txIndex: readonly TxIndexEntry[];
    if (txIndexIn === undefined) {
      txIndex = blockContents(block, false).txIndex;
    } else {
      const filter = requireTxFilter(block);
      if (txIndexIn.length !== filter.length || txIndexIn.some((e, i) => e.code !== filter[i])) {
        throw new LedgerError('TX_INDEX_MISMATCH', `block ${block.number}: tx index codes differ from TRANSACTIONS_FILTER`, {
          blockNum: block.number,
        });
      }
      txIndex = txIndexIn;
    }
    const hash = blockHeaderHash(block);
    const length = block.bytes.length;
    if (this.#writeOffset > 0 && this.#writeOffset + RECORD_HEADER + length > this.#maxFileSize) {
      try {
        await this.#rollover();
      } catch (e) {
        throw (this.#failure = ioFailure(
          `starting block file ${fileName(this.#writeFile + 1)} for block ${block.number}`,
          join(this.#dir, fileName(this.#writeFile + 1)),
          e,
          { blockNum: block.number },
        ));
      }
    }

    const offset = this.#writeOffset;
    try {
      const { bytesWritten } = await this.#writer.writev([encodeRecordHeader(block.bytes), block.bytes], offset);
      if (bytesWritten !== RECORD_HEADER + length)
        throw Object.assign(new Error(`short write: ${bytesWritten} of ${RECORD_HEADER + length} bytes`), { code: 'ENOSPC' });
      await this.#writer.datasync();
    } catch (e) {
      // Leave no partial record behind; if even that fails, reopening will truncate it. A failed
      // fsync is not retried: the kernel may already have dropped the dirty pages.
      await this.#writer.truncate(offset).catch(() => undefined);
      throw (this.#failure = ioFailure(`writing block ${block.number}`, join(this.#dir, fileName(this.#writeFile)), e, {
        blockNum: block.number,
        file: this.#writeFile,
        offset,
      }));
    }
    const loc = { file: this.#writeFile, offset, length };
    const end = offset + RECORD_HEADER + length;
    const batch = this.#db.batch();
    putBlockIndex(
      batch,
      block.number,
      hash,
      loc,
      txIndex,
      { file: this.#writeFile, offset: end, height: block.number + 1, lastHash: hash },
      (k) => this.#db.getSync(k) !== undefined,
      new Set(),
    );
    try {
      await batch.write();
    } catch (e) {
      // The block is durable; reopening re-indexes it.
      throw (this.#failure = ioFailure(`indexing block ${block.number}`, join(this.#dir, INDEX_DIR), e, { blockNum: block.number }));
    }
    this.#writeOffset = end;
    this.#height = block.number + 1;
    this.#lastHash = hash;
    this.#remember(block.number, block.bytes);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #rollover(): Promise<void> {
    const next = this.#writeFile + 1;
    const fh = await this.#fs.open(join(this.#dir, fileName(next)), 'w+');
    await syncDir(this.#fs, this.#dir);
    // The old writer stays usable as a reader.
    this.#readers.set(this.#writeFile, this.#writer);
    this.#writer = fh;
    this.#writeFile = next;
    this.#writeOffset = 0;
  }

  #remember(n: number, bytes: Uint8Array): void {
    if (this.#cacheSize <= 0) return;
    this.#cache.set(n, bytes);
    if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
  }

  /**
   * The serialized common.Block number `n`, read back from its record and checked against the
   * record's checksum (blocks appended by this process are served from memory while recent).
   * @throws {LedgerError} BLOCK_NOT_FOUND; CORRUPT_BLOCK_FILE (with `details` path, file, offset,
   *   blockNum) when the stored record is damaged: a damaged block is never returned.
   */
  async getBlock(n: number): Promise<Uint8Array> {
    this.#assertOpen();
    const cached = this.#cache.get(n);
    if (cached !== undefined) return cached;
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.#height)
      throw new LedgerError('BLOCK_NOT_FOUND', `no block ${n} (height ${this.#height})`, { blockNum: n });
    const v = await this.#db.get(blockKey(n));
    if (v === undefined) throw new LedgerError('BLOCK_NOT_FOUND', `block ${n} is not indexed`, { blockNum: n });
    return this.#read(n, { file: v.readUInt32BE(0), offset: readU64(v, 4), length: v.readUInt32BE(12) });
  }

  async #read(n: number, loc: Location): Promise<Uint8Array> {
    const path = join(this.#dir, fileName(loc.file));
    let fh = loc.file === this.#writeFile ? this.#writer : this.#readers.get(loc.file);
    if (fh === undefined) {
      fh = await this.#fs.open(path, 'r');
      this.#readers.set(loc.file, fh);
    }
    const buf = Buffer.allocUnsafe(RECORD_HEADER + loc.length);
    const { bytesRead } = await fh.read(buf, 0, buf.length, loc.offset);
    const header = buf.subarray(0, RECORD_HEADER);
    const payload = buf.subarray(RECORD_HEADER);
    let damage: string | undefined;
    if (bytesRead !== buf.length) damage = `the file ends ${buf.length - bytesRead} bytes short of the record`;
    else if (recordLength(header) !== loc.length) damage = `the record states length ${recordLength(header)}, the index ${loc.length}`;
    else if (!recordChecksumMatches(header, payload)) damage = 'the record does not match its checksum';
    else if (peekBlockNumber(payload) !== n) damage = `the record holds block ${String(peekBlockNumber(payload))}`;
    if (damage !== undefined) {
      throw new LedgerError('CORRUPT_BLOCK_FILE', `block ${n} in ${path} at offset ${loc.offset} is damaged: ${damage}`, {
        path,
        file: loc.file,
        offset: loc.offset,
        blockNum: n,
      });
    }
    return payload;
  }

  /** Number of the block whose header hash is `hash`, if stored. */
  async getBlockNumberByHash(hash: Uint8Array): Promise<number | undefined> {
    this.#assertOpen();
    const k = Buffer.allocUnsafe(1 + hash.length);
    k[0] = K_HASH;
    k.set(hash, 1);
    const v = await this.#db.get(k);
    return v === undefined ? undefined : readU64(v, 0);
  }

  /** The block whose header hash is `hash`, if stored. */
  async getBlockByHash(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const n = await this.getBlockNumberByHash(hash);
    return n === undefined ? undefined : this.getBlock(n);
  }

  /** Location and validation code of the first transaction with this id (a later duplicate is in its block, marked DUPLICATE_TXID by the committer). */
  async getTx(txId: string): Promise<TxLocation | undefined> {
    this.#assertOpen();
    const v = this.#db.getSync(txKey(txId));
    if (v === undefined) return undefined;
    return { blockNum: readU64(v, 0), txNum: v.readUInt32BE(8), code: v[12]! };
  }

  /** Blocks `from` .. `to - 1` (default: up to the height when called); does not wait for new blocks. */
  async *blocks(from = 0, to?: number): AsyncGenerator<Uint8Array, void, undefined> {
    const end = to ?? this.#height;
    for (let n = from; n < end; n++) yield await this.getBlock(n);
  }

  /**
   * Blocks from `from` on, waiting for new blocks as they are appended (for Deliver streams).
   * Ends when the store is closed or `opts.signal` is aborted.
   */
  async *iterate(from = 0, opts: IterateOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    let n = from;
    for (;;) {
      while (n < this.#height) {
        if (this.#closed || opts.signal?.aborted === true) return;
        yield await this.getBlock(n);
        n++;
      }
      if (!(await this.#waitBeyond(n, opts.signal))) return;
    }
  }

  /** Resolves true once height > n, false if closed or aborted first. */
  #waitBeyond(n: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#closed || signal?.aborted === true) return Promise.resolve(false);
    if (this.#height > n) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve(false);
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(!this.#closed);
      };
      this.#waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new LedgerError('CLOSED', 'block store is closed');
  }

  /** Wait for in-flight appends, end waiting iterators, close files and the index. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#tail;
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    await Promise.allSettled([this.#writer.close(), ...[...this.#readers.values()].map((fh) => fh.close())]);
    this.#readers.clear();
    await this.#db.close();
  }
}

/**
 * @internal For verification scans: the index's checkpoint height and every block location, read
 * straight from the index of `chainsDir`; undefined if there is no index.
 * @throws what LevelDB throws when the index cannot be opened (e.g. a running peer holds it).
 */
export async function readBlockIndex(chainsDir: string): Promise<{ height: number; locations: Map<number, BlockLocation> } | undefined> {
  const indexDir = join(chainsDir, INDEX_DIR);
  if ((await stat(indexDir).catch(() => undefined)) === undefined) return undefined;
  const db = new ClassicLevel<Buffer, Buffer>(indexDir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false });
  await db.open();
  try {
    const checkpoint = await db.get(K_CHECKPOINT);
    const locations = new Map<number, BlockLocation>();
    for await (const [k, v] of db.iterator({ gte: Buffer.of(K_BLOCK), lt: Buffer.of(K_BLOCK + 1) })) {
      if (k.length === 9) locations.set(readU64(k, 1), { file: v.readUInt32BE(0), offset: readU64(v, 4), length: v.readUInt32BE(12) });
    }
    return { height: checkpoint === undefined ? 0 : decodeCheckpoint(checkpoint).height, locations };
  } finally {
    await db.close();
  }
}

/**
 * Brings an index written by an earlier version to the current format: format 1 (no K_FORMAT key)
 * kept every occurrence of a tx id under 't'; format 2 keeps the first one under 'T'. The first
 * 't' entry of an id is its first occurrence (keys sort by block then tx number).
 */
async function migrateIndex(db: ClassicLevel<Buffer, Buffer>): Promise<void> {
  const format = await db.get(K_FORMAT);
  if (format !== undefined) {
    if (format[0] !== INDEX_FORMAT)
      throw new LedgerError('CORRUPT_BLOCK_FILE', `block index format ${format[0]} is not supported (expected ${INDEX_FORMAT})`, {
        format: format[0],
      });
    return;
  }
  let batch = db.batch();
  let last = '';
  let n = 0;
  for await (const [k, v] of db.iterator({ gte: Buffer.of(K_TX_V1), lt: Buffer.of(K_TX_V1 + 1) })) {
    batch.del(k);
    const sep = k.indexOf(0, 1);
    if (sep < 0 || k.length !== sep + 13) continue;
    const txId = k.toString('utf8', 1, sep);
    if (txId !== last) batch.put(txKey(txId), txValue(readU64(k, sep + 1), k.readUInt32BE(sep + 9), v[0]!));
    last = txId;
    if (++n % 10_000 === 0) {
      await batch.write();
      batch = db.batch();
    }
  }
  batch.put(K_FORMAT, Buffer.of(INDEX_FORMAT));
  await batch.write();
}

async function ensureDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const kind = await stat(dir).then(
      (s) => (s.isDirectory() ? 'directory' : 'file'),
      () => 'missing',
    );
    if (kind === 'file' || (e as NodeJS.ErrnoException).code === 'ENOTDIR' || (e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LedgerError('NOT_A_DIRECTORY', `${dir} (or a directory above it) is a file, not a directory`, { path: dir }, { cause: e });
    }
    throw ioFailure('creating the block store directory', dir, e);
  }
}

async function syncDir(fs: BlockFileSystem, dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Scan block files from the index checkpoint: index blocks the index missed, truncate a torn tail
 * (the unacknowledged end of an append a crash cut short), and refuse any other damage.
 */
async function recover(
  dir: string,
  db: ClassicLevel<Buffer, Buffer>,
  fs: BlockFileSystem,
): Promise<{ writer: BlockFileHandle; cp: Checkpoint; recovery: BlockStoreRecovery }> {
  const stored = await db.get(K_CHECKPOINT);
  let cp: Checkpoint = stored === undefined ? { file: 0, offset: 0, height: 0, lastHash: new Uint8Array(0) } : decodeCheckpoint(stored);
  const files = await listBlockFiles(dir);
  const lastFile = files.length === 0 ? 0 : files[files.length - 1]!;
  if (cp.height > 0 && !files.includes(cp.file)) {
    throw new LedgerError('CORRUPT_BLOCK_FILE', `index expects ${fileName(cp.file)} in ${dir} but it is missing`, {
      path: join(dir, fileName(cp.file)),
      file: cp.file,
    });
  }
  const sizes = new Map<number, number>();
  for (const f of files) sizes.set(f, (await stat(join(dir, fileName(f)))).size);
  let truncatedBytes = 0;
  let reindexedBlocks = 0;
  for (let f = cp.file; f <= lastFile; f++) {
    const path = join(dir, fileName(f));
    const size = sizes.get(f) ?? 0;
    let offset = f === cp.file ? cp.offset : 0;
    if (size < offset) {
      throw new LedgerError('CORRUPT_BLOCK_FILE', `${path} has ${size} bytes but the index has blocks up to offset ${offset}`, {
        path,
        file: f,
        size,
        offset,
      });
    }
    if (size === offset && f === cp.file) continue;
    const fh = await fs.open(path, 'r+');
    let batch = db.batch();
    let pendingTxIds = new Set<string>();
    const indexed = (k: Buffer): boolean => db.getSync(k) !== undefined;
    let torn = false;
    try {
      const newest = files.every((later) => later <= f || sizes.get(later) === 0);
      const records = new FileRecords(f, path, size, newest, async (position, length) => {
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await fh.read(buf, 0, length, position);
        return buf.subarray(0, bytesRead);
      });
      while (offset < size) {
        const entry = await records.at(offset, cp.height);
        if (entry.kind === 'damaged') {
          if (entry.code !== 'TORN_TAIL') {
            throw new LedgerError(
              'CORRUPT_BLOCK_FILE',
              `${entry.message} (block ${cp.height} expected): the ledger will not truncate readable blocks away; restore the block files from a copy`,
              {
                path,
                file: f,
                offset,
                blockNum: cp.height,
                damage: entry.code,
              },
            );
          }
          // Records are written and synced one at a time, so only the last one can be partial:
          // what follows the last readable record was never acknowledged.
          torn = true;
          break;
        }
        const block = decodeBlock(entry.bytes);
        if (block.number !== cp.height || (cp.height > 0 && !equalBytes(block.previousHash, cp.lastHash))) {
          throw new LedgerError(
            'CORRUPT_BLOCK_FILE',
            `${path} at offset ${offset}: block ${block.number} does not continue the chain at height ${cp.height}`,
            { path, file: f, offset, blockNum: cp.height },
          );
        }
        const hash = blockHeaderHash(block);
        const next: Checkpoint = { file: f, offset: entry.next.offset, height: block.number + 1, lastHash: hash };
        putBlockIndex(
          batch,
          block.number,
          hash,
          { file: f, offset, length: entry.length },
          blockContents(block, false).txIndex,
          next,
          indexed,
          pendingTxIds,
        );
        cp = next;
        offset = entry.next.offset;
        reindexedBlocks++;
        if (reindexedBlocks % 256 === 0) {
          await batch.write();
          batch = db.batch();
          pendingTxIds = new Set();
        }
      }
      if (torn) {
        truncatedBytes += size - offset;
        await fh.truncate(offset);
        await fh.sync();
      }
      if (f !== cp.file) cp = { ...cp, file: f, offset };
      batch.put(K_CHECKPOINT, encodeCheckpoint(cp));
      await batch.write();
    } finally {
      await fh.close();
    }
    if (torn) {
      // Only empty files can follow a torn tail (FileRecords calls it torn only then): an interrupted rollover.
      for (const later of files.filter((x) => x > f)) await unlink(join(dir, fileName(later)));
      break;
    }
  }
  const writer = await fs.open(join(dir, fileName(cp.file)), files.includes(cp.file) ? 'r+' : 'w+');
  if (!files.includes(cp.file)) await syncDir(fs, dir);
  return { writer, cp, recovery: { truncatedBytes, reindexedBlocks } };
}
