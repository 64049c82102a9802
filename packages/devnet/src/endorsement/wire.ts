// SPDX-License-Identifier: Apache-2.0
// Compact binary forms of what crosses between the event loop and the endorsement threads. Every
// message's bytes travel in one fresh, transferred ArrayBuffer: a Uint8Array that views a larger
// buffer (a gRPC frame, a block, Node's 8 KiB Buffer pool) would otherwise be cloned whole.

/** Byte fields packed back to back into one buffer, with their lengths. */
export interface Packed {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly lengths: readonly number[];
}

export function pack(parts: readonly Uint8Array[]): Packed {
  let size = 0;
  for (const p of parts) size += p.length;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, lengths: parts.map((p) => p.length) };
}

export function unpack(p: Packed): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const len of p.lengths) {
    out.push(p.bytes.subarray(at, at + len));
    at += len;
  }
  return out;
}

/** One state entry: the value of `key` in namespace `ns` at `version`, or its absence. */
export interface StateEntry {
  readonly ns: string;
  readonly key: string;
  /** undefined: the key is absent (never written, or deleted). */
  readonly value: Uint8Array | undefined;
  readonly blockNum: number;
  readonly txNum: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8');

/** `entries` in one buffer: u32 count, then per entry u32 ns length, ns, u32 key length, key, u8 present, f64 block, u32 tx, u32 value length, value. */
export function encodeEntries(entries: readonly StateEntry[]): Uint8Array<ArrayBuffer> {
  const names = entries.map((e) => [utf8.encode(e.ns), utf8.encode(e.key)] as const);
  let size = 4;
  entries.forEach((e, i) => {
    size += 4 + names[i]![0].length + 4 + names[i]![1].length + 1 + 8 + 4 + 4 + (e.value?.length ?? 0);
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, entries.length);
  let at = 4;
  entries.forEach((e, i) => {
    const [ns, key] = names[i]!;
    view.setUint32(at, ns.length);
    out.set(ns, at + 4);
    at += 4 + ns.length;
    view.setUint32(at, key.length);
    out.set(key, at + 4);
    at += 4 + key.length;
    out[at] = e.value === undefined ? 0 : 1;
    view.setFloat64(at + 1, e.blockNum);
    view.setUint32(at + 9, e.txNum);
    const value = e.value ?? new Uint8Array(0);
    view.setUint32(at + 13, value.length);
    out.set(value, at + 17);
    at += 17 + value.length;
  });
  return out;
}

export function decodeEntries(bytes: Uint8Array): StateEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0);
  const out: StateEntry[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const nsLen = view.getUint32(at);
    const ns = fromUtf8.decode(bytes.subarray(at + 4, at + 4 + nsLen));
    at += 4 + nsLen;
    const keyLen = view.getUint32(at);
    const key = fromUtf8.decode(bytes.subarray(at + 4, at + 4 + keyLen));
    at += 4 + keyLen;
    const present = bytes[at] === 1;
    const blockNum = view.getFloat64(at + 1);
    const txNum = view.getUint32(at + 9);
    const len = view.getUint32(at + 13);
    const value = bytes.subarray(at + 17, at + 17 + len);
    at += 17 + len;
    out.push({ ns, key, value: present ? value : undefined, blockNum, txNum });
  }
  return out;
}
