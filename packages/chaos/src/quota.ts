// SPDX-License-Identifier: Apache-2.0
// A disk that holds only so many more bytes: the block files' layer of a devnet whose disk fills up.
// Writes go to the real files until the budget is spent; the write that overflows it writes what
// fits and fails with ENOSPC, as write(2) on a full file system does, and so does every later one.
import { open } from 'node:fs/promises';
import type { BlockFileHandle, BlockFileSystem } from '@metroledger/ledger';

export class QuotaFileSystem implements BlockFileSystem {
  #left: number;

  /** `bytes`: how much more the block files may grow by before the disk is full. */
  constructor(bytes: number) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`quota must be a non-negative byte count, not ${bytes}`);
    this.#left = bytes;
  }

  async open(path: string, flags: 'r' | 'r+' | 'w+'): Promise<BlockFileHandle> {
    const fh = await open(path, flags);
    return {
      read: (b, o, l, p) => fh.read(b, o, l, p),
      writev: async (buffers, position) => {
        const all = Buffer.concat(buffers);
        if (all.length <= this.#left) {
          this.#left -= all.length;
          return fh.writev(buffers as Uint8Array[], position);
        }
        const fits = this.#left;
        this.#left = 0;
        if (fits > 0) await fh.write(all, 0, fits, position);
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), {
          code: 'ENOSPC',
          errno: -28,
          syscall: 'write',
          path,
        });
      },
      datasync: () => fh.datasync(),
      sync: () => fh.sync(),
      truncate: (l) => fh.truncate(l),
      stat: () => fh.stat(),
      close: () => fh.close(),
    };
  }
}
