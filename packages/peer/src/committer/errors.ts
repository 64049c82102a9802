// SPDX-License-Identifier: Apache-2.0
import { PeerError, type PeerErrorCode } from '../endorser/errors.js';

/** The PeerError codes the committer throws (to be merged into PeerErrorCode). */
export type CommitterErrorCode =
  | 'BAD_BLOCK_SIGNATURE' // orderer signatures missing, invalid, or short of the required quorum
  | 'MALFORMED_BLOCK' // the block does not parse, or its header does not chain
  | 'BLOCK_OUT_OF_ORDER' // a block already committed, or too far ahead of the ledger
  | 'TIMEOUT' // waitForTransaction gave up
  | 'ABORTED' // waitForTransaction's signal aborted
  | 'CLOSED' // the committer (or the signature verifier pool) was closed
  | 'HALTED' // the ledger failed to commit a block (e.g. a full disk): the committer takes no more blocks
  | 'VERIFIER_FAILED'; // a signature verification worker died

export function committerError(code: CommitterErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown): PeerError {
  return new PeerError(code as string as PeerErrorCode, message, details, cause === undefined ? undefined : { cause });
}
