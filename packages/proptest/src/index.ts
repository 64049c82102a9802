// SPDX-License-Identifier: Apache-2.0
// Test kit for the property tests of the decoders (blocks, transactions, readings, chaincode
// packages, BFT messages): what to feed them and what they may throw. Tests only; no package's
// production code imports it.
import fc from 'fast-check';

/** Byte strings near a valid encoding: a byte changed, cut short, extended, a span deleted or repeated, the rest random. */
export const nearby = (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  valid.chain((v) =>
    fc.oneof(
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const m = Uint8Array.from(v);
        if (m.length > 0) m[i % m.length]! ^= x;
        return m;
      }),
      fc.nat().map((n) => v.slice(0, n % (v.length + 1))),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => Uint8Array.from([...v, ...tail])),
      fc.tuple(fc.nat(), fc.nat({ max: 16 })).map(([i, n]) => {
        const at = i % (v.length + 1);
        return Uint8Array.from([...v.subarray(0, at), ...v.subarray(at + n)]);
      }),
      fc.tuple(fc.nat(), fc.nat({ max: 16 })).map(([i, n]) => {
        const at = i % (v.length + 1);
        return Uint8Array.from([...v.subarray(0, at + n), ...v.subarray(at)]);
      }),
      fc
        .tuple(fc.nat(), fc.uint8Array({ maxLength: 32 }))
        .map(([i, tail]) => Uint8Array.from([...v.subarray(0, i % (v.length + 1)), ...tail])),
    ),
  );

/** Runs `run`; an exception other than an `allowed` fails the property (bad input gets the package's own typed error). */
export function onlyThrows(allowed: abstract new (...args: never[]) => Error, run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof allowed)) throw e;
  }
}
