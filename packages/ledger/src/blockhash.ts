// SPDX-License-Identifier: Apache-2.0
// Fabric's block hashes (protoutil.BlockHeaderHash / ComputeBlockDataHash).
import { createHash } from 'node:crypto';

/** DER length octets. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** DER INTEGER content of a non-negative safe integer (big-endian, minimal, leading 0 if the top bit is set). */
function derUnsigned(n: number): number[] {
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  if (out.length === 0 || (out[0]! & 0x80) !== 0) out.unshift(0);
  return out;
}

/**
 * SHA-256 over ASN.1 DER SEQUENCE{INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash},
 * exactly what Fabric's `protoutil.BlockHeaderHash` computes.
 */
export function blockHeaderHash(header: { number: number; previousHash: Uint8Array; dataHash: Uint8Array }): Uint8Array {
  if (!Number.isSafeInteger(header.number) || header.number < 0) throw new RangeError(`bad block number ${header.number}`);
  const num = derUnsigned(header.number);
  const intTlv = [0x02, ...derLength(num.length), ...num];
  const prevHdr = [0x04, ...derLength(header.previousHash.length)];
  const dataHdr = [0x04, ...derLength(header.dataHash.length)];
  const contentLen = intTlv.length + prevHdr.length + header.previousHash.length + dataHdr.length + header.dataHash.length;
  return createHash('sha256')
    .update(Uint8Array.from([0x30, ...derLength(contentLen), ...intTlv, ...prevHdr]))
    .update(header.previousHash)
    .update(Uint8Array.from(dataHdr))
    .update(header.dataHash)
    .digest();
}

/** SHA-256 over the concatenation of the block's envelopes (Fabric's BlockData hash). */
export function blockDataHash(envelopes: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const e of envelopes) h.update(e);
  return h.digest();
}
