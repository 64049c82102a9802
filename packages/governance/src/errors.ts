// SPDX-License-Identifier: Apache-2.0
// Errors thrown by the governance chaincode. A thrown error rejects the transaction (nothing is
// written); its message is `CODE: detail`, which is all that crosses the wire.
import { MetroledgerError } from '@metroledger/errors';

export const GovernanceErrorCodes = {
  ACCESS_DENIED: 'ACCESS_DENIED',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_RECORD: 'INVALID_RECORD',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  LR_SOFTWARE_EXISTS: 'LR_SOFTWARE_EXISTS',
  LR_SOFTWARE_NOT_FOUND: 'LR_SOFTWARE_NOT_FOUND',
  LR_SOFTWARE_WITHDRAWN: 'LR_SOFTWARE_WITHDRAWN',
  PACKAGE_ID_IN_USE: 'PACKAGE_ID_IN_USE',
  METER_MODEL_NOT_FOUND: 'METER_MODEL_NOT_FOUND',
  ORGANIZATION_NOT_FOUND: 'ORGANIZATION_NOT_FOUND',
} as const;

export type GovernanceErrorCode = (typeof GovernanceErrorCodes)[keyof typeof GovernanceErrorCodes];

/** The one coded error whose message starts with its code: fabric-contract-api sends only the message. */
export class GovernanceError extends MetroledgerError<GovernanceErrorCode> {
  constructor(code: GovernanceErrorCode, detail: string, details?: Record<string, unknown>) {
    super(code, `${code}: ${detail}`, details);
  }
}

const CODES = new Set<string>(Object.values(GovernanceErrorCodes));

/** Recovers the code from a response message of the governance chaincode (possibly prefixed by a gateway). */
export function parseGovernanceErrorMessage(message: string): { code: GovernanceErrorCode; detail: string } | undefined {
  const m = /(?:^|\W)([A-Z_]+): (.*)$/s.exec(message);
  if (m === null || !CODES.has(m[1]!)) return undefined;
  return { code: m[1] as GovernanceErrorCode, detail: m[2]! };
}
