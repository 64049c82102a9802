// SPDX-License-Identifier: Apache-2.0
// A disk that fills up or fails under the block store: the failure is reported with its path and
// errno, nothing partial stays in the file, the ledger stops taking blocks, and reopening it
// recovers every block whose commit resolved. Injected failures through the file-layer port, and a
// real small tmpfs where this process may mount one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LedgerError } from './errors';
import { Ledger } from './ledger';
import { TestChain } from './testing/blocks';
import { FaultyFileSystem } from './testing/faults';
import { withTempDir } from './testing/tmp';
import { verifyLedger } from './testing/verify';
import { mountTmpfs } from './testing/tmpfs';

const chainOf = () => new TestChain(7, { txPerBlock: 4, writesPerTx: 2, valueBytes: 200, keySpace: 20, invalidEvery: 5 });

for (const [op, code] of [
  ['writev', 'ENOSPC'],
  ['datasync', 'EIO'],
] as const) {
  test(`a failing ${op} (${code}) stops the ledger with path and errno; reopening recovers every acknowledged block`, () =>
    withTempDir(async (dir) => {
      const fs = new FaultyFileSystem();
      const chain = chainOf();
      let ledger = await Ledger.open(dir, { fileSystem: fs });
      for (let i = 0; i < 5; i++) await ledger.commit(chain.nextBlock());
      const file = join(dir, 'chains', 'blockfile_000000');
      const before = (await stat(file)).size;

      fs.fail(op, code);
      const lost = chain.nextBlock();
      const err = await ledger.commit(lost).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof LedgerError, `a LedgerError, not ${String(err)}`);
      assert.equal(err.code, 'IO');
      assert.equal(err.details?.['errno'], code);
      assert.equal(err.details?.['path'], file);
      assert.equal(err.details?.['blockNum'], 5);
      assert.match(err.message, new RegExp(`${code}`));
      assert.equal((await stat(file)).size, before, 'no partial record is left behind');
      assert.equal(ledger.failure, err, 'the ledger reports what stopped it');

      // Once failed, the ledger takes no more blocks, even after the disk recovers (fsync errors are not retried).
      fs.heal();
      await assert.rejects(
        ledger.commit(lost),
        (e: unknown) => e instanceof LedgerError && e.code === 'IO' && e.details?.['errno'] === code,
      );
      assert.equal(ledger.height, 5);
      await ledger.close();

      ledger = await Ledger.open(dir);
      try {
        assert.equal(ledger.height, 5, 'every acknowledged block is there, and only those');
        await ledger.commit(lost);
        await verifyLedger(ledger);
      } finally {
        await ledger.close();
      }
    }));
}

test('a block file that cannot be created at rollover stops the ledger with path and errno', () =>
  withTempDir(async (dir) => {
    const chain = chainOf();
    const failing = new FaultyFileSystem();
    // Creating a file goes through open(…, 'w+'): fail it as a full disk would.
    const fs = {
      open: (path: string, flags: 'r' | 'r+' | 'w+') =>
        flags === 'w+' && path.endsWith('blockfile_000001')
          ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC', syscall: 'open' }))
          : failing.open(path, flags),
    };
    let ledger = await Ledger.open(dir, { fileSystem: fs, maxFileSize: 8_000 });
    let committed = 0;
    let failure: unknown;
    for (let i = 0; i < 20 && failure === undefined; i++) {
      await ledger.commit(chain.nextBlock()).then(
        () => committed++,
        (e: unknown) => (failure = e),
      );
    }
    assert.ok(failure instanceof LedgerError && failure.code === 'IO', String(failure));
    assert.equal(failure.details?.['errno'], 'ENOSPC');
    assert.equal(failure.details?.['path'], join(dir, 'chains', 'blockfile_000001'));
    await ledger.close();
    ledger = await Ledger.open(dir, { maxFileSize: 8_000 });
    try {
      assert.equal(ledger.height, committed);
      await verifyLedger(ledger);
    } finally {
      await ledger.close();
    }
  }));

test('a real full disk (a small tmpfs) under the block files and the world state: reopening with room recovers every acknowledged block', async (t) => {
  await withTempDir(async (base) => {
    const mnt = join(base, 'disk');
    await mkdir(mnt);
    const cannot = mountTmpfs(mnt, '2m');
    if (cannot !== undefined) return t.skip(`no real full disk here: ${cannot}; the injected failures above still ran`);
    const failedAt: string[] = [];
    try {
      // Block and write sizes that make the block file, or the state's LevelDB log, hit ENOSPC first.
      for (const [i, txPerBlock] of [1, 2, 3, 5].entries()) {
        const dir = join(mnt, `ledger-${i}`);
        const chain = new TestChain(i + 1, { txPerBlock, writesPerTx: 40, valueBytes: 300, keySpace: 100_000 });
        let ledger = await Ledger.open(dir);
        let acknowledged = -1;
        let failure: unknown;
        while (failure === undefined)
          await ledger.commit(chain.nextBlock()).then(
            (r) => (acknowledged = r.blockNum),
            (e: unknown) => (failure = e),
          );
        assert.ok(failure instanceof LedgerError && failure.code === 'IO', String(failure));
        assert.equal(failure.details?.['errno'], 'ENOSPC', failure.message);
        assert.ok(String(failure.details?.['path']).startsWith(dir), failure.message);
        failedAt.push(String(failure.details?.['path']).slice(dir.length + 1));
        await ledger.close().catch(() => undefined);
        execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
        ledger = await Ledger.open(dir);
        try {
          assert.ok(ledger.height >= acknowledged + 1, `height ${ledger.height} lost acknowledged block ${acknowledged}`);
          await verifyLedger(ledger);
        } finally {
          await ledger.close();
        }
        await rm(dir, { recursive: true });
        execFileSync('mount', ['-o', 'remount,size=2m', mnt]);
      }
      t.diagnostic(`ENOSPC hit: ${failedAt.join(', ')}`);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
