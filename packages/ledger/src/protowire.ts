// SPDX-License-Identifier: Apache-2.0
// A minimal protobuf wire reader: walks only the fields the ledger needs, returning subarrays (no
// copies, no message objects). Deriving a block's writes this way costs a tenth of full
// google-protobuf decoding. Semantics follow google-protobuf JS: a repeated singular field's last
// occurrence wins; unknown fields are skipped; a wrong wire type or truncated field throws.

export class WireError extends Error {}

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder('utf-8');

/** Iterates the fields of one message: `while (r.next()) switch (r.field) { ... default: r.skip() }`. */
export class WireReader {
  readonly #buf: Uint8Array;
  #pos = 0;
  field = 0;
  wire = 0;

  constructor(buf: Uint8Array | undefined) {
    this.#buf = buf ?? EMPTY;
  }

  next(): boolean {
    if (this.#pos >= this.#buf.length) return false;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wire = tag % 8;
    if (this.field === 0) throw new WireError('field number 0');
    return true;
  }

  /** Unsigned varint, exact up to 2^53. */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#buf.length) throw new WireError('truncated varint');
      const b = this.#buf[this.#pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new WireError('varint too long');
  }

  /** A length-delimited field's content. */
  bytes(): Uint8Array {
    if (this.wire !== 2) throw new WireError(`field ${this.field}: wire type ${this.wire}, expected 2`);
    const len = this.varint();
    const end = this.#pos + len;
    if (end > this.#buf.length) throw new WireError(`field ${this.field}: length ${len} past end`);
    const out = this.#buf.subarray(this.#pos, end);
    this.#pos = end;
    return out;
  }

  string(): string {
    return decoder.decode(this.bytes());
  }

  /** A varint field's value (int32/enum/bool). */
  uint(): number {
    if (this.wire !== 0) throw new WireError(`field ${this.field}: wire type ${this.wire}, expected 0`);
    return this.varint();
  }

  skip(): void {
    switch (this.wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.#advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.#advance(4);
        return;
      default:
        throw new WireError(`unsupported wire type ${this.wire}`);
    }
  }

  #advance(n: number): void {
    if (this.#pos + n > this.#buf.length) throw new WireError('truncated fixed field');
    this.#pos += n;
  }
}

/** The last occurrence of length-delimited field `field`, or undefined. */
export function bytesField(buf: Uint8Array | undefined, field: number): Uint8Array | undefined {
  const r = new WireReader(buf);
  let out: Uint8Array | undefined;
  while (r.next()) {
    if (r.field === field) out = r.bytes();
    else r.skip();
  }
  return out;
}

/** The first occurrence of repeated length-delimited field `field`, or undefined. */
export function firstBytesField(buf: Uint8Array | undefined, field: number): Uint8Array | undefined {
  const r = new WireReader(buf);
  while (r.next()) {
    if (r.field === field) return r.bytes();
    r.skip();
  }
  return undefined;
}
