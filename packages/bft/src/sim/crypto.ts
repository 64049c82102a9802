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
