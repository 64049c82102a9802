// SPDX-License-Identifier: Apache-2.0
// A block file layer that fails as a full or broken disk does, for tests (the real files underneath).
import { open } from 'node:fs/promises';
import type { BlockFileHandle, BlockFileSystem } from '../files';

export type FaultyOperation = 'writev' | 'datasync';

/** An fs error as Node raises it (code, errno text, syscall). */
export function errnoError(code: string, syscall: string): NodeJS.ErrnoException {
  const text: Record<string, string> = { ENOSPC: 'no space left on device', EIO: 'i/o error', EDQUOT: 'disk quota exceeded' };
  return Object.assign(new Error(`${code}: ${text[code] ?? 'failure'}, ${syscall}`), { code, syscall });
}

/**
 * Node's file layer, until `fail(op, code)` arms a fault: from then on every `op` fails with `code`
 * (a failing writev first writes half its bytes, as a write on a filling disk does), until `heal()`.
 */
export class FaultyFileSystem implements BlockFileSystem {
  #fault: { op: FaultyOperation; code: string } | undefined;
  /** Operations that failed so far. */
  failures = 0;

  fail(op: FaultyOperation, code = 'ENOSPC'): void {
    this.#fault = { op, code };
  }

  heal(): void {
    this.#fault = undefined;
  }

  async open(path: string, flags: 'r' | 'r+' | 'w+'): Promise<BlockFileHandle> {
    const fh = await open(path, flags);
    const fault = (op: FaultyOperation): NodeJS.ErrnoException | undefined => {
      if (this.#fault?.op !== op) return undefined;
      this.failures++;
      return errnoError(this.#fault.code, op === 'writev' ? 'write' : 'fdatasync');
    };
    return {
      read: (b, o, l, p) => fh.read(b, o, l, p),
      writev: async (buffers, position) => {
        const err = fault('writev');
        if (err !== undefined) {
          const all = Buffer.concat(buffers);
          await fh.write(all, 0, Math.floor(all.length / 2), position);
          throw err;
        }
        return fh.writev(buffers as Uint8Array[], position);
      },
      datasync: async () => {
        const err = fault('datasync');
        if (err !== undefined) throw err;
        return fh.datasync();
      },
      sync: () => fh.sync(),
      truncate: (l) => fh.truncate(l),
      stat: () => fh.stat(),
      close: () => fh.close(),
    };
  }
}
