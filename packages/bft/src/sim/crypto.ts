// SPDX-License-Identifier: Apache-2.0
import { createHmac } from 'node:crypto';
import type { Crypto, ReplicaId } from '../types';

/**
 * Fast deterministic MAC-style signatures for the simulator: HMAC-SHA256 with a per-replica key
 * derived from `secret`. Not a real signature scheme (anyone holding the keys can forge); the
 * devnet plugs in ECDSA through the same `Crypto` port.
 */
export function createHmacCrypto(self: ReplicaId, n: number, secret = 'mlbft-sim'): Crypto {
  const keys: Buffer[] = [];
  for (let r = 0; r < n; r++) keys.push(createHmac('sha256', secret).update(`replica-${r}`).digest());
  const mac = (r: ReplicaId, bytes: Uint8Array) => createHmac('sha256', keys[r]!).update(bytes).digest();
  return {
    sign: (bytes) => new Uint8Array(mac(self, bytes)),
    verify: (r, bytes, sig) => {
      if (r < 0 || r >= n || sig.length !== 32) return false;
      const expect = mac(r, bytes);
      for (let i = 0; i < 32; i++) if (expect[i] !== sig[i]) return false;
      return true;
    },
  };
}

/**
 * Even faster simulator "signatures": a keyed 64-bit hash (two FNV/murmur-style lanes). Any change
 * of the signed bytes or of the signature is detected, which is all the simulated adversary tests;
 * it is not cryptographically secure and exists only so that thousands of seeds run in seconds.
 */
export function createFastSimCrypto(self: ReplicaId, n: number): Crypto {
  const mac = (r: ReplicaId, bytes: Uint8Array): Uint8Array => {
    let h1 = (0x811c9dc5 ^ Math.imul(r + 1, 0x9e3779b9)) >>> 0;
    let h2 = (0x5bd1e995 ^ bytes.length ^ Math.imul(r + 7, 0x85ebca6b)) >>> 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = Math.imul(h2 ^ b ^ (h2 >>> 13), 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
    h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
    h1 ^= h1 >>> 16;
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(h1 >>> 0, 0);
    out.writeUInt32BE(h2 >>> 0, 4);
    return out;
  };
  return {
    sign: (bytes) => mac(self, bytes),
    verify: (r, bytes, sig) => {
      if (r < 0 || r >= n || sig.length !== 8) return false;
      const expect = mac(r, bytes);
      for (let i = 0; i < 8; i++) if (expect[i] !== sig[i]) return false;
      return true;
    },
  };
}
