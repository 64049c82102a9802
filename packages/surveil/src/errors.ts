// SPDX-License-Identifier: Apache-2.0

export type SurveilErrorCode = 'BAD_OPTION';

/** The only error class of @metroledger/surveil (sources throw @metroledger/audit's AuditError). */
export class SurveilError extends Error {
  readonly code: SurveilErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: SurveilErrorCode, message: string, details?: Record<string, unknown>) {
    super(`${code}: ${message}`);
    this.name = 'SurveilError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
