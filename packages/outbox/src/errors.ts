// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type OutboxErrorCode =
  | 'OUTBOX_FULL' // the outbox is at capacity: the meter stops capturing until readings drain
  | 'OUTBOX_LOCKED' // another process has this outbox open
  | 'OUTBOX_FAILED' // a write failed: the outbox refuses work until it is reopened (fail-stop)
  | 'OUTBOX_CORRUPT' // a stored entry does not decode
  | 'SEQUENCE_CONFLICT' // a reading's sequence is not the one after the meter's last
  | 'BAD_READING' // not a signed reading, or an image that is not the reading's
  | 'BAD_OPTION' // an option out of range
  | 'CLOSED'; // the outbox was closed

/** The one error class of @metroledger/outbox; branch on `code`. */
export class OutboxError extends MetroledgerError<OutboxErrorCode> {}
