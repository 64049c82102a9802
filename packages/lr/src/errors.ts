// SPDX-License-Identifier: Apache-2.0

export type LrErrorCode = 'MALFORMED_READING' | 'MALFORMED_BATCH' | 'INVALID_PUBLIC_KEY';

/** The only error the LR software throws. Callers branch on `code`. */
export class LrError extends Error {
  readonly code: LrErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: LrErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'LrError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
