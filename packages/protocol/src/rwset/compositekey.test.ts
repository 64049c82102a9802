// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChaincodeStub } from 'fabric-shim';
import { compositeKey, splitCompositeKey } from './compositekey';

test("composite keys are byte for byte fabric-shim's, and split back into type and attributes", () => {
  const stub = Object.create(ChaincodeStub.prototype) as ChaincodeStub;
  const cases: [string, string[]][] = [
    ['lrsw', ['lr', '1.0']],
    ['meter', []],
    ['measurement', ['SP-1', '0000000000000042', 'é']],
  ];
  for (const [type, attributes] of cases) {
    assert.equal(compositeKey(type, attributes), stub.createCompositeKey(type, attributes));
    assert.deepEqual(splitCompositeKey(compositeKey(type, attributes)), { type, attributes });
  }
  assert.equal(splitCompositeKey('plain'), undefined);
});
