// SPDX-License-Identifier: Apache-2.0
// The meter's signature over a plate image. The signed reading already carries the image's SHA-256
// (so the chain attests it); the meter also signs this statement, which binds the image to one
// reading (meter id and sequence) on its own, without the raw loop samples:
//   'MLPI' | u8 version=1 | u8 meterId length | meterId ASCII | u64 sequence (big-endian) | 32-byte SHA-256 of the image
// The meter signs it with its registered P-256 key (SHA-256, DER, low-S), as it signs readings.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { signLowS, verifySignature } from '@metroledger/identity';

const MAGIC = Buffer.from('MLPI', 'ascii');
const VERSION = 1;

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** The canonical bytes a meter signs for the plate image of its reading `sequence`. */
export function plateImageStatement(meterId: string, sequence: number, imageSha256: Uint8Array): Uint8Array {
  if (imageSha256.length !== 32) throw new RangeError('an image digest is 32 bytes (SHA-256)');
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError('sequence must be a non-negative safe integer');
  const id = Buffer.from(meterId, 'ascii');
  if (id.length === 0 || id.length > 255) throw new RangeError('meterId must be 1..255 ASCII characters');
  const out = Buffer.alloc(4 + 1 + 1 + id.length + 8 + 32);
  MAGIC.copy(out, 0);
  out[4] = VERSION;
  out[5] = id.length;
  id.copy(out, 6);
  out.writeBigUInt64BE(BigInt(sequence), 6 + id.length);
  out.set(imageSha256, 14 + id.length);
  return out;
}

/** The meter's signature over its plate image (what the signing chip does beside signing the reading). */
export function signPlateImage(meterKey: KeyObject, meterId: string, sequence: number, image: Uint8Array): Uint8Array {
  return signLowS(meterKey, plateImageStatement(meterId, sequence, sha256(image)));
}

/** Whether `signature` is the meter's (public key PEM) over the image `imageSha256` of reading `sequence`. */
export function verifyPlateImageSignature(
  publicKeyPem: string,
  meterId: string,
  sequence: number,
  imageSha256: Uint8Array,
  signature: Uint8Array,
): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    return false;
  }
  return verifySignature(key, plateImageStatement(meterId, sequence, imageSha256), signature);
}
