// SPDX-License-Identifier: Apache-2.0
// The simulator's application: a payload is (seq, requests); each request carries a client MAC,
// so a Byzantine leader cannot invent requests (as Fabric envelopes carry client signatures).
import { createFastSimCrypto } from './crypto';
import type { Application, Decision, ReplicaId, Request } from '../types';

const enc = new TextEncoder();
const dec = new TextDecoder();
const clientKey = createFastSimCrypto(0, 1);

/** The simulated clients' signature over a request id (a keyed hash only clients use). */
export function clientTag(id: string): Uint8Array {
  return clientKey.sign(enc.encode(`client:${id}`));
}

/** Builds a client-authenticated request: data = tag(8) ‖ body. */
export function makeClientRequest(id: string, body: Uint8Array): Request {
  const data = new Uint8Array(8 + body.length);
  data.set(clientTag(id));
  data.set(body, 8);
  return { id, data };
}

export function requestIsAuthentic(r: Request): boolean {
  if (r.data.length < 8) return false;
  const t = clientTag(r.id);
  for (let i = 0; i < 8; i++) if (t[i] !== r.data[i]) return false;
  return true;
}

export function encodeSimPayload(seq: number, requests: readonly Request[]): Uint8Array {
  let len = 8;
  const ids = requests.map((r) => enc.encode(r.id));
  for (let i = 0; i < requests.length; i++) len += 8 + ids[i]!.length + requests[i]!.data.length;
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, seq);
  dv.setUint32(4, requests.length);
  let p = 8;
  for (let i = 0; i < requests.length; i++) {
    dv.setUint32(p, ids[i]!.length);
    out.set(ids[i]!, p + 4);
    p += 4 + ids[i]!.length;
    dv.setUint32(p, requests[i]!.data.length);
    out.set(requests[i]!.data, p + 4);
    p += 4 + requests[i]!.data.length;
  }
  return out;
}

const decoded = new WeakMap<Uint8Array, { seq: number; requests: Request[] } | null>();
export function decodeSimPayload(payload: Uint8Array): { seq: number; requests: Request[] } | null {
  const hit = decoded.get(payload);
  if (hit !== undefined) return hit;
  let result: { seq: number; requests: Request[] } | null = null;
  try {
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const seq = dv.getUint32(0);
    const count = dv.getUint32(4);
    let p = 8;
    const requests: Request[] = [];
    for (let i = 0; i < count; i++) {
      const il = dv.getUint32(p);
      const id = dec.decode(payload.subarray(p + 4, p + 4 + il));
      p += 4 + il;
      const dl = dv.getUint32(p);
      if (p + 4 + dl > payload.length) throw new RangeError('short');
      const data = Uint8Array.prototype.slice.call(payload, p + 4, p + 4 + dl);
      p += 4 + dl;
      requests.push({ id, data });
    }
    if (p === payload.length) result = { seq, requests };
  } catch {
    result = null;
  }
  decoded.set(payload, result);
  return result;
}

/** Application for simulated replicas; decisions are reported to `sink`. */
export function createSimApp(replica: ReplicaId, sink: (replica: ReplicaId, d: Decision) => void): Application {
  return {
    buildProposal: (seq, requests) => encodeSimPayload(seq, requests),
    validateProposal: (seq, payload) => {
      const p = decodeSimPayload(payload);
      return p !== null && p.seq === seq && p.requests.every(requestIsAuthentic);
    },
    requestIds: (payload) => decodeSimPayload(payload)?.requests.map((r) => r.id) ?? [],
    onDecided: (d) => sink(replica, d),
    // Exercises the hook the devnet uses for Fabric block-signature bytes.
    commitSigningBytes: (seq, view, digest, _payload, signer) => {
      const out = new Uint8Array(4 + 16 + digest.length);
      out.set(enc.encode('simb'));
      const dv = new DataView(out.buffer);
      dv.setUint32(4, seq);
      dv.setUint32(8, view);
      dv.setUint32(12, signer);
      dv.setUint32(16, 0x5eed);
      out.set(digest, 20);
      return out;
    },
  };
}
