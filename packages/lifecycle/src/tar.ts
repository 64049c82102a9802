// SPDX-License-Identifier: Apache-2.0
// A small POSIX ustar writer with every machine-dependent field pinned, and a strict reader.
import { LifecycleError } from './errors';

const BLOCK = 512;
const FILE_MODE = 0o100644; // what Fabric's own packager writes; its node platform rejects anything beyond 0100666
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface TarFile {
  path: string;
  content: Uint8Array;
}

/**
 * Checks a relative package path: forward slashes, no empty, '.' or '..' segments, no leading '/',
 * printable characters only. Returns the path unchanged or throws UNSAFE_PATH.
 */
export function checkEntryPath(path: string): string {
  const bad = (why: string): never => {
    throw new LifecycleError('UNSAFE_PATH', `unsafe path ${JSON.stringify(path)}: ${why}`, { path });
  };
  if (path.length === 0) bad('empty');
  if (path.startsWith('/')) bad('absolute');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) bad('control character or backslash');
  if (/^[A-Za-z]:/.test(path)) bad('drive letter');
  for (const segment of path.split('/')) {
    if (segment === '') bad('empty segment');
    if (segment === '.' || segment === '..') bad(`'${segment}' segment`);
  }
  return path;
}

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new LifecycleError('UNSAFE_PATH', `tar field too long: ${value}`, { value });
  block.set(bytes, offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, length, value.toString(8).padStart(length - 1, '0'));
  block[offset + length - 1] = 0;
}

/** Splits a long path over ustar's prefix (155) and name (100) fields, at a '/'. */
function splitPath(path: string): { prefix: string; name: string } {
  const total = encoder.encode(path).length;
  if (total <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(name).length <= 100 && name.length > 0) return { prefix, name };
  }
  throw new LifecycleError('UNSAFE_PATH', `path too long for a ustar header: ${path}`, { path });
}

function header(path: string, size: number): Uint8Array {
  if (size > MAX_OCTAL_SIZE) throw new LifecycleError('PACKAGE_TOO_LARGE', `file too large for ustar: ${path}`, { path, size });
  const block = new Uint8Array(BLOCK);
  const { prefix, name } = splitPath(path);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, FILE_MODE);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0); // mtime: the epoch, always
  block[156] = 0x30; // '0': regular file
  writeString(block, 257, 6, 'ustar'); // "ustar\0"
  writeString(block, 263, 2, '00');
  // uname/gname stay empty; devmajor/devminor are zeros
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeString(block, 345, 155, prefix);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  writeString(block, 148, 6, sum.toString(8).padStart(6, '0'));
  block[154] = 0;
  block[155] = 0x20;
  return block;
}

/** A tar archive of `files` (regular files only, in byte order of their paths). */
export function writeTar(files: readonly TarFile[]): Uint8Array {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  let total = 2 * BLOCK;
  for (let i = 0; i < sorted.length; i++) {
    checkEntryPath(sorted[i]!.path);
    if (i > 0 && sorted[i]!.path === sorted[i - 1]!.path) {
      throw new LifecycleError('BAD_SOURCE', `duplicate path ${sorted[i]!.path}`, { path: sorted[i]!.path });
    }
    total += BLOCK + Math.ceil(sorted[i]!.content.length / BLOCK) * BLOCK;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of sorted) {
    out.set(header(f.path, f.content.length), o);
    o += BLOCK;
    out.set(f.content, o);
    o += Math.ceil(f.content.length / BLOCK) * BLOCK;
  }
  return out; // the two zero end blocks are already there
}

/** Orders paths by their UTF-8 bytes, so the order does not depend on locale or platform. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function readString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  try {
    return decoder.decode(block.subarray(offset, end));
  } catch {
    throw new LifecycleError('MALFORMED_PACKAGE', 'tar header field is not UTF-8');
  }
}

function readOctal(block: Uint8Array, offset: number, length: number, field: string): number {
  if (block[offset]! & 0x80) throw new LifecycleError('PACKAGE_TOO_LARGE', `tar ${field} in base-256 form is not accepted`);
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new LifecycleError('MALFORMED_PACKAGE', `tar ${field} is not octal: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function parsePax(data: Uint8Array): Map<string, string> {
  // Records are "<decimal length of the whole record> <key>=<value>\n"; the length counts bytes.
  const records = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const length = space > i ? Number(Buffer.from(data.subarray(i, space)).toString('latin1')) : NaN;
    if (!Number.isSafeInteger(length) || length <= space - i + 1 || i + length > data.length || data[i + length - 1] !== 0x0a) {
      throw new LifecycleError('MALFORMED_PACKAGE', 'bad pax record');
    }
    const value = data.subarray(space + 1, i + length - 1);
    const body = readString(value, 0, value.length);
    const eq = body.indexOf('=');
    if (eq < 0) throw new LifecycleError('MALFORMED_PACKAGE', 'bad pax record');
    records.set(body.slice(0, eq), body.slice(eq + 1));
    i += length;
  }
  return records;
}

export interface ReadTarLimits {
  maxFiles: number;
  maxTotalBytes: number;
}

/**
 * Reads a tar archive into its regular files. Directory entries are checked and skipped; links,
 * devices, fifos, unsafe paths and duplicate paths are refused. Understands ustar (with prefix),
 * pax `path`/`size` records and GNU long names, which other packagers emit for long paths.
 */
export function readTar(data: Uint8Array, limits: ReadTarLimits, what: string): TarFile[] {
  const files: TarFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  let o = 0;
  let pendingPath: string | undefined;
  let pendingSize: number | undefined;
  for (;;) {
    if (o + BLOCK > data.length) throw new LifecycleError('MALFORMED_PACKAGE', `${what}: truncated tar (no end blocks)`);
    const block = data.subarray(o, o + BLOCK);
    if (block.every((b) => b === 0)) {
      // End of archive: whatever follows (second end block, record padding) must be zeros too.
      if (!data.subarray(o).every((b) => b === 0)) throw new LifecycleError('MALFORMED_PACKAGE', `${what}: data after the tar end marker`);
      break;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (readOctal(block, 148, 8, 'checksum') !== sum)
      throw new LifecycleError('MALFORMED_PACKAGE', `${what}: tar header checksum mismatch`);
    const magic = readString(block, 257, 6);
    if (magic !== 'ustar' && magic !== 'ustar ') throw new LifecycleError('MALFORMED_PACKAGE', `${what}: not a ustar archive`);
    const type = String.fromCharCode(block[156]!);
    const size = pendingSize ?? readOctal(block, 124, 12, 'size');
    const prefix = magic === 'ustar' ? readString(block, 345, 155) : '';
    const rawName = readString(block, 0, 100);
    const headerPath = pendingPath ?? (prefix ? `${prefix}/${rawName}` : rawName);
    pendingPath = undefined;
    pendingSize = undefined;
    const start = o + BLOCK;
    const end = start + size;
    if (end > data.length) throw new LifecycleError('MALFORMED_PACKAGE', `${what}: truncated tar entry ${headerPath}`);
    total += size;
    if (total > limits.maxTotalBytes)
      throw new LifecycleError('PACKAGE_TOO_LARGE', `${what}: more than ${limits.maxTotalBytes} bytes of files`, {
        limit: limits.maxTotalBytes,
      });
    const content = data.subarray(start, end);
    o = start + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x' || type === 'L') {
      if (type === 'L') {
        pendingPath = readString(content, 0, content.length);
      } else {
        const pax = parsePax(content);
        pendingPath = pax.get('path');
        const paxSize = pax.get('size');
        if (paxSize !== undefined) {
          if (!/^[0-9]+$/.test(paxSize)) throw new LifecycleError('MALFORMED_PACKAGE', `${what}: bad pax size`);
          pendingSize = Number(paxSize);
        }
      }
      continue;
    }
    const path = headerPath.startsWith('./') ? headerPath.slice(2) : headerPath;
    if (type === '5') {
      checkEntryPath(path.endsWith('/') ? path.slice(0, -1) : path);
      continue;
    }
    if (type !== '0' && type !== '\0') {
      const kind = type === '1' ? 'hard link' : type === '2' ? 'symbolic link' : `entry type '${type}'`;
      throw new LifecycleError('UNSAFE_PATH', `${what}: ${kind} ${JSON.stringify(path)} is not allowed`, { path, type });
    }
    checkEntryPath(path);
    if (seen.has(path)) throw new LifecycleError('MALFORMED_PACKAGE', `${what}: duplicate entry ${path}`, { path });
    seen.add(path);
    if (files.length >= limits.maxFiles)
      throw new LifecycleError('PACKAGE_TOO_LARGE', `${what}: more than ${limits.maxFiles} files`, { limit: limits.maxFiles });
    files.push({ path, content });
  }
  return files;
}
