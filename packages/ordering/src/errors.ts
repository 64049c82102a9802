// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type OrderingErrorCode =
  | 'BAD_REQUEST' // malformed envelope, too large, wrong channel or type, creator not a channel member, bad signature
  | 'SERVICE_UNAVAILABLE' // the orderer is not started or has stopped
  | 'BUSY' // the ordering queue is full; retry later
  | 'BAD_CONFIG' // options that cannot work (batch sizes, chain head)
  | 'STORAGE'; // an orderer's write-ahead log cannot be read or written, or contradicts itself

/** The one error class of @metroledger/ordering; branch on `code`. `retryable` is true for BUSY. */
export class OrderingError extends MetroledgerError<OrderingErrorCode> {
  override get retryable(): boolean {
    return this.code === 'BUSY';
  }
}
