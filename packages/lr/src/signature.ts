// SPDX-License-Identifier: Apache-2.0
// Meter signature check: ECDSA P-256 / SHA-256, DER, low-S only (the Fabric convention).
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { LrError } from './errors';

// Order of the P-256 group and its half: a signature (r, s) is accepted only with s <= n/2, so
// each signed reading has exactly one valid signature (no malleability).
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_HALF_N = P256_N >> 1n;

const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 10_000;

function publicKeyFor(pem: string): KeyObject {
  let key = keyCache.get(pem);
  if (key) return key;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new LrError('INVALID_PUBLIC_KEY', `cannot parse meter public key: ${(err as Error).message}`);
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new LrError('INVALID_PUBLIC_KEY', 'meter public key must be ECDSA P-256');
  }
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(pem, key);
  return key;
}

/** Reads one DER INTEGER at `o`; returns its value and the next offset, or undefined if not minimal DER. */
function readDerPositiveInteger(sig: Uint8Array, o: number): { value: bigint; next: number } | undefined {
  if (sig[o] !== 0x02) return undefined;
  const len = sig[o + 1];
  if (len === undefined || len < 1 || len > 33 || o + 2 + len > sig.length) return undefined;
  const first = sig[o + 2]!;
  if (first & 0x80) return undefined; // negative
  if (first === 0 && (len === 1 || (sig[o + 3]! & 0x80) === 0)) return undefined; // zero or non-minimal
  let value = 0n;
  for (let i = 0; i < len; i++) value = (value << 8n) | BigInt(sig[o + 2 + i]!);
  return { value, next: o + 2 + len };
}

/** True iff `signature` is a canonical low-S DER signature, by `publicKeyPem` (P-256), over `reading`. */
export function verifyReadingSignature(reading: Uint8Array, signature: Uint8Array, publicKeyPem: string): boolean {
  const key = publicKeyFor(publicKeyPem);
  if (signature.length < 8 || signature[0] !== 0x30 || signature[1] !== signature.length - 2) return false;
  const r = readDerPositiveInteger(signature, 2);
  if (!r) return false;
  const s = readDerPositiveInteger(signature, r.next);
  if (!s || s.next !== signature.length) return false;
  if (r.value >= P256_N || s.value > P256_HALF_N) return false;
  return verify('sha256', reading, key, signature);
}
