// SPDX-License-Identifier: Apache-2.0
// Property tests of the ledger's protobuf wire reader and block parsing, which read blocks from
// disk and from the ordering service: fields and writes come back exactly as written, and damaged
// bytes give the typed error (WireError inside, LedgerError outside), never another exception.
// Protobuf has no canonical encoding (field order, repeated singular fields), so no canonicity
// property here; the block's hashes and signatures pin the exact bytes elsewhere.
// Fixed seeds: fast-check prints the seed and the shrunk counterexample of a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nearby } from '@metroledger/proptest';
import { blockContents, decodeBlock } from './blockparse';
import { LedgerError } from './errors';
import { bytesField, firstBytesField, WireError, WireReader } from './protowire';
import { newTestBlock, newTestEnvelope, testTxId, type TestWrite } from './testing/blocks';

// ---- the wire reader ---------------------------------------------------------------------------

type Field =
  { no: number; wire: 0; value: number } | { no: number; wire: 1 | 5; value: Uint8Array } | { no: number; wire: 2; value: Uint8Array };
const field: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ no: fc.integer({ min: 1, max: 2 ** 29 - 1 }), wire: fc.constant(0 as const), value: fc.maxSafeNat() }),
  fc.record({
    no: fc.integer({ min: 1, max: 2 ** 29 - 1 }),
    wire: fc.constant(1 as const),
    value: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  }),
  fc.record({
    no: fc.integer({ min: 1, max: 2 ** 29 - 1 }),
    wire: fc.constant(5 as const),
    value: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  }),
  fc.record({ no: fc.integer({ min: 1, max: 40 }), wire: fc.constant(2 as const), value: fc.uint8Array({ maxLength: 40 }) }),
);

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
function encodeFields(fields: readonly Field[]): Uint8Array {
  const out: number[] = [];
  for (const f of fields) {
    out.push(...varint(f.no * 8 + f.wire));
    if (f.wire === 0) out.push(...varint(f.value));
    else if (f.wire === 2) out.push(...varint(f.value.length), ...f.value);
    else out.push(...f.value);
  }
  return Uint8Array.from(out);
}

test('the wire reader returns every field as written; bytesField takes the last occurrence, firstBytesField the first', () => {
  const show = (f: Field) => `${f.no}/${f.wire}/${f.wire === 0 ? f.value : Buffer.from(f.value).toString('hex')}`;
  const hexOf = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));
  fc.assert(
    fc.property(fc.array(field, { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (fields, probe) => {
      const bytes = encodeFields(fields);
      const r = new WireReader(bytes);
      const read: string[] = [];
      while (r.next()) {
        if (r.wire === 0) read.push(show({ no: r.field, wire: 0, value: r.uint() }));
        else if (r.wire === 2) read.push(show({ no: r.field, wire: 2, value: r.bytes() }));
        else {
          r.skip();
          read.push(show(fields[read.length]!));
        }
      }
      assert.deepEqual(read, fields.map(show));
      // As in google-protobuf, a probed field of another wire type is an error, not skipped.
      const probed = fields.filter((f) => f.no === probe);
      const delimited = probed.flatMap((f) => (f.wire === 2 ? [hexOf(f.value)] : []));
      const wrongType = (e: unknown) => e instanceof WireError;
      if (probed.every((f) => f.wire === 2)) assert.equal(hexOf(bytesField(bytes, probe)), delimited.at(-1));
      else assert.throws(() => bytesField(bytes, probe), wrongType);
      if (probed[0] === undefined || probed[0].wire === 2) assert.equal(hexOf(firstBytesField(bytes, probe)), delimited[0]);
      else assert.throws(() => firstBytesField(bytes, probe), wrongType);
    }),
    { seed: 0x1ed9_0001, numRuns: 500 },
  );
});

test('the wire reader throws only WireError on damaged or random bytes, and always stops', () => {
  const walk = (bytes: Uint8Array): void => {
    try {
      const r = new WireReader(bytes);
      while (r.next()) {
        if (r.wire === 2) walk(r.bytes());
        else r.skip();
      }
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
    }
  };
  fc.assert(fc.property(fc.oneof(nearby(fc.array(field, { maxLength: 8 }).map(encodeFields)), fc.uint8Array({ maxLength: 64 })), walk), {
    seed: 0x1ed9_0002,
    numRuns: 2000,
  });
});

// ---- blocks ------------------------------------------------------------------------------------

const write: fc.Arbitrary<TestWrite> = fc.record({
  ns: fc.constantFrom('lr', 'governance', 'ção'),
  key: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  value: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  isDelete: fc.boolean(),
});
const tx = fc.record({ writes: fc.array(write, { maxLength: 4 }), code: fc.constantFrom(0, 0, 0, 11, 10, 254) });
const block = fc
  .record({
    number: fc.nat({ max: 2 ** 40 }),
    previousHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    txs: fc.array(tx, { maxLength: 5 }),
  })
  .map(({ number, previousHash, txs }) => {
    const envelopes = txs.map((t, i) => newTestEnvelope(testTxId(`${number}/${i}`), t.writes));
    return {
      number,
      previousHash,
      txs,
      envelopes,
      bytes: newTestBlock(
        number,
        previousHash,
        envelopes,
        txs.map((t) => t.code),
      ).serializeBinary(),
    };
  });

test('a block decodes to its header, envelopes and filter, and yields exactly the writes of its valid transactions', () => {
  fc.assert(
    fc.property(block, (b) => {
      const d = decodeBlock(b.bytes);
      assert.equal(d.number, b.number);
      assert.deepEqual([...d.previousHash], [...b.previousHash]);
      assert.deepEqual(
        d.envelopes.map((e) => [...e]),
        b.envelopes.map((e) => [...e]),
      );
      const { txIndex, updates } = blockContents(d);
      assert.deepEqual(
        txIndex,
        b.txs.map((t, i) => ({ txId: testTxId(`${b.number}/${i}`), code: t.code })),
      );
      // newTestEnvelope groups writes by namespace, in order of first appearance
      const expected = b.txs.flatMap((t, txNum) => {
        if (t.code !== 0) return [];
        const namespaces = [...new Set(t.writes.map((w) => w.ns))];
        return namespaces.flatMap((ns) =>
          t.writes
            .filter((w) => w.ns === ns)
            .map((w) =>
              w.isDelete
                ? { ns, key: w.key, isDelete: true, version: { blockNum: b.number, txNum } }
                : { ns, key: w.key, isDelete: false, value: [...w.value!], version: { blockNum: b.number, txNum } },
            ),
        );
      });
      assert.deepEqual(
        updates.map((u) => (u.value === undefined ? u : { ...u, value: [...u.value] })),
        expected,
      );
    }),
    { seed: 0x1ed9_0003, numRuns: 150 },
  );
});

test('damaged block bytes give LedgerError or a block, never another exception', () => {
  // Building blocks is the slow part: damage 30 of them (drawn once, by seed) in many ways.
  const blocks = fc.sample(block, { seed: 0x1ed9_0005, numRuns: 30 }).map((b) => b.bytes);
  fc.assert(
    fc.property(nearby(fc.constantFrom(...blocks)), fc.boolean(), (bytes, withUpdates) => {
      try {
        blockContents(decodeBlock(bytes), withUpdates);
      } catch (e) {
        if (!(e instanceof LedgerError)) throw e;
      }
    }),
    { seed: 0x1ed9_0004, numRuns: 1500 },
  );
});
