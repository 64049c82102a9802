// SPDX-License-Identifier: Apache-2.0
// Property tests of the BFT wire codec, which decodes bytes from other (possibly Byzantine)
// replicas and from the WAL: every value round-trips, each value has one encoding and the
// decoder accepts no other, and any other bytes give MALFORMED_MESSAGE, never another exception.
// Fixed seeds: fast-check prints the seed and the shrunk counterexample of a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nearby } from '@metroledger/proptest';
import { decodeDecision, decodeMessage, decodePersistedState, encodeDecision, encodeMessage, encodePersistedState } from './codec';
import { BftError } from './errors';
import type { Decision, Message, PersistedState, PrepareMsg, SignedMessage, ViewChangeMsg } from './types';

const bytes = fc.uint8Array({ maxLength: 24 });
const uint = fc.maxSafeNat();
const u32 = fc.nat({ max: 0xffff_ffff });
// Any well-formed string, a leading byte-order mark included (it must survive, not be stripped).
const id = fc.tuple(fc.boolean(), fc.string({ unit: 'binary', maxLength: 12 })).map(([bom, s]) => (bom ? `\uFEFF${s}` : s));

const decision: fc.Arbitrary<Decision> = fc
  .record({
    seq: uint,
    payload: bytes,
    view: uint,
    digest: bytes,
    signatures: fc.array(fc.record({ replica: u32, signature: bytes }), { maxLength: 3 }),
  })
  .map(({ seq, payload, view, digest, signatures }) => ({ seq, payload, certificate: { seq, view, digest, signatures } }));
const signed = <M extends Message>(body: fc.Arbitrary<M>): fc.Arbitrary<SignedMessage<M>> =>
  fc.record({ from: u32, body, signature: bytes });
const prepare: fc.Arbitrary<PrepareMsg> = fc.record({ type: fc.constant('prepare' as const), view: uint, seq: uint, digest: bytes });
const prepared = fc.record({ view: uint, seq: uint, payload: bytes, prepares: fc.array(signed(prepare), { maxLength: 2 }) });
const viewChange: fc.Arbitrary<ViewChangeMsg> = fc.record(
  { type: fc.constant('viewchange' as const), newView: uint, height: uint, decision, prepared },
  { requiredKeys: ['type', 'newView', 'height'] },
);
const body: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('requests' as const), requests: fc.array(fc.record({ id, data: bytes }), { maxLength: 3 }) }),
  fc.record({ type: fc.constant('preprepare' as const), view: uint, seq: uint, payload: bytes }),
  prepare,
  fc.record({ type: fc.constant('commit' as const), view: uint, seq: uint, digest: bytes, certSignature: bytes }),
  fc.record({ type: fc.constant('complain' as const), view: uint }),
  viewChange,
  fc.record({ type: fc.constant('newview' as const), view: uint, viewChanges: fc.array(signed(viewChange), { maxLength: 2 }) }),
  fc.record({ type: fc.constant('heartbeat' as const), view: uint, height: uint }),
  fc.record({ type: fc.constant('fetch' as const), fromSeq: uint, count: uint }),
  fc.record({ type: fc.constant('decisions' as const), decisions: fc.array(decision, { maxLength: 2 }) }),
  fc.record({ type: fc.constant('syncview' as const), view: uint }),
);
const message = signed(body);
const persisted: fc.Arbitrary<PersistedState> = fc.record(
  {
    view: uint,
    targetView: uint,
    vote: fc.record({ view: uint, seq: uint, digest: bytes, committed: fc.boolean() }),
    prepared,
    newViewProof: signed(
      fc.record({ type: fc.constant('newview' as const), view: uint, viewChanges: fc.array(signed(viewChange), { maxLength: 2 }) }),
    ),
  },
  { requiredKeys: ['view', 'targetView'] },
);

/** The decoder's contract on any bytes: a value whose encoding is exactly these bytes, or MALFORMED_MESSAGE. */
function canonicalOrMalformed<T>(input: Uint8Array, decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array): void {
  let value: T;
  try {
    value = decode(input);
  } catch (e) {
    if (e instanceof BftError && e.code === 'MALFORMED_MESSAGE') return;
    throw e;
  }
  assert.deepEqual([...encode(value)], [...input], 'the decoder accepted bytes that are not the canonical encoding of what it returned');
}

/** Compares decoded and original values, bytes by value whatever their class (Buffer or Uint8Array). */
const same = (a: unknown, b: unknown) => assert.deepEqual(plain(a), plain(b));
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return [...x];
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

const codecs = [
  {
    name: 'message',
    value: message as fc.Arbitrary<unknown>,
    encode: encodeMessage as (v: unknown) => Uint8Array,
    decode: decodeMessage as (b: Uint8Array) => unknown,
    seed: 0x0b0f_0001,
  },
  {
    name: 'decision',
    value: decision as fc.Arbitrary<unknown>,
    encode: encodeDecision as (v: unknown) => Uint8Array,
    decode: decodeDecision as (b: Uint8Array) => unknown,
    seed: 0x0b0f_0002,
  },
  {
    name: 'persisted state',
    value: persisted as fc.Arbitrary<unknown>,
    encode: encodePersistedState as (v: unknown) => Uint8Array,
    decode: decodePersistedState as (b: Uint8Array) => unknown,
    seed: 0x0b0f_0003,
  },
];

for (const c of codecs) {
  test(`${c.name}: every value round-trips and re-encodes to the same bytes`, () => {
    fc.assert(
      fc.property(c.value, (v) => {
        const wire = c.encode(v);
        const back = c.decode(wire);
        same(back, v);
        assert.deepEqual([...c.encode(back)], [...wire]);
      }),
      { seed: c.seed, numRuns: 300 },
    );
  });

  test(`${c.name}: bytes near a valid encoding decode canonically or throw MALFORMED_MESSAGE`, () => {
    fc.assert(
      fc.property(nearby(c.value.map(c.encode)), (m) => canonicalOrMalformed(m, c.decode, c.encode)),
      { seed: c.seed + 16, numRuns: 1000 },
    );
  });

  test(`${c.name}: random bytes throw MALFORMED_MESSAGE or decode canonically`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (m) => canonicalOrMalformed(m, c.decode, c.encode)),
      { seed: c.seed + 32, numRuns: 1000 },
    );
  });
}

test('a message nested beyond what the protocol allows is MALFORMED_MESSAGE, not a stack overflow', () => {
  // new view inside new view inside ...: from u32 | tag 7 | view u64 | count u32 = 1 | inner message
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 200_000 }), fc.constantFrom(7, 6, 2), (depth, innerTag) => {
      const level = Buffer.alloc(17);
      level[4] = 7;
      level.writeUInt32BE(1, 13);
      const inner = Buffer.alloc(5);
      inner[4] = innerTag;
      const bytes = Buffer.concat([...Array.from({ length: depth }, () => level), inner]);
      assert.throws(
        () => decodeMessage(bytes),
        (e: unknown) => e instanceof BftError && e.code === 'MALFORMED_MESSAGE',
      );
    }),
    { seed: 0x0b0f_0004, numRuns: 20 },
  );
});

test('a string the wire cannot carry (a lone surrogate) is refused when encoding', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 4 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 4 }), (a, unit, b) => {
      const requests = [{ id: `${a}${String.fromCharCode(unit)}${b}`, data: new Uint8Array(1) }];
      assert.throws(
        () => encodeMessage({ from: 0, body: { type: 'requests', requests }, signature: new Uint8Array(0) }),
        (e: unknown) => e instanceof BftError && e.code === 'MALFORMED_MESSAGE',
      );
    }),
    { seed: 0x0b0f_0005, numRuns: 200 },
  );
});
