// SPDX-License-Identifier: Apache-2.0
// The block store's file layer, as a port: Node's fs by default; tests put in one that fails the
// way a full or failing disk does (ENOSPC, EIO) without mocking the ledger above it.
import { open } from 'node:fs/promises';
import { LedgerError } from './errors';

/** The operations the block store performs on an open block file (a subset of Node's FileHandle). */
export interface BlockFileHandle {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  writev(buffers: readonly Uint8Array[], position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** Opens block files (and the directory, 'r', to sync it). */
export interface BlockFileSystem {
  open(path: string, flags: 'r' | 'r+' | 'w+'): Promise<BlockFileHandle>;
}

export const nodeFileSystem: BlockFileSystem = { open: (path, flags) => open(path, flags) };

// LevelDB reports errno as text (e.g. "IO error: …/000005.log: No space left on device").
const STRERROR: readonly (readonly [RegExp, string])[] = [
  [/no space left on device/i, 'ENOSPC'],
  [/disk quota exceeded/i, 'EDQUOT'],
  [/input\/output error/i, 'EIO'],
  [/read-only file system/i, 'EROFS'],
  [/permission denied/i, 'EACCES'],
  [/too many open files/i, 'EMFILE'],
];

/** The errno code (ENOSPC, EIO, …) behind `err`, following its causes; undefined if none is known. */
export function errnoOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string') for (const [re, errno] of STRERROR) if (re.test(message)) return errno;
  }
  return undefined;
}

/** A LedgerError IO for a failed write or sync, naming what was done, where, and the errno. */
export function ioFailure(action: string, path: string, err: unknown, details: Record<string, unknown> = {}): LedgerError {
  const errno = errnoOf(err);
  const why = errno ?? (err as { message?: string }).message ?? String(err);
  return new LedgerError(
    'IO',
    `${action} at ${path} failed: ${why}`,
    { ...details, path, ...(errno !== undefined && { errno }) },
    { cause: err },
  );
}
