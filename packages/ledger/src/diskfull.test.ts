// SPDX-License-Identifier: Apache-2.0
// A disk that fills up or fails under the block store: the failure is reported with its path and
// errno, nothing partial stays in the file, the ledger stops taking blocks, and reopening it
// recovers every block whose commit resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LedgerError } from './errors';
import { Ledger } from './ledger';
import { TestChain } from './testing/blocks';
import { FaultyFileSystem } from './testing/faults';
import { withTempDir } from './testing/tmp';
import { verifyLedger } from './testing/verify';

const chainOf = () => new TestChain(7, { txPerBlock: 4, writesPerTx: 2, valueBytes: 200, keySpace: 20, invalidEvery: 5 });

for (const [op, code] of [['writev', 'ENOSPC'], ['datasync', 'EIO']] as const) {
  test(`a failing ${op} (${code}) stops the ledger with path and errno; reopening recovers every acknowledged block`, () => withTempDir(async (dir) => {
    const fs = new FaultyFileSystem();
    const chain = chainOf();
    let ledger = await Ledger.open(dir, { fileSystem: fs });
    for (let i = 0; i < 5; i++) await ledger.commit(chain.nextBlock());
    const file = join(dir, 'chains', 'blockfile_000000');
    const before = (await stat(file)).size;

    fs.fail(op, code);
    const lost = chain.nextBlock();
    const err = await ledger.commit(lost).then(() => undefined, (e: unknown) => e);
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
    await assert.rejects(ledger.commit(lost), (e: unknown) => e instanceof LedgerError && e.code === 'IO' && e.details?.['errno'] === code);
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

test('a block file that cannot be created at rollover stops the ledger with path and errno', () => withTempDir(async (dir) => {
  const chain = chainOf();
  const failing = new FaultyFileSystem();
  // Creating a file goes through open(…, 'w+'): fail it as a full disk would.
  const fs = {
    open: (path: string, flags: 'r' | 'r+' | 'w+') => (flags === 'w+' && path.endsWith('blockfile_000001') ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC', syscall: 'open' })) : failing.open(path, flags)),
  };
  let ledger = await Ledger.open(dir, { fileSystem: fs, maxFileSize: 8_000 });
  let committed = 0;
  let failure: unknown;
  for (let i = 0; i < 20 && failure === undefined; i++) {
    await ledger.commit(chain.nextBlock()).then(() => committed++, (e: unknown) => (failure = e));
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
