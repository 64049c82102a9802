// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type LedgerErrorCode =
  | 'BLOCK_OUT_OF_ORDER' // block number is not the current height
  | 'BAD_PREVIOUS_HASH' // header.previous_hash is not the hash of the last header
  | 'BAD_DATA_HASH' // header.data_hash does not match the block's envelopes
  | 'MALFORMED_BLOCK' // bytes do not parse as common.Block, or a required part is missing
  | 'MISSING_TX_FILTER' // metadata slot TRANSACTIONS_FILTER absent or of the wrong length
  | 'TX_INDEX_MISMATCH' // caller-supplied tx index disagrees with the block
  | 'BLOCK_NOT_FOUND'
  | 'BAD_KEY' // namespace/key not storable (empty namespace, NUL in namespace, ill-formed UTF-16)
  | 'CORRUPT_BLOCK_FILE' // a stored record is damaged (checksum, length, wrong block) and is not a torn tail; details: path, file, offset, blockNum
  | 'STATE_AHEAD' // state savepoint is past the block height: state does not belong to these blocks
  | 'NO_LEDGER' // no block files or index where a ledger was expected
  | 'NOT_A_DIRECTORY' // the ledger directory (or one above it) is a file
  | 'IO' // a write or fsync failed (details: path, errno); the ledger refuses further commits until reopened
  | 'CLOSED';

/** The only error class of @metroledger/ledger; callers branch on `code`. */
export class LedgerError extends MetroledgerError<LedgerErrorCode> {}
