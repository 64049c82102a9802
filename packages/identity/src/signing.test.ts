// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msp } from '@hyperledger/fabric-protos';
import { IdentityError } from './errors.js';
import { newSigningIdentityFromFiles, signLowS, verifySignature } from './signing.js';
import { testOrgs } from './testorgs.test.js';

const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

function derToRS(der: Uint8Array): { r: bigint; s: bigint } {
  const rLen = der[3]!;
  const r = BigInt('0x' + Buffer.from(der.subarray(4, 4 + rLen)).toString('hex'));
  const sLen = der[5 + rLen]!;
  const s = BigInt('0x' + Buffer.from(der.subarray(6 + rLen, 6 + rLen + sLen)).toString('hex'));
  return { r, s };
}

function rsToDer(r: bigint, s: bigint): Buffer {
  const int = (v: bigint): Buffer => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    let b = Buffer.from(hex, 'hex');
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const message = Buffer.from('speed reading #42');

test('signLowS always yields low-S DER signatures that node:crypto accepts', () => {
  for (let i = 0; i < 64; i++) {
    const sig = signLowS(privateKey, message);
    const { s } = derToRS(sig);
    assert.ok(s <= N / 2n, 'S must be in the lower half of the order');
    assert.ok(nodeVerify('sha256', message, publicKey, sig));
    assert.ok(verifySignature(publicKey, message, sig));
  }
});

test('verifySignature rejects the high-S twin of a valid signature, which node:crypto alone accepts', () => {
  const sig = signLowS(privateKey, message);
  const { r, s } = derToRS(sig);
  const highS = rsToDer(r, N - s);
  assert.ok(nodeVerify('sha256', message, publicKey, highS), 'the twin is mathematically valid');
  assert.equal(verifySignature(publicKey, message, highS), false);
});

test('verifySignature rejects a tampered message, a wrong key and a flipped signature bit', () => {
  const sig = signLowS(privateKey, message);
  assert.equal(verifySignature(publicKey, Buffer.from('speed reading #43'), sig), false);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  assert.equal(verifySignature(other, message, sig), false);
  const flipped = Buffer.from(sig);
  flipped[flipped.length - 1]! ^= 1;
  assert.equal(verifySignature(publicKey, message, flipped), false);
});

test('verifySignature returns false on garbage and non-canonical DER without throwing', () => {
  const sig = Buffer.from(signLowS(privateKey, message));
  const { r, s } = derToRS(sig);
  const rHex = r.toString(16).padStart(64, '0');
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    Buffer.from('garbage'),
    Buffer.alloc(72, 0xff),
    sig.subarray(0, sig.length - 1), // truncated
    Buffer.concat([sig, Buffer.from([0])]), // trailing byte
    Buffer.concat([Buffer.from([0x30, sig.length - 2 + 1]), sig.subarray(2), Buffer.from([0])]), // trailing inside
    rsToDer(0n, s),
    rsToDer(r, 0n),
    // r with a needless leading zero (non-minimal INTEGER)
    (() => {
      const rb = Buffer.concat([Buffer.from([0x02, 33, 0x00]), Buffer.from(rHex, 'hex')]);
      const sb = rsToDer(1n, s).subarray(2 + 3);
      const body = Buffer.concat([rb, Buffer.from([0x02, sb.length]), sb]);
      return Buffer.concat([Buffer.from([0x30, body.length]), body]);
    })(),
    nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }), // raw r||s is not DER
  ];
  for (const c of cases) assert.equal(verifySignature(publicKey, message, c), false, Buffer.from(c).toString('hex'));
});

test('a SigningIdentity serializes to msp.SerializedIdentity and its signatures verify against its certificate', async () => {
  const { lasige } = await testOrgs();
  const user = lasige.signingIdentity('User1');
  const si = msp.SerializedIdentity.deserializeBinary(user.serialize());
  assert.equal(si.getMspid(), 'LaSIGEMSP');
  assert.equal(Buffer.from(si.getIdBytes_asU8()).toString('utf8'), user.certPem);
  const sig = user.sign(message);
  assert.ok(verifySignature(new X509Certificate(user.certPem).publicKey, message, sig));
});

test('newSigningIdentityFromFiles loads PEM files and refuses a key that does not match the certificate', async () => {
  const { lasige } = await testOrgs();
  const dir = await mkdtemp(join(tmpdir(), 'ml-identity-'));
  try {
    const user = lasige.node('User1');
    await writeFile(join(dir, 'cert.pem'), user.sign.certPem);
    await writeFile(join(dir, 'priv_sk'), user.sign.keyPem);
    await writeFile(join(dir, 'other_sk'), lasige.node('Admin').sign.keyPem);
    const id = await newSigningIdentityFromFiles('LaSIGEMSP', join(dir, 'cert.pem'), join(dir, 'priv_sk'));
    assert.equal(id.mspId, 'LaSIGEMSP');
    assert.ok(verifySignature(new X509Certificate(user.sign.certPem).publicKey, message, id.sign(message)));
    await assert.rejects(newSigningIdentityFromFiles('LaSIGEMSP', join(dir, 'cert.pem'), join(dir, 'other_sk')), {
      name: 'IdentityError',
      code: 'MALFORMED_KEY',
    });
    await assert.rejects(
      newSigningIdentityFromFiles('LaSIGEMSP', join(dir, 'cert.pem'), join(dir, 'missing')),
      (e: unknown) => e instanceof IdentityError && e.code === 'IO',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
