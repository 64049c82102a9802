// SPDX-License-Identifier: Apache-2.0
// Errors thrown by the LR chaincode. A thrown error rejects the transaction (nothing is written);
// its message is `CODE: detail`, which is all that crosses the wire, so clients branch on the prefix.
import { MetroledgerError } from '@metroledger/errors';

export const ChaincodeErrorCodes = {
  MALFORMED_READING: 'MALFORMED_READING',
  MALFORMED_BATCH: 'MALFORMED_BATCH',
  METER_NOT_FOUND: 'METER_NOT_FOUND',
  METER_REVOKED: 'METER_REVOKED',
  METER_EXISTS: 'METER_EXISTS',
  INVALID_METER: 'INVALID_METER',
  ACCESS_DENIED: 'ACCESS_DENIED',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  REPLAYED_SEQUENCE: 'REPLAYED_SEQUENCE',
  MEASUREMENT_NOT_FOUND: 'MEASUREMENT_NOT_FOUND',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  MODEL_NOT_APPROVED: 'MODEL_NOT_APPROVED',
  LR_VERSION_NOT_APPROVED: 'LR_VERSION_NOT_APPROVED',
  GOVERNANCE_UNAVAILABLE: 'GOVERNANCE_UNAVAILABLE',
  /** The code this chaincode runs from is not the code the notified body approved for its version. */
  CODE_NOT_APPROVED: 'CODE_NOT_APPROVED',
} as const;

export type ChaincodeErrorCode = (typeof ChaincodeErrorCodes)[keyof typeof ChaincodeErrorCodes];

/** The one coded error whose message starts with its code: fabric-contract-api sends only the message. */
export class ChaincodeError extends MetroledgerError<ChaincodeErrorCode> {
  constructor(code: ChaincodeErrorCode, detail: string, details?: Record<string, unknown>) {
    super(code, `${code}: ${detail}`, details);
  }
}

const CODES = new Set<string>(Object.values(ChaincodeErrorCodes));

/**
 * Recovers the code from an error message that came back from the chaincode (an endorsement
 * error's detail, a response message). The code may be preceded by text a gateway adds.
 */
export function parseChaincodeErrorMessage(message: string): { code: ChaincodeErrorCode; detail: string } | undefined {
  const m = /(?:^|\W)([A-Z_]+): (.*)$/s.exec(message);
  if (m === null || !CODES.has(m[1]!)) return undefined;
  return { code: m[1] as ChaincodeErrorCode, detail: m[2]! };
}
