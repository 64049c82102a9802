// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

/** Stable error codes of the BFT package; callers branch on these, never on message text. */
export type BftErrorCode =
  /** The request pool is full; retryable: submit again later or to another replica. */
  | 'POOL_FULL'
  /** A request is larger than `requestBytesMax` or has a malformed id. */
  | 'REQUEST_INVALID'
  /** Options are out of range or contradict each other. */
  | 'BAD_CONFIG'
  /** Wire bytes do not decode to a well-formed message (or exceed the size bound). */
  | 'MALFORMED_MESSAGE'
  /** Persisted state contradicts itself (e.g. a gap in the decided log). */
  | 'STORAGE_CORRUPT';

export class BftError extends MetroledgerError<BftErrorCode> {
  /** True for conditions a client should retry (after a pause or at another replica). */
  override get retryable(): boolean {
    return this.code === 'POOL_FULL';
  }
}

/** Programmer-error check that stays on in production (TigerStyle): state is impossible if it fails. */
export function assert(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`bft assertion failed: ${what}`);
}
