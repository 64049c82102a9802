// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bftSigningBytes,
  decodeDecision,
  decodeMessage,
  decodePersistedState,
  encodeDecision,
  encodeMessage,
  encodePersistedState,
} from './codec';
import { BftError } from './errors';
import type { Decision, Message, SignedMessage, PrepareMsg, ViewChangeMsg } from './types';

const b = (...xs: number[]) => new Uint8Array(xs);
const decision: Decision = {
  seq: 7,
  payload: b(1, 2, 3),
  certificate: {
    seq: 7,
    view: 2,
    digest: b(9, 9),
    signatures: [
      { replica: 0, signature: b(5) },
      { replica: 3, signature: b(6, 6) },
    ],
  },
};
const prepare: SignedMessage<PrepareMsg> = { from: 1, body: { type: 'prepare', view: 2, seq: 8, digest: b(4, 4) }, signature: b(7) };
const vc: SignedMessage<ViewChangeMsg> = {
  from: 2,
  body: { type: 'viewchange', newView: 3, height: 7, decision, prepared: { view: 2, seq: 8, payload: b(8), prepares: [prepare] } },
  signature: b(1),
};
const bodies: Message[] = [
  {
    type: 'requests',
    requests: [
      { id: 'tx-é1', data: b(1) },
      { id: 'tx2', data: b() },
    ],
  },
  { type: 'preprepare', view: 1, seq: 2 ** 40, payload: b(1, 2) },
  prepare.body,
  { type: 'commit', view: 1, seq: 3, digest: b(1), certSignature: b(2, 3) },
  { type: 'complain', view: 5 },
  vc.body,
  { type: 'viewchange', newView: 1, height: 0 },
  { type: 'newview', view: 3, viewChanges: [vc] },
  { type: 'heartbeat', view: 3, height: 99 },
  { type: 'fetch', fromSeq: 4, count: 16 },
  { type: 'decisions', decisions: [decision] },
  { type: 'syncview', view: 0 },
];

test('every message type survives the wire codec unchanged', () => {
  for (const body of bodies) {
    const m: SignedMessage = { from: 3, body, signature: b(0xaa, 0xbb) };
    const back = decodeMessage(encodeMessage(m));
    assert.deepEqual(normalize(back), normalize(m), body.type);
  }
});

test('signing bytes kept from the wire equal the canonical encoding', () => {
  for (const body of bodies) {
    const wire = encodeMessage({ from: 2, body, signature: b(1) });
    const decoded = decodeMessage(wire);
    // A deep copy is a fresh object, so its signing bytes come from the encoder, not from the wire.
    assert.deepEqual([...bftSigningBytes(2, decoded.body)], [...bftSigningBytes(2, deepCopy(decoded.body) as Message)], body.type);
  }
});

test('malformed or oversized bytes throw MALFORMED_MESSAGE', () => {
  const good = encodeMessage({ from: 0, body: bodies[1]!, signature: b(1) });
  for (const bad of [good.subarray(0, good.length - 1), new Uint8Array([0, 0, 0, 0, 99]), new Uint8Array([...good, 0])]) {
    assert.throws(
      () => decodeMessage(bad),
      (e: unknown) => e instanceof BftError && e.code === 'MALFORMED_MESSAGE',
    );
  }
  assert.throws(
    () => decodeMessage(good, 4),
    (e: unknown) => e instanceof BftError && e.code === 'MALFORMED_MESSAGE',
  );
});

test('decisions and persisted state round-trip', () => {
  assert.deepEqual(normalize(decodeDecision(encodeDecision(decision))), normalize(decision));
  const st = {
    view: 3,
    targetView: 4,
    vote: { view: 3, seq: 8, digest: b(1, 2), committed: true },
    prepared: vc.body.prepared!,
    newViewProof: { from: 3, body: { type: 'newview' as const, view: 3, viewChanges: [vc] }, signature: b(2) },
  };
  assert.deepEqual(normalize(decodePersistedState(encodePersistedState(st))), normalize(st));
  assert.deepEqual(decodePersistedState(encodePersistedState({ view: 0, targetView: 0 })), { view: 0, targetView: 0 });
});

// Compare bytes by value whatever their class (Buffer vs Uint8Array).
function normalize(x: unknown): unknown {
  if (x instanceof Uint8Array) return { bytes: [...x] };
  if (Array.isArray(x)) return x.map(normalize);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, normalize(v)]));
  return x;
}
function deepCopy(x: unknown): unknown {
  if (x instanceof Uint8Array) return new Uint8Array(x);
  if (Array.isArray(x)) return x.map(deepCopy);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, deepCopy(v)]));
  return x;
}
