// SPDX-License-Identifier: Apache-2.0
// A walk over the protobuf wire format: the fields of a message as views of its bytes, without
// decoding them into google-protobuf objects (nor copying them).
const EMPTY: Uint8Array = new Uint8Array(0);

/** Bytes that are not protobuf wire format. */
export class Malformed extends Error {}

/** Fields of one message: `for (const f of fields(buf))` yields field number and, for wire type 2, its bytes; varints as value. */
export function* fields(buf: Uint8Array): Generator<{ field: number; bytes: Uint8Array; value: number }> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new Malformed('truncated varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new Malformed('varint too long');
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new Malformed('field 0');
    if (wire === 0) yield { field, bytes: EMPTY, value: varint() };
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Malformed('length past end');
      const bytes = buf.subarray(pos, pos + len);
      pos += len;
      yield { field, bytes, value: 0 };
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > buf.length) throw new Malformed('truncated fixed field');
    } else throw new Malformed(`wire type ${wire}`);
  }
}

/** The last occurrence of a length-delimited field (google-protobuf's rule for a singular field). */
export function field(buf: Uint8Array, n: number): Uint8Array {
  let out = EMPTY;
  for (const f of fields(buf)) if (f.field === n) out = f.bytes;
  return out;
}
