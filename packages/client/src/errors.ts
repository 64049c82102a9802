// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';
import type { RetryCause } from './retry';

export type ClientErrorCode =
  | 'CONNECTION_FAILED' // the gateway could not be reached (unknown host, no answer, connection lost)
  | 'CONNECTION_REFUSED' // nothing listens at the endpoint (wrong port, gateway down)
  | 'TLS_FAILED' // the TLS handshake failed: certificate not from the given CA or not for this name, client certificate missing or refused
  | 'ENDORSEMENT_FAILED' // a peer refused to endorse (the chaincode's error code is in `chaincodeCode`)
  | 'SUBMIT_FAILED' // the ordering service refused the transaction
  | 'COMMIT_FAILED' // the transaction was ordered but is invalid (`validationCode`)
  | 'RETRIES_EXHAUSTED' // a retryable failure persisted through every attempt (`retryCause`)
  | 'COMMIT_UNKNOWN' // the transaction's fate could not be learnt yet; retried by endorsing anew (`retryCause`)
  | 'BAD_RESPONSE' // the chaincode answered something this client cannot read
  | 'BAD_REQUEST' // the request cannot be sent as given (e.g. a reading batch out of bounds)
  | 'BAD_CONFIG'; // connection options or the connection profile are missing or malformed

/** A failure of a metroledger client call, with the phase it failed in and Fabric's own codes. */
export class ClientError extends MetroledgerError<ClientErrorCode> {
  /** The chaincode's error code (e.g. `METER_REVOKED`), when a chaincode refused. */
  readonly chaincodeCode?: string;
  /** Fabric's TxValidationCode name (e.g. `MVCC_READ_CONFLICT`), for COMMIT_FAILED. */
  readonly validationCode?: string;
  readonly transactionId?: string;
  readonly attempts?: number;
  /** For RETRIES_EXHAUSTED and COMMIT_UNKNOWN: what kept failing. */
  readonly retryCause?: RetryCause;

  constructor(
    code: ClientErrorCode,
    message: string,
    extra: {
      cause?: unknown;
      chaincodeCode?: string;
      validationCode?: string;
      transactionId?: string;
      attempts?: number;
      retryCause?: RetryCause;
    } = {},
  ) {
    super(code, message, undefined, { cause: extra.cause });
    this.chaincodeCode = extra.chaincodeCode;
    this.validationCode = extra.validationCode;
    this.transactionId = extra.transactionId;
    this.attempts = extra.attempts;
    this.retryCause = extra.retryCause;
  }
}

/**
 * Why a submission was abandoned, as reports count it: the error code with Fabric's or the
 * chaincode's own code (`ENDORSEMENT_FAILED/BAD_SIGNATURE`, `COMMIT_FAILED/ENDORSEMENT_POLICY_FAILURE`,
 * `RETRIES_EXHAUSTED/ENDORSEMENT_MISMATCH`); `UNEXPECTED` for anything not a ClientError.
 */
export function abandonReason(err: unknown): string {
  if (!(err instanceof ClientError)) return 'UNEXPECTED';
  const detail = err.chaincodeCode ?? err.validationCode ?? err.retryCause;
  return detail === undefined ? err.code : `${err.code}/${detail}`;
}
