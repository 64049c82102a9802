// SPDX-License-Identifier: Apache-2.0
export type ClientErrorCode =
  | 'CONNECTION_FAILED'     // the gateway could not be reached (unknown host, no answer, connection lost)
  | 'CONNECTION_REFUSED'    // nothing listens at the endpoint (wrong port, gateway down)
  | 'TLS_FAILED'            // the TLS handshake failed: certificate not from the given CA or not for this name, client certificate missing or refused
  | 'ENDORSEMENT_FAILED'    // a peer refused to endorse (the chaincode's error code is in `chaincodeCode`)
  | 'SUBMIT_FAILED'         // the ordering service refused the transaction
  | 'COMMIT_FAILED'         // the transaction was ordered but is invalid (`validationCode`)
  | 'RETRIES_EXHAUSTED'     // a retryable failure persisted through every attempt
  | 'BAD_RESPONSE'          // the chaincode answered something this client cannot read
  | 'BAD_REQUEST';          // the request cannot be sent as given (e.g. a reading batch out of bounds)

/** A failure of a metroledger client call, with the phase it failed in and Fabric's own codes. */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  /** The chaincode's error code (e.g. `METER_REVOKED`), when a chaincode refused. */
  readonly chaincodeCode?: string;
  /** Fabric's TxValidationCode name (e.g. `MVCC_READ_CONFLICT`), for COMMIT_FAILED. */
  readonly validationCode?: string;
  readonly transactionId?: string;
  readonly attempts?: number;

  constructor(code: ClientErrorCode, message: string, extra: { cause?: unknown; chaincodeCode?: string; validationCode?: string; transactionId?: string; attempts?: number } = {}) {
    super(message, { cause: extra.cause });
    this.name = 'ClientError';
    this.code = code;
    this.chaincodeCode = extra.chaincodeCode;
    this.validationCode = extra.validationCode;
    this.transactionId = extra.transactionId;
    this.attempts = extra.attempts;
  }
}
