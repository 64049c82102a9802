// SPDX-License-Identifier: Apache-2.0
// Canonical binary encoding of BFT messages: the same bytes are signed and sent on the wire,
// so a signature never depends on object key order or on a JSON implementation.
import { createHash } from 'node:crypto';
import { BftError } from './errors';
import type {
  Certificate,
  Decision,
  Message,
  PersistedState,
  PreparedCertificate,
  PrepareMsg,
  SignedMessage,
  ViewChangeMsg,
  NewViewMsg,
  Request,
} from './types';

const TAGS = [
  'requests',
  'preprepare',
  'prepare',
  'commit',
  'complain',
  'viewchange',
  'newview',
  'heartbeat',
  'fetch',
  'decisions',
  'syncview',
] as const;
const TAG_OF = new Map<string, number>(TAGS.map((t, i) => [t, i + 1]));

/** Upper bound on list lengths inside one message (requests, signatures, decisions). */
const LIST_MAX = 1 << 16;
const textEncoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the string (the default strips it, so two encodings would decode alike).
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A lone surrogate: TextEncoder would write U+FFFD for it, so two strings would share one encoding. */
const LONE_SURROGATE = /\p{Surrogate}/u;

class Writer {
  private buf = new Uint8Array(4096);
  private len = 0;
  reset(): this {
    this.len = 0;
    return this;
  }
  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf[this.len++] = v >>> 24;
    this.buf[this.len++] = v >>> 16;
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v;
  }
  /** Non-negative safe integer as two u32 words. */
  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new BftError('MALFORMED_MESSAGE', `not a uint53: ${v}`);
    this.u32(Math.floor(v / 0x100000000));
    this.u32(v >>> 0);
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  str(s: string): void {
    if (LONE_SURROGATE.test(s)) throw new BftError('MALFORMED_MESSAGE', 'string is not well-formed UTF-16 (lone surrogate)');
    this.bytes(textEncoder.encode(s));
  }
  // Buffer.allocUnsafe draws small buffers from a shared slab: far cheaper than a fresh ArrayBuffer.
  finish(): Uint8Array {
    const out = Buffer.allocUnsafe(this.len);
    out.set(this.buf.subarray(0, this.len));
    return out;
  }
}

// One scratch writer: encoding is synchronous and never re-entrant, and reusing it avoids
// allocating (and collecting) a buffer per message on the hot path.
const scratch = new Writer();

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new BftError('MALFORMED_MESSAGE', 'truncated message');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }
  uint(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (hi > 0x1fffff) throw new BftError('MALFORMED_MESSAGE', 'integer beyond 2^53');
    return hi * 0x100000000 + lo;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const out = Buffer.allocUnsafe(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  str(): string {
    try {
      return textDecoder.decode(this.bytes());
    } catch (e) {
      if (e instanceof BftError) throw e;
      throw new BftError('MALFORMED_MESSAGE', 'invalid UTF-8');
    }
  }
  count(): number {
    const n = this.u32();
    if (n > LIST_MAX) throw new BftError('MALFORMED_MESSAGE', 'list too long');
    return n;
  }
  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new BftError('MALFORMED_MESSAGE', 'bad boolean');
    return v === 1;
  }
  done(): void {
    if (this.pos !== this.buf.length) throw new BftError('MALFORMED_MESSAGE', 'trailing bytes');
  }
}

// ---- structures -----------------------------------------------------------------------------

function writeCertificate(w: Writer, c: Certificate): void {
  w.uint(c.seq);
  w.uint(c.view);
  w.bytes(c.digest);
  w.u32(c.signatures.length);
  for (const s of c.signatures) {
    w.u32(s.replica);
    w.bytes(s.signature);
  }
}
function readCertificate(r: Reader): Certificate {
  const seq = r.uint();
  const view = r.uint();
  const digest = r.bytes();
  const n = r.count();
  const signatures = [];
  for (let i = 0; i < n; i++) signatures.push({ replica: r.u32(), signature: r.bytes() });
  return { seq, view, digest, signatures };
}
function writeDecision(w: Writer, d: Decision): void {
  w.uint(d.seq);
  w.bytes(d.payload);
  writeCertificate(w, d.certificate);
}
function readDecision(r: Reader): Decision {
  const seq = r.uint();
  const payload = r.bytes();
  return { seq, payload, certificate: readCertificate(r) };
}

function writePrepared(w: Writer, p: PreparedCertificate): void {
  w.uint(p.view);
  w.uint(p.seq);
  w.bytes(p.payload);
  w.u32(p.prepares.length);
  for (const m of p.prepares) writeSigned(w, m);
}
function readPrepared(r: Reader): PreparedCertificate {
  const view = r.uint();
  const seq = r.uint();
  const payload = r.bytes();
  const n = r.count();
  const prepares: SignedMessage<PrepareMsg>[] = [];
  for (let i = 0; i < n; i++) prepares.push(readSigned(r, 'prepare') as SignedMessage<PrepareMsg>);
  return { view, seq, payload, prepares };
}

function writeBody(w: Writer, m: Message): void {
  w.u8(TAG_OF.get(m.type)!);
  switch (m.type) {
    case 'requests':
      w.u32(m.requests.length);
      for (const q of m.requests) {
        w.str(q.id);
        w.bytes(q.data);
      }
      return;
    case 'preprepare':
      w.uint(m.view);
      w.uint(m.seq);
      w.bytes(m.payload);
      return;
    case 'prepare':
      w.uint(m.view);
      w.uint(m.seq);
      w.bytes(m.digest);
      return;
    case 'commit':
      w.uint(m.view);
      w.uint(m.seq);
      w.bytes(m.digest);
      w.bytes(m.certSignature);
      return;
    case 'complain':
      w.uint(m.view);
      return;
    case 'viewchange':
      w.uint(m.newView);
      w.uint(m.height);
      w.u8(m.decision ? 1 : 0);
      if (m.decision) writeDecision(w, m.decision);
      w.u8(m.prepared ? 1 : 0);
      if (m.prepared) writePrepared(w, m.prepared);
      return;
    case 'newview':
      w.uint(m.view);
      w.u32(m.viewChanges.length);
      for (const v of m.viewChanges) writeSigned(w, v);
      return;
    case 'heartbeat':
      w.uint(m.view);
      w.uint(m.height);
      return;
    case 'fetch':
      w.uint(m.fromSeq);
      w.uint(m.count);
      return;
    case 'decisions':
      w.u32(m.decisions.length);
      for (const d of m.decisions) writeDecision(w, d);
      return;
    case 'syncview':
      w.uint(m.view);
      return;
  }
}

/**
 * `expect`: the only type allowed here. It is checked before anything nested is read, so messages
 * nest only as the protocol does (new view > view change > prepare), never deeper.
 */
function readBody(r: Reader, expect?: Message['type']): Message {
  const tag = TAGS[r.u8() - 1];
  if (expect !== undefined && tag !== expect)
    throw new BftError('MALFORMED_MESSAGE', `expected a ${expect} message, found ${tag ?? 'an unknown tag'}`);
  switch (tag) {
    case 'requests': {
      const n = r.count();
      const requests: Request[] = [];
      for (let i = 0; i < n; i++) requests.push({ id: r.str(), data: r.bytes() });
      return { type: tag, requests };
    }
    case 'preprepare':
      return { type: tag, view: r.uint(), seq: r.uint(), payload: r.bytes() };
    case 'prepare':
      return { type: tag, view: r.uint(), seq: r.uint(), digest: r.bytes() };
    case 'commit':
      return { type: tag, view: r.uint(), seq: r.uint(), digest: r.bytes(), certSignature: r.bytes() };
    case 'complain':
      return { type: tag, view: r.uint() };
    case 'viewchange': {
      const newView = r.uint();
      const height = r.uint();
      const decision = r.bool() ? readDecision(r) : undefined;
      const prepared = r.bool() ? readPrepared(r) : undefined;
      return { type: tag, newView, height, ...(decision && { decision }), ...(prepared && { prepared }) };
    }
    case 'newview': {
      const view = r.uint();
      const n = r.count();
      const viewChanges: SignedMessage<ViewChangeMsg>[] = [];
      for (let i = 0; i < n; i++) viewChanges.push(readSigned(r, 'viewchange') as SignedMessage<ViewChangeMsg>);
      return { type: tag, view, viewChanges };
    }
    case 'heartbeat':
      return { type: tag, view: r.uint(), height: r.uint() };
    case 'fetch':
      return { type: tag, fromSeq: r.uint(), count: r.uint() };
    case 'decisions': {
      const n = r.count();
      const decisions: Decision[] = [];
      for (let i = 0; i < n; i++) decisions.push(readDecision(r));
      return { type: tag, decisions };
    }
    case 'syncview':
      return { type: tag, view: r.uint() };
    default:
      throw new BftError('MALFORMED_MESSAGE', 'unknown message tag');
  }
}

function writeSigned(w: Writer, m: SignedMessage): void {
  w.u32(m.from);
  writeBody(w, m.body);
  w.bytes(m.signature);
}
function readSigned(r: Reader, expect?: Message['type']): SignedMessage {
  const start = r.pos;
  const from = r.u32();
  const body = readBody(r, expect);
  // The signed bytes are the domain prefix plus exactly these wire bytes: keep them, so that
  // verifying a received message never re-encodes it.
  const signed = Buffer.allocUnsafe(MESSAGE_PREFIX.length + r.pos - start);
  signed.set(MESSAGE_PREFIX);
  signed.set(r.buf.subarray(start, r.pos), MESSAGE_PREFIX.length);
  signingCache.set(body, new Map([[from, signed]]));
  return { from, body, signature: r.bytes() };
}

// ---- public helpers -------------------------------------------------------------------------

const DOMAIN_MESSAGE = textEncoder.encode('mlbft/msg/1');
const DOMAIN_PROPOSAL = textEncoder.encode('mlbft/proposal/1');
const DOMAIN_COMMIT = textEncoder.encode('mlbft/commit/1');
const MESSAGE_PREFIX = (() => {
  const w = new Writer();
  w.bytes(DOMAIN_MESSAGE);
  return w.finish();
})();

// Broadcast bodies are shared objects: encode each once (the simulator and an in-process devnet
// verify the same object at several replicas).
const signingCache = new WeakMap<Message, Map<number, Uint8Array>>();

/** The bytes a replica signs for a message body (domain-separated, includes the sender). */
export function bftSigningBytes(from: number, body: Message): Uint8Array {
  let perSender = signingCache.get(body);
  const hit = perSender?.get(from);
  if (hit) return hit;
  const w = scratch.reset();
  w.bytes(DOMAIN_MESSAGE);
  w.u32(from);
  writeBody(w, body);
  const bytes = w.finish();
  if (!perSender) {
    perSender = new Map();
    signingCache.set(body, perSender);
  }
  perSender.set(from, bytes);
  return bytes;
}

const digestCache = new WeakMap<Uint8Array, Map<number, Uint8Array>>();
/** Digest of a proposal: sha256("mlbft/proposal/1" ‖ seq ‖ payload). View-independent, so a re-proposal keeps it. */
export function bftProposalDigest(seq: number, payload: Uint8Array): Uint8Array {
  let perSeq = digestCache.get(payload);
  const hit = perSeq?.get(seq);
  if (hit) return hit;
  const seqBytes = new Uint8Array(8);
  new DataView(seqBytes.buffer).setUint32(0, Math.floor(seq / 0x100000000));
  new DataView(seqBytes.buffer).setUint32(4, seq >>> 0);
  const d = new Uint8Array(createHash('sha256').update(DOMAIN_PROPOSAL).update(seqBytes).update(payload).digest());
  if (!perSeq) {
    perSeq = new Map();
    digestCache.set(payload, perSeq);
  }
  perSeq.set(seq, d);
  return d;
}

/** Default bytes of a commit-certificate signature: ("mlbft/commit/1" ‖ seq ‖ view ‖ digest). */
export function bftCommitSigningBytes(seq: number, view: number, digest: Uint8Array): Uint8Array {
  const w = scratch.reset();
  w.bytes(DOMAIN_COMMIT);
  w.uint(seq);
  w.uint(view);
  w.bytes(digest);
  return w.finish();
}

/** Wire encoding of a signed message. */
export function encodeMessage(m: SignedMessage): Uint8Array {
  const w = scratch.reset();
  writeSigned(w, m);
  return w.finish();
}

/**
 * Decodes wire bytes. @throws BftError('MALFORMED_MESSAGE') on malformed input or when longer than `maxBytes`.
 */
export function decodeMessage(bytes: Uint8Array, maxBytes = 64 * 1024 * 1024): SignedMessage {
  if (bytes.length > maxBytes) throw new BftError('MALFORMED_MESSAGE', `message of ${bytes.length} bytes exceeds ${maxBytes}`);
  const r = new Reader(bytes);
  const m = readSigned(r);
  r.done();
  return m;
}

export function encodeDecision(d: Decision): Uint8Array {
  const w = scratch.reset();
  writeDecision(w, d);
  return w.finish();
}
/** @throws BftError('MALFORMED_MESSAGE') */
export function decodeDecision(bytes: Uint8Array): Decision {
  const r = new Reader(bytes);
  const d = readDecision(r);
  r.done();
  return d;
}

export function encodePersistedState(s: PersistedState): Uint8Array {
  const w = scratch.reset();
  w.uint(s.view);
  w.uint(s.targetView);
  w.u8(s.vote ? 1 : 0);
  if (s.vote) {
    w.uint(s.vote.view);
    w.uint(s.vote.seq);
    w.bytes(s.vote.digest);
    w.u8(s.vote.committed ? 1 : 0);
  }
  w.u8(s.prepared ? 1 : 0);
  if (s.prepared) writePrepared(w, s.prepared);
  w.u8(s.newViewProof ? 1 : 0);
  if (s.newViewProof) writeSigned(w, s.newViewProof);
  return w.finish();
}
/** @throws BftError('MALFORMED_MESSAGE') */
export function decodePersistedState(bytes: Uint8Array): PersistedState {
  const r = new Reader(bytes);
  const view = r.uint();
  const targetView = r.uint();
  const vote = r.bool() ? { view: r.uint(), seq: r.uint(), digest: r.bytes(), committed: r.bool() } : undefined;
  const prepared = r.bool() ? readPrepared(r) : undefined;
  let newViewProof: SignedMessage<NewViewMsg> | undefined;
  if (r.bool()) newViewProof = readSigned(r, 'newview') as SignedMessage<NewViewMsg>;
  r.done();
  return { view, targetView, ...(vote && { vote }), ...(prepared && { prepared }), ...(newViewProof && { newViewProof }) };
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(b: Uint8Array, chars = 8): string {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, Math.ceil(chars / 2))).toString('hex');
}
