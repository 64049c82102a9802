// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { signLowS, verifySignature } from '@metroledger/identity';
import { PeerError } from '../endorser/errors.js';
import { SignatureVerifierPool } from './pool.js';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The same signature with s replaced by n − s (valid for plain ECDSA, refused by Fabric's low-S rule). */
function highS(der: Uint8Array): Uint8Array {
  const rLen = der[3]!;
  const r = Buffer.from(der.subarray(4, 4 + rLen));
  const s = BigInt('0x' + Buffer.from(der.subarray(6 + rLen)).toString('hex'));
  let hs = (P256_N - s).toString(16);
  if (hs.length % 2) hs = '0' + hs;
  let sb = Buffer.from(hs, 'hex');
  if (sb[0]! & 0x80) sb = Buffer.concat([Buffer.of(0), sb]);
  const body = Buffer.concat([Buffer.of(2, r.length), r, Buffer.of(2, sb.length), sb]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

test('the pool answers exactly as verifySignature, batch after batch, for views into larger buffers too', async () => {
  const pool = new SignatureVerifierPool({ threads: 2, maxBatch: 7 });
  try {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ed = generateKeyPairSync('ed25519');
    const cases: { key: ReturnType<typeof createPublicKey>; message: Uint8Array; signature: Uint8Array }[] = [];
    for (let i = 0; i < 40; i++) {
      const big = randomBytes(20_000);
      const message = big.subarray(1000 + i, 1000 + i + 9000); // a view, as gRPC hands out
      const good = signLowS(ec.privateKey, message);
      cases.push({ key: ec.publicKey, message, signature: good });
      cases.push({ key: other.publicKey, message, signature: good });
      cases.push({ key: ec.publicKey, message: Buffer.concat([message, Buffer.of(1)]), signature: good });
      cases.push({ key: ec.publicKey, message, signature: highS(good) });
      cases.push({ key: ec.publicKey, message, signature: Buffer.concat([good, Buffer.of(0)]) });
      cases.push({ key: ed.publicKey, message, signature: sign(null, message, ed.privateKey) });
    }
    cases.push({ key: ec.publicKey, message: new Uint8Array(0), signature: new Uint8Array(0) });
    const expected = cases.map((c) => verifySignature(c.key, c.message, c.signature));
    assert.ok(expected.some((v) => v) && expected.some((v) => !v), 'the cases mix valid and invalid signatures');
    assert.deepEqual(await Promise.all(cases.map((c) => pool.verify(c.key, c.message, c.signature))), expected);
    // the committer's batch form
    assert.deepEqual(await pool.verifier(cases.map((c) => ({ publicKey: c.key, message: c.message, signature: c.signature }))), expected);
  } finally {
    await pool.close();
  }
});

test('a closed pool refuses with CLOSED', async () => {
  const pool = new SignatureVerifierPool({ threads: 1 });
  await pool.close();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await assert.rejects(
    pool.verify(ec.publicKey, Uint8Array.of(1), Uint8Array.of(2)),
    (e: unknown) => e instanceof PeerError && (e.code as string) === 'CLOSED',
  );
});
