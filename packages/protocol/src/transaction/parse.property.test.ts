// SPDX-License-Identifier: Apache-2.0
// Property tests of the decoders for what clients and endorsers send (transaction envelopes,
// read/write sets, signed proposals): values come back as built, the canonical read/write-set
// encoding is a fixpoint, and damaged bytes give ProtocolError, never another exception.
// Protobuf itself has no canonical encoding, so damaged bytes that still parse are accepted; the
// signatures over them are what pins the exact bytes.
// Fixed seeds: fast-check prints the seed and the shrunk counterexample of a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nearby, onlyThrows } from '@metroledger/proptest';
import { parseSignedProposal } from '../proposal/parse.js';
import { newTestSignedProposal } from '../proposal/testing.js';
import type { CollectionHashedRwSet, KVRead, NsPvtRwSet, NsReadWriteSet } from '../rwset/types.js';
import { buildTransaction, testNetwork } from '../validation/testkit.js';
import { ProtocolError } from './errors.js';
import { parseEnvelope } from './parse.js';
import { compareUtf8, decodeTxPvtReadWriteSet, decodeTxReadWriteSet, encodeTxPvtReadWriteSet, encodeTxReadWriteSet } from './rwset.js';

const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 });
const version = fc.record({ blockNum: fc.nat({ max: 2 ** 40 }), txNum: fc.nat({ max: 50_000 }) });
const read: fc.Arbitrary<KVRead> = fc.record({ key, version }, { requiredKeys: ['key'] });
const uniqueByKey = <T extends { key: string }>(a: fc.Arbitrary<T>) => fc.uniqueArray(a, { selector: (x) => x.key, maxLength: 4 });
const nsRwset: fc.Arbitrary<NsReadWriteSet> = fc.record({
  namespace: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
  reads: uniqueByKey(read),
  rangeQueries: fc.array(
    fc.record({
      startKey: fc.string({ maxLength: 6 }),
      endKey: fc.string({ maxLength: 6 }),
      itrExhausted: fc.boolean(),
      reads: fc.array(read, { maxLength: 3 }),
    }),
    { maxLength: 2 },
  ),
  writes: uniqueByKey(
    fc.oneof(
      fc.record({ key, isDelete: fc.constant(false), value: fc.uint8Array({ maxLength: 16 }) }),
      fc.record({ key, isDelete: fc.constant(true), value: fc.constant(new Uint8Array(0)) }),
    ),
  ),
});
const rwsets = fc.uniqueArray(nsRwset, { selector: (x) => x.namespace, maxLength: 3 });
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const collection: fc.Arbitrary<CollectionHashedRwSet> = fc.record({
  collection: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  reads: fc.array(fc.record({ keyHash: hash32, version }, { requiredKeys: ['keyHash'] }), { maxLength: 3 }),
  writes: fc.array(
    fc.oneof(
      fc.record({ keyHash: hash32, isDelete: fc.constant(false), valueHash: hash32 }),
      fc.record({ keyHash: hash32, isDelete: fc.constant(true), valueHash: fc.constant(new Uint8Array(0)) }),
    ),
    { maxLength: 3 },
  ),
  pvtRwSetHash: fc.oneof(hash32, fc.constant(new Uint8Array(0))),
});
const privateRwsets = fc.uniqueArray(
  fc
    .tuple(nsRwset, fc.uniqueArray(collection, { selector: (c) => c.collection, minLength: 1, maxLength: 3 }))
    .map(([rw, collections]) => ({ ...rw, collections })),
  { selector: (x) => x.namespace, maxLength: 3 },
);
const pvtRwsets: fc.Arbitrary<NsPvtRwSet[]> = fc.uniqueArray(
  fc.record({
    namespace: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
    collections: fc.uniqueArray(
      fc.record({
        collection: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
        writes: uniqueByKey(fc.record({ key, isDelete: fc.constant(false), value: fc.uint8Array({ minLength: 1, maxLength: 16 }) })),
      }),
      { selector: (c) => c.collection, maxLength: 3 },
    ),
  }),
  { selector: (x) => x.namespace, maxLength: 3 },
);

/** What a read/write set looks like once encoded: namespaces, reads and writes in UTF-8 byte order; collections by name. */
function canonical(sets: readonly NsReadWriteSet[]): unknown {
  const byKey = <T extends { key: string }>(xs: readonly T[]) => [...xs].sort((a, b) => compareUtf8(a.key, b.key));
  return plain(
    [...sets]
      .sort((a, b) => compareUtf8(a.namespace, b.namespace))
      .map((s) => ({
        ...s,
        reads: byKey(s.reads),
        writes: byKey(s.writes),
        ...(s.collections !== undefined && { collections: [...s.collections].sort((a, b) => compareUtf8(a.collection, b.collection)) }),
      })),
  );
}
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

test('read/write sets: decoding gives the sets in canonical order, and re-encoding gives the same bytes', () => {
  fc.assert(
    fc.property(rwsets, (sets) => {
      const bytes = encodeTxReadWriteSet(sets);
      const back = decodeTxReadWriteSet(bytes);
      assert.deepEqual(plain(back), canonical(sets));
      assert.deepEqual([...encodeTxReadWriteSet(back)], [...bytes]);
    }),
    { seed: 0x9a05_0001, numRuns: 300 },
  );
});

test('read/write sets: damaged bytes give ProtocolError or sets, never another exception', () => {
  fc.assert(
    fc.property(nearby(rwsets.map(encodeTxReadWriteSet)), (bytes) => onlyThrows(ProtocolError, () => decodeTxReadWriteSet(bytes))),
    { seed: 0x9a05_0002, numRuns: 1500 },
  );
});

test('a string field claiming more bytes than its message holds fails at once, not after billions of steps', () => {
  // This property found it: google-protobuf looped over the claimed length (80 bytes took 14 s).
  // ns_rwset { namespace: <claims `length` bytes> ...tail }
  const varint = (v: number) => {
    const out: number[] = [];
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    return out;
  };
  fc.assert(
    fc.property(fc.integer({ min: 1 << 20, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 16 }), (length, tail) => {
      const inner = [0x0a, ...varint(length), ...tail];
      const bytes = Uint8Array.from([0x12, ...varint(inner.length), ...inner]);
      // Refused by the length check before the decoder reads a byte of the string (protos.ts), rather
      // than after the unguarded loop: its cause says so, whatever the machine's load.
      assert.throws(
        () => decodeTxReadWriteSet(bytes),
        (e: unknown) =>
          e instanceof ProtocolError &&
          e.code === 'BAD_RWSET' &&
          (e.cause as Error | undefined)?.message === `protobuf string field of ${length} bytes runs past the end of its message`,
      );
    }),
    { seed: 0x9a05_0009, numRuns: 20 },
  );
});

test('an envelope parses to the transaction it was built from', async () => {
  const net = await testNetwork();
  const client = net.org1.signingIdentity('User1');
  const endorsers = [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')];
  const args = fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 1, maxLength: 4 });
  const event = fc.record({
    name: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }),
    payload: fc.uint8Array({ maxLength: 16 }),
  });
  fc.assert(
    fc.property(
      rwsets,
      args,
      fc.option(event, { nil: undefined }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
      (sets, a, ev, channelId) => {
        const built = buildTransaction({ client, endorsers, rwsets: sets, args: a, channelId, ...(ev !== undefined && { event: ev }) });
        const tx = parseEnvelope(built.envelope);
        assert.equal(tx.txId, built.txId);
        assert.equal(tx.channelId, channelId);
        assert.equal(tx.chaincodeName, 'lr');
        assert.deepEqual(
          tx.args.map((x) => Buffer.from(x).toString()),
          a,
        );
        assert.deepEqual(plain(tx.rwsets), canonical(sets));
        assert.deepEqual(
          tx.endorsements.map((e) => Buffer.from(e.endorser).toString('hex')),
          endorsers.map((e) => Buffer.from(e.serialize()).toString('hex')),
        );
        assert.deepEqual(
          tx.event === undefined ? undefined : { name: tx.event.eventName, payload: plain(tx.event.payload) },
          ev === undefined ? undefined : { name: ev.name, payload: plain(ev.payload) },
        );
      },
    ),
    { seed: 0x9a05_0003, numRuns: 100 },
  );
});

test('damaged envelopes give ProtocolError or a transaction, never another exception', async () => {
  const net = await testNetwork();
  const client = net.org1.signingIdentity('User1');
  const endorsers = [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')];
  // Building (and signing) is the slow part: damage 30 envelopes, drawn once by seed, in many ways.
  const envelopes = fc
    .sample(rwsets, { seed: 0x9a05_0004, numRuns: 30 })
    .map((sets) => buildTransaction({ client, endorsers, rwsets: sets }).envelope);
  fc.assert(
    fc.property(nearby(fc.constantFrom(...envelopes)), (bytes) => onlyThrows(ProtocolError, () => parseEnvelope(bytes))),
    { seed: 0x9a05_0005, numRuns: 1500 },
  );
});

test('a signed proposal parses to what was proposed; damaged ones give ProtocolError only', async () => {
  const net = await testNetwork();
  const client = net.org1.signingIdentity('User1');
  const proposal = fc.record({
    channelId: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
    chaincodeName: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
    args: fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    transient: fc.dictionary(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }), fc.uint8Array({ maxLength: 8 }), {
      maxKeys: 2,
    }),
  });
  fc.assert(
    fc.property(proposal, (p) => {
      const { bytes, txId } = newTestSignedProposal(client, p);
      const parsed = parseSignedProposal(bytes);
      assert.equal(parsed.txId, txId);
      assert.equal(parsed.channelId, p.channelId);
      assert.equal(parsed.chaincodeName, p.chaincodeName);
      assert.deepEqual(
        parsed.args.map((a) => plain(a)),
        p.args.map((a) => plain(a)),
      );
      assert.deepEqual(Object.fromEntries([...parsed.transient].map(([k, v]) => [k, plain(v)])), plain(p.transient));
    }),
    { seed: 0x9a05_0006, numRuns: 100 },
  );
  const proposals = fc.sample(proposal, { seed: 0x9a05_0007, numRuns: 30 }).map((p) => newTestSignedProposal(client, p).bytes);
  fc.assert(
    fc.property(nearby(fc.constantFrom(...proposals)), (bytes) => onlyThrows(ProtocolError, () => parseSignedProposal(bytes))),
    { seed: 0x9a05_0008, numRuns: 1500 },
  );
});

test('read/write sets with private data collections (hashes only): canonical on decoding, the same bytes on re-encoding', () => {
  fc.assert(
    fc.property(privateRwsets, (sets) => {
      const bytes = encodeTxReadWriteSet(sets);
      const back = decodeTxReadWriteSet(bytes);
      assert.deepEqual(plain(back), canonical(sets));
      assert.deepEqual([...encodeTxReadWriteSet(back)], [...bytes]);
    }),
    { seed: 0x9a05_0101, numRuns: 200 },
  );
  fc.assert(
    fc.property(nearby(privateRwsets.map(encodeTxReadWriteSet)), (bytes) => onlyThrows(ProtocolError, () => decodeTxReadWriteSet(bytes))),
    { seed: 0x9a05_0102, numRuns: 1000 },
  );
});

test('private read/write sets (TxPvtReadWriteSet): round trip, and damaged bytes give only ProtocolError', () => {
  fc.assert(
    fc.property(pvtRwsets, (sets) => {
      const bytes = encodeTxPvtReadWriteSet(sets);
      assert.deepEqual([...encodeTxPvtReadWriteSet(decodeTxPvtReadWriteSet(bytes))], [...bytes]);
    }),
    { seed: 0x9a05_0103, numRuns: 200 },
  );
  fc.assert(
    fc.property(nearby(pvtRwsets.map(encodeTxPvtReadWriteSet)), (bytes) => onlyThrows(ProtocolError, () => decodeTxPvtReadWriteSet(bytes))),
    { seed: 0x9a05_0104, numRuns: 1000 },
  );
});
