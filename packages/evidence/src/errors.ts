// SPDX-License-Identifier: Apache-2.0
// The evidence store's refusals. Each has one HTTP status, so a client over the wire gets the same
// typed error back (the body is `{"code": …, "message": …}`).
import { MetroledgerError } from '@metroledger/errors';

export type EvidenceErrorCode =
  | 'UNAUTHENTICATED' // no, malformed or wrong request signature; an identity no channel MSP validates
  | 'STALE_REQUEST' // the signed request's time is too far from the store's clock
  | 'REPLAYED_REQUEST' // the signed request (its nonce) was already seen
  | 'FORBIDDEN' // a valid identity whose organization or role may not do this
  | 'MALFORMED_REQUEST' // the body is not an evidence submission, a path is not one of the store's
  | 'MALFORMED_READING' // the submitted signed reading does not decode
  | 'NO_PLATE_DIGEST' // the reading carries no plate-image digest: it has no evidence to attach
  | 'WRONG_DIGEST' // the image's SHA-256 is not the digest the reading carries
  | 'METER_UNKNOWN' // the ledger has no such meter (or no key for the reading's sequence)
  | 'BAD_READING_SIGNATURE' // the reading is not signed by the meter's registered key
  | 'BAD_IMAGE_SIGNATURE' // the image signature is not the meter's over this meter, sequence and image
  | 'REPLAYED_IMAGE' // the image is already stored as evidence of another reading
  | 'EVIDENCE_EXISTS' // another image is already stored for this reading
  | 'IMAGE_TOO_LARGE' // the image (or the request) is over the store's size limit
  | 'STORE_FULL' // the store's capacity would be exceeded
  | 'NOT_FOUND' // no evidence for that reading
  | 'LOG_TAMPERED' // a hash-chained log does not verify
  | 'BAD_CONFIG' // the store or server options are unusable
  | 'UNAVAILABLE' // the store cannot be reached
  | 'IO'; // a disk operation failed (the store refuses writes until reopened)

const HTTP_STATUS: Record<EvidenceErrorCode, number> = {
  UNAUTHENTICATED: 401,
  STALE_REQUEST: 401,
  REPLAYED_REQUEST: 401,
  FORBIDDEN: 403,
  MALFORMED_REQUEST: 400,
  MALFORMED_READING: 400,
  NO_PLATE_DIGEST: 422,
  WRONG_DIGEST: 422,
  METER_UNKNOWN: 422,
  BAD_READING_SIGNATURE: 422,
  BAD_IMAGE_SIGNATURE: 422,
  REPLAYED_IMAGE: 409,
  EVIDENCE_EXISTS: 409,
  IMAGE_TOO_LARGE: 413,
  STORE_FULL: 507,
  NOT_FOUND: 404,
  LOG_TAMPERED: 500,
  BAD_CONFIG: 500,
  UNAVAILABLE: 503,
  IO: 503,
};

export const EVIDENCE_ERROR_CODES = Object.keys(HTTP_STATUS) as EvidenceErrorCode[];

/** The one error class of @metroledger/evidence; branch on `code`. */
export class EvidenceError extends MetroledgerError<EvidenceErrorCode> {
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export function isEvidenceErrorCode(code: unknown): code is EvidenceErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS, code);
}
