// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, DEFAULT_RETRY_POLICY } from './retry';

test('backoff ceilings double per attempt and stop at the maximum', () => {
  const top = () => 0.999999;
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, top), 19);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 2, top), 39);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 4, top), 159);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 30, top), 1999);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 3, () => 0), 0);
});
