// SPDX-License-Identifier: Apache-2.0
// An append-only log of records, durable when `append` returns (write + fdatasync), that recovers
// from a torn tail: a crash in the middle of an append leaves at most one partial record at the end,
// which `open` detects (length or CRC mismatch) and truncates.
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, fsyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { OrderingError } from '../errors.js';

const HEADER_BYTES = 8; // u32 length, u32 crc32(record)
/** Records larger than this are refused on append and treated as corruption on open. */
const RECORD_BYTES_MAX = 256 * 1024 * 1024;

function ioError(what: string, path: string, err: unknown): OrderingError {
  return new OrderingError('STORAGE', `${what} ${path}: ${(err as Error).message}`, { path }, { cause: err });
}

/** Makes a rename or a newly created file durable (the directory entry itself). */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class AppendLog {
  readonly path: string;
  #fd: number;
  #size: number;
  /** Start offset of every record's header. */
  readonly #offsets: number[] = [];
  /** Bytes cut off the end at open because the last append was torn. */
  readonly tornBytes: number;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
    const fileSize = fstatSync(fd).size;
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    let body = Buffer.allocUnsafe(64 * 1024);
    let pos = 0;
    for (;;) {
      if (pos + HEADER_BYTES > fileSize) break;
      readSync(fd, header, 0, HEADER_BYTES, pos);
      const len = header.readUInt32BE(0);
      if (len > RECORD_BYTES_MAX || pos + HEADER_BYTES + len > fileSize) break;
      if (body.length < len) body = Buffer.allocUnsafe(Math.max(len, body.length * 2));
      readSync(fd, body, 0, len, pos + HEADER_BYTES);
      if (crc32(body.subarray(0, len)) !== header.readUInt32BE(4)) break;
      this.#offsets.push(pos);
      pos += HEADER_BYTES + len;
    }
    this.tornBytes = fileSize - pos;
    if (this.tornBytes > 0) {
      ftruncateSync(fd, pos);
      fdatasyncSync(fd);
    }
    this.#size = pos;
  }

  /** Opens (creating if absent) the log at `path`, truncating a torn last record. @throws OrderingError STORAGE */
  static open(path: string): AppendLog {
    let fd: number;
    try {
      fd = openSync(path, 'a+');
    } catch (err) {
      throw ioError('cannot open', path, err);
    }
    try {
      const log = new AppendLog(path, fd);
      fsyncDirectory(dirname(path));
      return log;
    } catch (err) {
      closeSync(fd);
      throw err instanceof OrderingError ? err : ioError('cannot read', path, err);
    }
  }

  get count(): number {
    return this.#offsets.length;
  }

  /** Size in bytes of the valid records. */
  get bytes(): number {
    return this.#size;
  }

  /** Appends one record; durable when this returns. */
  append(record: Uint8Array): void {
    if (this.#fd < 0) throw new OrderingError('STORAGE', `log ${this.path} is closed`);
    if (record.length > RECORD_BYTES_MAX) throw new OrderingError('STORAGE', `record of ${record.length} bytes exceeds ${RECORD_BYTES_MAX}`);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(record.length, 0);
    header.writeUInt32BE(crc32(record), 4);
    try {
      // 'a+' appends at the end whatever the position argument; one write for small records.
      if (record.length <= 4096) writeFully(this.#fd, Buffer.concat([header, record]));
      else {
        writeFully(this.#fd, header);
        writeFully(this.#fd, record);
      }
      fdatasyncSync(this.#fd);
    } catch (err) {
      throw ioError('cannot append to', this.path, err);
    }
    this.#offsets.push(this.#size);
    this.#size += HEADER_BYTES + record.length;
  }

  /** Record `index` (0-based). */
  read(index: number): Uint8Array {
    const off = this.#offsets[index];
    if (off === undefined) throw new OrderingError('STORAGE', `record ${index} of ${this.path} does not exist (${this.count} records)`);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    readSync(this.#fd, header, 0, HEADER_BYTES, off);
    const len = header.readUInt32BE(0);
    const body = Buffer.allocUnsafe(len);
    readSync(this.#fd, body, 0, len, off + HEADER_BYTES);
    return body;
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }

  /**
   * Replaces the log by one holding only `record` (compaction of a log where the last record
   * supersedes the others): written to a temporary file, synced, then renamed over the log.
   */
  static rewrite(path: string, record: Uint8Array): void {
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      const header = Buffer.allocUnsafe(HEADER_BYTES);
      header.writeUInt32BE(record.length, 0);
      header.writeUInt32BE(crc32(record), 4);
      writeFully(fd, header);
      writeFully(fd, record);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDirectory(dirname(path));
  }
}

function writeFully(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
