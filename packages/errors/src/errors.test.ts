// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetroledgerError, describeError } from './index';

class DiskError extends MetroledgerError<'FULL' | 'GONE'> {
  override get retryable(): boolean {
    return this.code === 'FULL';
  }
}

test('a coded error keeps code, details and cause apart from its message, and says whether to retry', () => {
  const cause = new Error('ENOSPC');
  const err = new DiskError('FULL', 'the disk is full', { path: '/x' }, { cause });
  assert.equal(err.name, 'DiskError');
  assert.equal(err.message, 'the disk is full');
  assert.equal(err.cause, cause);
  assert.ok(err instanceof MetroledgerError && err instanceof Error);
  assert.deepEqual(JSON.parse(JSON.stringify(err)), {
    name: 'DiskError',
    code: 'FULL',
    message: 'the disk is full',
    retryable: true,
    details: { path: '/x' },
  });
  assert.equal(new DiskError('GONE', 'gone').retryable, false);
  assert.equal('details' in new DiskError('GONE', 'gone').toJSON(), false);
});

test('describeError joins code and message once, and shows other errors as they are', () => {
  assert.equal(describeError(new DiskError('GONE', 'the disk is gone')), 'GONE: the disk is gone');
  // a chaincode error's message is its Fabric response, which already starts with the code
  assert.equal(describeError(Object.assign(new Error('METER_NOT_FOUND: m-1'), { code: 'METER_NOT_FOUND' })), 'METER_NOT_FOUND: m-1');
  assert.equal(describeError(new Error('plain')), 'plain');
  assert.equal(describeError('text'), 'text');
});
