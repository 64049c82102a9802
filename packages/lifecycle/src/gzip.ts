// SPDX-License-Identifier: Apache-2.0
// gzip (RFC 1952) whose bytes depend only on the input: DEFLATE *stored* blocks (RFC 1951 §3.2.4),
// header mtime 0, no name, OS 255. A compressing deflater would tie the fingerprint to the zlib
// version and level of the machine that packaged; stored blocks trade size for reproducibility.
import { gunzipSync } from 'node:zlib';
import { LifecycleError } from './errors';

const MAX_STORED_BLOCK = 0xffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as gzip's trailer needs it. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One gzip member holding `data` in stored DEFLATE blocks. */
export function gzipStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_STORED_BLOCK));
  const out = new Uint8Array(10 + blocks * 5 + data.length + 8);
  const view = new DataView(out.buffer);
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown)
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255], 0);
  let o = 10;
  for (let b = 0; b < blocks; b++) {
    const start = b * MAX_STORED_BLOCK;
    const len = Math.min(MAX_STORED_BLOCK, data.length - start);
    // BFINAL in bit 0, BTYPE=00 in bits 1-2; stored blocks then pad to the byte boundary.
    out[o] = b === blocks - 1 ? 1 : 0;
    view.setUint16(o + 1, len, true);
    view.setUint16(o + 3, ~len & 0xffff, true);
    out.set(data.subarray(start, start + len), o + 5);
    o += 5 + len;
  }
  view.setUint32(o, crc32(data), true);
  view.setUint32(o + 4, data.length >>> 0, true);
  return out;
}

/** Inflates any gzip stream (ours or one from `peer lifecycle chaincode package`), bounded in size. */
export function gunzipBounded(data: Uint8Array, maxBytes: number, what: string): Uint8Array {
  if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b) {
    throw new LifecycleError('MALFORMED_PACKAGE', `${what} is not gzip data`);
  }
  try {
    return gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new LifecycleError('PACKAGE_TOO_LARGE', `${what} inflates to more than ${maxBytes} bytes`, { limit: maxBytes }, { cause: err });
    }
    throw new LifecycleError('MALFORMED_PACKAGE', `${what} is not valid gzip: ${(err as Error).message}`, undefined, { cause: err });
  }
}
