// SPDX-License-Identifier: Apache-2.0
// Fixed-width big-endian integers for LevelDB keys and values (byte order = numeric order).

const TWO32 = 0x1_0000_0000;

export function writeU64(buf: Uint8Array, offset: number, n: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setUint32(offset, Math.floor(n / TWO32));
  view.setUint32(offset + 4, n >>> 0);
}

export function readU64(buf: Uint8Array, offset: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return view.getUint32(offset) * TWO32 + view.getUint32(offset + 4);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
