// SPDX-License-Identifier: Apache-2.0
// A signature verification thread of SignatureVerifierPool: @metroledger/identity's strict verifier
// over the packed checks of one request.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { verifySignature } from '@metroledger/identity';

export interface VerifyRequest {
  readonly id: number;
  /** Public keys (SPKI DER) this worker has not seen, by key id. */
  readonly newKeys: readonly (readonly [number, Uint8Array])[];
  /** Per check: key id (0xffffffff: no usable key), message length, signature length. */
  readonly layout: Uint32Array;
  /** Messages and signatures, back to back in check order. */
  readonly data: Uint8Array;
}

export interface VerifyResponse {
  readonly id: number;
  /** 1 = valid, per check. */
  readonly ok: Uint8Array;
}

const NO_KEY = 0xffffffff;

if (parentPort !== null) {
  const port = parentPort;
  const keys = new Map<number, KeyObject | null>();
  port.on('message', (req: VerifyRequest) => {
    for (const [id, der] of req.newKeys) {
      let key: KeyObject | null;
      try {
        key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
      } catch {
        key = null;
      }
      keys.set(id, key);
    }
    const n = req.layout.length / 3;
    const ok = new Uint8Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const keyId = req.layout[i * 3]!;
      const mLen = req.layout[i * 3 + 1]!;
      const sLen = req.layout[i * 3 + 2]!;
      const key = keyId === NO_KEY ? null : keys.get(keyId);
      const message = req.data.subarray(at, at + mLen);
      const signature = req.data.subarray(at + mLen, at + mLen + sLen);
      at += mLen + sLen;
      ok[i] = key != null && verifySignature(key, message, signature) ? 1 : 0;
    }
    const res: VerifyResponse = { id: req.id, ok };
    port.postMessage(res, [ok.buffer]);
  });
}
