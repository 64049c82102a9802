// SPDX-License-Identifier: Apache-2.0
// A Hyperledger Fabric peer's own block files, read offline and read-only, so that an auditor can
// audit a copy of a peer's ledger (<peer>/ledgersData/chains/chains/<channel>/blockfile_NNNNNN).
//
// Fabric's format (common/ledger/blkstorage, block_serialization.go and blockfile_mgr.go): each
// record is varint(length) | block, where the block is NOT a serialized common.Block but
//   varint(number) | bytes(data_hash) | bytes(previous_hash)
//   | varint(n) | n × bytes(envelope) | varint(m) | m × bytes(metadata entry)
// with bytes(x) = varint(len(x)) | x. There is no checksum: a damaged record shows as bytes that do
// not decode, or as a break in the hash chain that the audit checks anyway.
// The peer's block index (goleveldb, <peer>/ledgersData/chains/index, shared by all channels)
// holds, under "<channel>\0blkMgrInfo", varint(latest file) | varint(its size) |
// varint(last block number) | varint(1 if there are no blocks).
import { cp, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';

const FILE_NAME = /^blockfile_(\d{6})$/;

export const fabricBlockFileName = (n: number): string => `blockfile_${String(n).padStart(6, '0')}`;

/** Numbers of the block files in `dir`, ascending. */
export async function listFabricBlockFiles(dir: string): Promise<number[]> {
  return (await readdir(dir))
    .map((f) => FILE_NAME.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

class Truncated extends Error {}

/** A cursor over bytes with Fabric's (protowire) varint and length-prefixed bytes. */
class Cursor {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Truncated('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new RangeError('varint beyond 2^53');
        return result;
      }
      mul *= 128;
    }
    throw new RangeError('varint longer than 10 bytes');
  }
  bytes(): Uint8Array {
    const len = this.varint();
    if (len > this.end - this.pos) throw new Truncated(`a ${len}-byte field runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

/** The fields of one block in Fabric's block-file serialization. */
export interface FabricStoredBlock {
  readonly number: number;
  readonly dataHash: Uint8Array;
  readonly previousHash: Uint8Array;
  readonly envelopes: readonly Uint8Array[];
  readonly metadata: readonly Uint8Array[];
}

/**
 * Decodes one block as Fabric's block store serializes it (the bytes after the record's length).
 * @throws {RangeError} when the bytes are not such a block or do not end where it ends
 */
export function decodeFabricStoredBlock(bytes: Uint8Array): FabricStoredBlock {
  const c = new Cursor(bytes);
  try {
    const number = c.varint();
    const dataHash = c.bytes();
    const previousHash = c.bytes();
    const envelopes: Uint8Array[] = [];
    for (let n = c.varint(); n > 0; n--) envelopes.push(c.bytes());
    const metadata: Uint8Array[] = [];
    for (let m = c.varint(); m > 0; m--) metadata.push(c.bytes());
    if (c.pos !== bytes.length) throw new RangeError(`${bytes.length - c.pos} bytes follow the block's last metadata entry`);
    return { number, dataHash, previousHash, envelopes, metadata };
  } catch (err) {
    if (err instanceof Truncated) throw new RangeError(err.message);
    throw err;
  }
}

/** The same block as a serialized common.Block (what Deliver serves and the audit reads). */
export function toCommonBlock(b: FabricStoredBlock): Uint8Array {
  const header = new common.BlockHeader();
  header.setNumber(b.number);
  header.setDataHash(b.dataHash);
  header.setPreviousHash(b.previousHash);
  const data = new common.BlockData();
  data.setDataList([...b.envelopes]);
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList([...b.metadata]);
  const block = new common.Block();
  block.setHeader(header);
  block.setData(data);
  block.setMetadata(metadata);
  return block.serializeBinary();
}

/** Where a record starts. */
export interface FabricRecordPosition {
  readonly file: number;
  readonly offset: number;
}

export type FabricFileEntry =
  | {
      readonly kind: 'block';
      readonly file: number;
      readonly path: string;
      readonly offset: number;
      readonly block: FabricStoredBlock;
      readonly next: FabricRecordPosition;
    }
  | {
      readonly kind: 'damaged';
      /** TORN_TAIL: unreadable bytes at the end of the newest file with nothing readable after them. */
      readonly code: 'BAD_RECORD' | 'TORN_TAIL';
      readonly file: number;
      readonly path: string;
      readonly offset: number;
      /** Bytes skipped: to the next readable record, or to the end of the file. */
      readonly length: number;
      readonly expectedBlockNumber?: number;
      readonly message: string;
      readonly next: FabricRecordPosition;
    };

/** The record at `offset` of `buf` (one whole file), or why there is none. */
function recordAt(buf: Uint8Array, offset: number): { block: FabricStoredBlock; end: number } | { error: string } {
  const c = new Cursor(buf, offset);
  let length: number;
  try {
    length = c.varint();
  } catch (err) {
    return { error: `the record length does not decode (${(err as Error).message})` };
  }
  if (length === 0 || length > buf.length - c.pos)
    return { error: `record length ${length} runs past the end of the file (${buf.length} bytes)` };
  try {
    return { block: decodeFabricStoredBlock(buf.subarray(c.pos, c.pos + length)), end: c.pos + length };
  } catch (err) {
    return { error: `the ${length}-byte record is not a block (${(err as Error).message})` };
  }
}

/**
 * The next offset from `start` where a whole record of a block numbered at least `expected` begins.
 * Without a checksum, a record is recognised by its structure: a block that decodes exactly to
 * the record's end, with 32-byte hashes (SHA-256) and a number not below what must come next.
 */
function nextReadable(buf: Uint8Array, start: number, expected: number | undefined): number | undefined {
  for (let p = start; p < buf.length; p++) {
    const r = recordAt(buf, p);
    if ('error' in r) continue;
    const b = r.block;
    if (b.dataHash.length !== 32 || (b.number > 0 && b.previousHash.length !== 32)) continue;
    if (expected !== undefined && b.number < expected) continue;
    return p;
  }
  return undefined;
}

/**
 * Every record of a Fabric channel's block files (`dir` = ledgersData/chains/chains/<channel>), in
 * file order, read-only. Damaged bytes are reported and reading goes on at the next readable record.
 */
export async function* readFabricBlockFiles(dir: string, from?: FabricRecordPosition): AsyncGenerator<FabricFileEntry, void, undefined> {
  const files = await listFabricBlockFiles(dir);
  let expected: number | undefined;
  for (const [i, file] of files.entries()) {
    if (from !== undefined && file < from.file) continue;
    const path = join(dir, fabricBlockFileName(file));
    // Whole files (Fabric rolls over at 64 MiB by default): one consistent snapshot of each.
    const fh = await open(path, 'r');
    let buf: Buffer;
    try {
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
    const newest = i === files.length - 1;
    let offset = from !== undefined && file === from.file ? from.offset : 0;
    while (offset < buf.length) {
      const r = recordAt(buf, offset);
      if (!('error' in r)) {
        expected = r.block.number + 1;
        yield { kind: 'block', file, path, offset, block: r.block, next: { file, offset: r.end } };
        offset = r.end;
        continue;
      }
      const resume = nextReadable(buf, offset + 1, expected);
      const end = resume ?? buf.length;
      const torn = resume === undefined && newest;
      const where = `${fabricBlockFileName(file)} at offset ${offset}`;
      yield {
        kind: 'damaged',
        code: torn ? 'TORN_TAIL' : 'BAD_RECORD',
        file,
        path,
        offset,
        length: end - offset,
        ...(expected !== undefined && { expectedBlockNumber: expected }),
        message: torn
          ? `${where}: ${r.error}; nothing readable follows in the newest file (an append cut short, or one in progress)`
          : `${where}: ${r.error}; ${end - offset} bytes skipped${resume === undefined ? ' to the end of the file' : ` to the next readable record at ${resume}`}`,
        next: { file, offset: end },
      };
      offset = end;
    }
  }
}

/** Whether `bytes` (the start of a block file) begin with a record in Fabric's format. */
export function looksLikeFabricBlockFile(bytes: Uint8Array): boolean {
  const r = recordAt(bytes, 0);
  return !('error' in r) && r.block.number === 0 && r.block.dataHash.length === 32;
}

/**
 * What the peer's block index says about a channel: its height (last persisted block + 1). The
 * index is copied and the copy opened, so a running peer's files are neither locked nor changed.
 * Undefined when there is no index or it has no entry for the channel.
 */
export async function readFabricIndexHeight(indexDir: string, channelId: string): Promise<number | undefined> {
  const { ClassicLevel } = await import('classic-level');
  const copy = await mkdtemp(join(tmpdir(), 'metroledger-audit-index-'));
  try {
    await cp(indexDir, copy, { recursive: true, filter: (src) => !src.endsWith('/LOCK') });
    const db = new ClassicLevel<Buffer, Buffer>(copy, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false });
    await db.open();
    try {
      const info = await db.get(Buffer.concat([Buffer.from(channelId, 'utf8'), Buffer.of(0), Buffer.from('blkMgrInfo')]));
      if (info === undefined) return undefined;
      const c = new Cursor(info);
      c.varint(); // latest file number
      c.varint(); // its size
      const lastBlock = c.varint();
      const noBlocks = c.pos < info.length ? c.varint() === 1 : false;
      return noBlocks ? 0 : lastBlock + 1;
    } finally {
      await db.close();
    }
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}
