// SPDX-License-Identifier: Apache-2.0
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { msp } from '@hyperledger/fabric-protos';
import { IdentityError } from './errors.js';

interface CurveInfo {
  readonly order: bigint;
  readonly halfOrder: Uint8Array;
  readonly scalarBytes: number;
}

function curveInfo(orderHex: string): CurveInfo {
  const order = BigInt('0x' + orderHex);
  const scalarBytes = orderHex.length / 2;
  return { order, halfOrder: Buffer.from((order >> 1n).toString(16).padStart(orderHex.length, '0'), 'hex'), scalarBytes };
}

// Curve orders; Fabric's BCCSP accepts P-256 and P-384 ECDSA keys and requires low-S for both.
const CURVES: Record<string, CurveInfo> = {
  prime256v1: curveInfo('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  secp384r1: curveInfo('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
};

// asymmetricKeyDetails is recomputed on every access; keys are long-lived, so remember the answer.
const keyCurve = new WeakMap<KeyObject, CurveInfo | 'ed25519' | null>();

function curveOf(key: KeyObject): CurveInfo | 'ed25519' | null {
  let c = keyCurve.get(key);
  if (c === undefined) {
    if (key.asymmetricKeyType === 'ed25519') c = 'ed25519';
    else if (key.asymmetricKeyType === 'ec') c = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? null;
    else c = null;
    keyCurve.set(key, c);
  }
  return c;
}

function derInteger(v: Uint8Array): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  const pad = (body[0]! & 0x80) !== 0 ? 1 : 0;
  const out = Buffer.allocUnsafe(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  if (pad) out[2] = 0;
  out.set(body, 2 + pad);
  return out;
}

function encodeDerSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const ri = derInteger(r);
  const si = derInteger(s);
  const len = ri.length + si.length;
  // P-256 and P-384 signatures always fit the short length form (< 128 bytes)
  return Buffer.concat([Buffer.from([0x30, len]), ri, si], 2 + len);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Signs `message` (SHA-256, ECDSA) and returns a DER signature with S in the lower half of the
 * curve order, as Fabric requires (node:crypto does not normalise S). Ed25519 keys sign the raw message.
 */
export function signLowS(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  const curve = curveOf(privateKey);
  if (curve === 'ed25519') return sign(null, message, privateKey);
  if (curve === null) throw new IdentityError('MALFORMED_KEY', 'signing key is neither ECDSA P-256/P-384 nor Ed25519');
  const p1363 = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const n = curve.scalarBytes;
  const r = p1363.subarray(0, n);
  let s: Uint8Array = p1363.subarray(n);
  if (compareBytes(s, curve.halfOrder) > 0) {
    const flipped = curve.order - BigInt('0x' + Buffer.from(s).toString('hex'));
    s = Buffer.from(flipped.toString(16).padStart(2 * n, '0'), 'hex');
  }
  return encodeDerSignature(r, s);
}

/** Reads one strict-DER positive, non-zero INTEGER at `at`; returns its content bounds, or null on any violation. */
function readDerInteger(sig: Uint8Array, at: number): { start: number; end: number } | null {
  if (sig[at] !== 0x02) return null;
  const len = sig[at + 1];
  if (len === undefined || len === 0 || len >= 0x80) return null;
  const start = at + 2;
  const end = start + len;
  if (end > sig.length) return null;
  const first = sig[start]!;
  if (first & 0x80) return null; // negative
  // a lone zero (r or s = 0) or a needless leading zero (non-minimal encoding)
  if (first === 0 && (len === 1 || (sig[start + 1]! & 0x80) === 0)) return null;
  return { start, end };
}

/**
 * Verifies a DER ECDSA signature over SHA-256(message) (or an Ed25519 signature over message).
 * Returns false, never throws, for high-S, malformed DER, trailing bytes, or an unsupported key.
 */
export function verifySignature(publicKey: KeyObject, message: Uint8Array, derSig: Uint8Array): boolean {
  try {
    const curve = curveOf(publicKey);
    if (curve === 'ed25519') return verify(null, message, publicKey, derSig);
    if (curve === null) return false;
    if (derSig.length < 8 || derSig[0] !== 0x30 || derSig[1] !== derSig.length - 2) return false;
    const r = readDerInteger(derSig, 2);
    if (r === null) return false;
    const s = readDerInteger(derSig, r.end);
    if (s === null || s.end !== derSig.length) return false;
    let sStart = s.start;
    if (derSig[sStart] === 0) sStart++;
    if (compareBytes(derSig.subarray(sStart, s.end), curve.halfOrder) > 0) return false;
    return verify('sha256', message, publicKey, derSig);
  } catch {
    return false;
  }
}

/** msp.SerializedIdentity bytes, as Fabric puts in SignatureHeader.creator and Endorsement.endorser. */
export function serializeIdentity(mspId: string, certPem: string): Uint8Array {
  const si = new msp.SerializedIdentity();
  si.setMspid(mspId);
  si.setIdBytes(Buffer.from(certPem, 'utf8'));
  return si.serializeBinary();
}

/** An identity that can sign: its MSP, its PEM certificate and the matching private key. */
export class SigningIdentity {
  readonly mspId: string;
  readonly certPem: string;
  readonly privateKey: KeyObject;
  #serialized: Uint8Array | undefined;

  constructor(mspId: string, certPem: string, privateKey: KeyObject) {
    this.mspId = mspId;
    this.certPem = certPem;
    this.privateKey = privateKey;
  }

  /** msp.SerializedIdentity bytes (computed once; do not mutate the returned array). */
  serialize(): Uint8Array {
    return (this.#serialized ??= serializeIdentity(this.mspId, this.certPem));
  }

  /** SHA-256 + ECDSA, DER, low-S. */
  sign(message: Uint8Array): Uint8Array {
    return signLowS(this.privateKey, message);
  }
}

/** Parses a PEM private key (PKCS#8 or SEC1), throwing IdentityError('MALFORMED_KEY'). */
export function parsePrivateKey(pem: string | Uint8Array): KeyObject {
  try {
    return createPrivateKey(typeof pem === 'string' ? pem : Buffer.from(pem));
  } catch (err) {
    throw new IdentityError('MALFORMED_KEY', 'private key is not a parseable PEM key', undefined, { cause: err });
  }
}

/** Builds a SigningIdentity from a PEM certificate file and a PEM private key file (e.g. signcerts/ and keystore/priv_sk). */
export async function newSigningIdentityFromFiles(mspId: string, certPath: string, keyPath: string): Promise<SigningIdentity> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch (err) {
    throw new IdentityError('IO', `cannot read identity files ${certPath}, ${keyPath}`, { certPath, keyPath }, { cause: err });
  }
  const privateKey = parsePrivateKey(keyPem);
  let certKey: KeyObject;
  try {
    certKey = new X509Certificate(certPem).publicKey;
  } catch (err) {
    throw new IdentityError('MALFORMED_KEY', `${certPath} is not a PEM certificate`, { certPath }, { cause: err });
  }
  if (!createPublicKey(privateKey).equals(certKey)) {
    throw new IdentityError('MALFORMED_KEY', `${keyPath} is not the private key of ${certPath}`, { certPath, keyPath });
  }
  return new SigningIdentity(mspId, certPem, privateKey);
}
