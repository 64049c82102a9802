// SPDX-License-Identifier: Apache-2.0
// A test meter: a P-256 key pair that signs encoded readings the way the sealed meter does.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encodeReading, encodeSignedReading, type RawReading } from '@metroledger/lr';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function derInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return Buffer.concat([Buffer.from([0x02, v.length]), v]);
}

/** ECDSA P-256/SHA-256, DER, low-S (the only form the LR software accepts). */
export function signLowS(key: KeyObject, message: Uint8Array): Uint8Array {
  const p1363 = sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
  const r = p1363.subarray(0, 32);
  let s = BigInt('0x' + p1363.subarray(32).toString('hex'));
  if (s > N >> 1n) s = N - s;
  const sBytes = Buffer.from(s.toString(16).padStart(64, '0'), 'hex');
  const body = Buffer.concat([derInteger(Buffer.from(r)), derInteger(sBytes)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

export class TestMeter {
  readonly publicKeyPem: string;
  readonly #privateKey: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.#privateKey = privateKey;
  }

  /** The base64 argument of submitReading. */
  signedBase64(reading: RawReading): string {
    const bytes = encodeReading(reading);
    return Buffer.from(encodeSignedReading({ reading: bytes, signature: signLowS(this.#privateKey, bytes) })).toString('base64');
  }
}
