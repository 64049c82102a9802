// SPDX-License-Identifier: Apache-2.0
// The block file record format, defined here and nowhere else (README.md, "On disk"), with a
// read-only reader that checks every record's checksum and goes on past damage.
//
// Record: u32 BE payload length | first 8 bytes of SHA-256(payload) | payload (common.Block bytes).
// Files: <chains>/blockfile_NNNNNN (six decimal digits), filled in order.
import { createHash } from 'node:crypto';
import { open as openFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WireError, WireReader } from './protowire';

export const RECORD_HEADER_BYTES = 12;
const CHECKSUM_BYTES = 8;
const FILE_PREFIX = 'blockfile_';
const FILE_NAME = /^blockfile_(\d{6})$/;

/** The name of block file number `n` (`blockfile_000003`). */
export function blockFileName(n: number): string {
  return FILE_PREFIX + String(n).padStart(6, '0');
}

/** Numbers of the block files in `dir`, ascending. */
export async function listBlockFiles(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .map((f) => FILE_NAME.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export function recordChecksum(payload: Uint8Array): Buffer {
  return createHash('sha256').update(payload).digest().subarray(0, CHECKSUM_BYTES);
}

/** The 12-byte header written before `payload`. */
export function encodeRecordHeader(payload: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  header.set(recordChecksum(payload), 4);
  return header;
}

/** Payload length a record header states. */
export function recordLength(header: Uint8Array): number {
  return Buffer.from(header.buffer, header.byteOffset, RECORD_HEADER_BYTES).readUInt32BE(0);
}

/** Whether `payload` matches the checksum in `header`. */
export function recordChecksumMatches(header: Uint8Array, payload: Uint8Array): boolean {
  return recordChecksum(payload).equals(Buffer.from(header.buffer, header.byteOffset + 4, CHECKSUM_BYTES));
}

/** Block.header.number of serialized common.Block bytes, read without decoding the block; undefined if there is no header. */
export function peekBlockNumber(payload: Uint8Array): number | undefined {
  try {
    const block = new WireReader(payload);
    while (block.next()) {
      if (block.field !== 1) {
        block.skip();
        continue;
      }
      const header = new WireReader(block.bytes());
      let number = 0; // proto3: 0 is not written
      while (header.next()) {
        if (header.field === 1 && header.wire === 0) number = header.varint();
        else header.skip();
      }
      return number;
    }
    return undefined;
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
}

/** Where a record starts. */
export interface RecordPosition {
  readonly file: number;
  readonly offset: number;
}

/** A record whose bytes match their checksum. */
export interface BlockRecord {
  readonly kind: 'block';
  readonly file: number;
  readonly path: string;
  readonly offset: number;
  /** Payload length (the record takes 12 more bytes). */
  readonly length: number;
  readonly blockNumber: number;
  /** The serialized common.Block. */
  readonly bytes: Uint8Array;
  /** Where the next record starts. */
  readonly next: RecordPosition;
}

/**
 * - BAD_CHECKSUM: a complete record whose bytes do not match its checksum, with readable records
 *   after it (or in a file that is not the newest): corruption, never truncated away.
 * - BAD_LENGTH: a length field that runs past the end of the file, or zero, with readable records
 *   after it (or in a file that is not the newest): corruption.
 * - NOT_A_BLOCK: the checksum matches but the bytes have no block header (written by something else).
 * - TORN_TAIL: unreadable bytes at the end of the newest block file with nothing readable after
 *   them: an append cut short by a crash (or still being written); the ledger truncates it on open.
 */
export type RecordDamageCode = 'BAD_CHECKSUM' | 'BAD_LENGTH' | 'NOT_A_BLOCK' | 'TORN_TAIL';

/** Bytes that cannot be read as a record. */
export interface DamagedRecord {
  readonly kind: 'damaged';
  readonly code: RecordDamageCode;
  readonly file: number;
  readonly path: string;
  readonly offset: number;
  /** Bytes skipped from `offset`: up to the next readable record, or to the end of the file. */
  readonly length: number;
  /** One more than the number of the last readable record before it, when there was one. */
  readonly expectedBlockNumber?: number;
  /** The number the damaged bytes claim (unverified), when a block header can be read from them. */
  readonly claimedBlockNumber?: number;
  /** BAD_CHECKSUM: the payload as stored (unverified), so that an auditor can locate what changed in it. */
  readonly storedBytes?: Uint8Array;
  readonly message: string;
  /** Where reading went on. */
  readonly next: RecordPosition;
}

export type BlockFileEntry = BlockRecord | DamagedRecord;

export interface ReadBlockRecordsOptions {
  /** Start here instead of at the first record of the first file (e.g. where an earlier read ended). */
  readonly from?: RecordPosition;
}

/**
 * Every record of the block files in `chainsDir` (a ledger's `chains` directory), in file order,
 * read-only and without the index, so it works beside a running peer and trusts nothing derived.
 * Each record's checksum is checked; damaged bytes are reported as a {@link DamagedRecord} and
 * reading goes on at the next readable record, so one bad record never hides the rest.
 *
 * Sizes are taken when each file is reached: a record being appended meanwhile shows as TORN_TAIL.
 */
export async function* readBlockRecords(
  chainsDir: string,
  opts: ReadBlockRecordsOptions = {},
): AsyncGenerator<BlockFileEntry, void, undefined> {
  const files = await listBlockFiles(chainsDir);
  const from = opts.from;
  let expected: number | undefined;
  for (const [i, file] of files.entries()) {
    if (from !== undefined && file < from.file) continue;
    const path = join(chainsDir, blockFileName(file));
    const fh = await openFile(path, 'r');
    try {
      const size = (await fh.stat()).size;
      // Damage can be a torn tail only where no later file holds anything.
      let newest = true;
      for (const later of files.slice(i + 1)) {
        const lfh = await openFile(join(chainsDir, blockFileName(later)), 'r');
        try {
          if ((await lfh.stat()).size > 0) newest = false;
        } finally {
          await lfh.close();
        }
        if (!newest) break;
      }
      const reader = new FileRecords(file, path, size, newest, (pos, len) => readAt(fh, pos, len));
      let offset = from !== undefined && file === from.file ? from.offset : 0;
      while (offset < size) {
        const entry = await reader.at(offset, expected);
        yield entry;
        if (entry.kind === 'block') expected = entry.blockNumber + 1;
        offset = entry.next.offset;
        if (entry.next.file !== file) break;
      }
    } finally {
      await fh.close();
    }
  }
}

async function readAt(
  fh: { read(b: Buffer, o: number, l: number, p: number): Promise<{ bytesRead: number }> },
  position: number,
  length: number,
): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** @internal Reads one file's records (the block store's recovery uses it too); `read` returns up to `length` bytes at `position`. */
export class FileRecords {
  readonly #file: number;
  readonly #path: string;
  readonly #size: number;
  readonly #newest: boolean;
  readonly #read: (position: number, length: number) => Promise<Buffer>;

  constructor(file: number, path: string, size: number, newest: boolean, read: (position: number, length: number) => Promise<Buffer>) {
    this.#file = file;
    this.#path = path;
    this.#size = size;
    this.#newest = newest;
    this.#read = read;
  }

  /** The record at `offset`, or the damage starting there (and where reading goes on). */
  async at(offset: number, expected: number | undefined): Promise<BlockFileEntry> {
    const size = this.#size;
    let code: RecordDamageCode;
    let reason: string;
    let claimed: number | undefined;
    let stored: Uint8Array | undefined;
    if (size - offset < RECORD_HEADER_BYTES) {
      code = 'BAD_LENGTH';
      reason = `${size - offset} bytes are too few for a record header`;
    } else {
      const header = await this.#read(offset, RECORD_HEADER_BYTES);
      const length = recordLength(header);
      if (length === 0 || length > size - offset - RECORD_HEADER_BYTES) {
        code = 'BAD_LENGTH';
        reason = `record length ${length} runs past the end of the file (${size} bytes)`;
      } else {
        const payload = await this.#read(offset + RECORD_HEADER_BYTES, length);
        const blockNumber = peekBlockNumber(payload);
        const next = { file: this.#file, offset: offset + RECORD_HEADER_BYTES + length };
        if (recordChecksumMatches(header, payload)) {
          if (blockNumber !== undefined)
            return { kind: 'block', file: this.#file, path: this.#path, offset, length, blockNumber, bytes: payload, next };
          code = 'NOT_A_BLOCK';
          reason = 'the record matches its checksum but holds no block header';
        } else {
          code = 'BAD_CHECKSUM';
          reason = `the ${length}-byte record does not match its checksum`;
          stored = payload;
        }
        claimed = blockNumber;
      }
    }
    const resume = await this.#nextReadable(offset + 1, expected);
    const end = resume ?? size;
    const torn = resume === undefined && this.#newest;
    const where = `${blockFileName(this.#file)} at offset ${offset}`;
    const message = torn
      ? `${where}: ${reason}; nothing readable follows in the newest file (a torn tail: an append cut short, or one in progress)`
      : `${where}: ${reason}; ${end - offset} bytes skipped${resume === undefined ? ' to the end of the file' : ` to the next readable record at ${resume}`}`;
    return {
      kind: 'damaged',
      code: torn ? 'TORN_TAIL' : code,
      file: this.#file,
      path: this.#path,
      offset,
      length: end - offset,
      ...(expected !== undefined && { expectedBlockNumber: expected }),
      ...(claimed !== undefined && { claimedBlockNumber: claimed }),
      ...(stored !== undefined && { storedBytes: stored }),
      message,
      next: { file: this.#file, offset: end },
    };
  }

  /**
   * The offset of the first record from `start` on that matches its checksum. A record's length
   * field may itself be damaged, so every offset is a candidate; a candidate must look like the
   * start of a serialized block (header first: tag 0x0a, a one-byte length, then number,
   * previous_hash or data_hash, and the data or metadata tag after it) before its checksum is
   * computed, which keeps the scan near memory speed.
   */
  async #nextReadable(start: number, expected: number | undefined): Promise<number | undefined> {
    if (start >= this.#size) return undefined;
    const buf = await this.#read(start, this.#size - start);
    for (let p = buf.indexOf(0x0a, RECORD_HEADER_BYTES); p >= 0; p = buf.indexOf(0x0a, p + 1)) {
      const r = p - RECORD_HEADER_BYTES;
      const length = buf.readUInt32BE(r);
      if (length < 2 || length > buf.length - p) continue;
      const headerLength = buf[p + 1]!;
      if (headerLength >= 0x80 || 2 + headerLength > length) continue;
      const first = buf[p + 2];
      if (headerLength > 0 && first !== 0x08 && first !== 0x12 && first !== 0x1a) continue;
      if (2 + headerLength < length && buf[p + 2 + headerLength] !== 0x12 && buf[p + 2 + headerLength] !== 0x1a) continue;
      const payload = buf.subarray(p, p + length);
      if (expected !== undefined) {
        const n = peekBlockNumber(payload);
        if (n === undefined || n < expected) continue;
      }
      if (recordChecksumMatches(buf.subarray(r, r + RECORD_HEADER_BYTES), payload)) return start + r;
    }
    return undefined;
  }
}
