// SPDX-License-Identifier: Apache-2.0
// The ledger chains blocks with @metroledger/protocol's header hash: checked here against an independent DER encoder.
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as asn1js from 'asn1js';
import { blockDataHash, blockHeaderHash } from '@metroledger/protocol';

/** Independent DER encoding with asn1js, as Go's asn1.Marshal(asn1Header{Number *big.Int, PreviousHash, DataHash}). */
function referenceHash(number: number, previousHash: Uint8Array, dataHash: Uint8Array): Buffer {
  let hexNum = number.toString(16);
  if (hexNum.length % 2 === 1) hexNum = '0' + hexNum;
  if (parseInt(hexNum.slice(0, 2), 16) & 0x80) hexNum = '00' + hexNum;
  const seq = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ valueHex: Buffer.from(hexNum, 'hex') }),
      new asn1js.OctetString({ valueHex: previousHash }),
      new asn1js.OctetString({ valueHex: dataHash }),
    ],
  });
  return createHash('sha256')
    .update(Buffer.from(seq.toBER(false)))
    .digest();
}

test('header hash is SHA-256 of the DER SEQUENCE{number, previous_hash, data_hash}', () => {
  const enc = new TextEncoder();
  // Hand-encoded: 30 0d | 02 01 01 | 04 03 'foo' | 04 03 'bar'
  const der = Buffer.from('300d020101040366 6f6f0403626172'.replace(/ /g, ''), 'hex');
  assert.deepEqual(
    Buffer.from(blockHeaderHash({ number: 1, previousHash: enc.encode('foo'), dataHash: enc.encode('bar') })),
    createHash('sha256').update(der).digest(),
  );
});

test('header hash matches an independent DER encoder for edge-case numbers and lengths', () => {
  const h32 = createHash('sha256').update('x').digest();
  const long = new Uint8Array(200).fill(7); // long-form DER length
  for (const n of [0, 1, 127, 128, 255, 256, 65535, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    for (const [prev, data] of [
      [new Uint8Array(0), h32],
      [h32, h32],
      [long, h32],
      [long, long],
    ] as const) {
      assert.deepEqual(
        Buffer.from(blockHeaderHash({ number: n, previousHash: prev, dataHash: data })),
        referenceHash(n, prev, data),
        `number ${n}, prev ${prev.length}, data ${data.length}`,
      );
    }
  }
});

test('data hash is SHA-256 over the concatenated envelopes', () => {
  const a = Uint8Array.of(1, 2, 3);
  const b = Uint8Array.of(4, 5);
  assert.deepEqual(
    Buffer.from(blockDataHash([a, b])),
    createHash('sha256')
      .update(Uint8Array.of(1, 2, 3, 4, 5))
      .digest(),
  );
});
