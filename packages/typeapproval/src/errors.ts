// SPDX-License-Identifier: Apache-2.0

export type TypeApprovalErrorCode =
  | 'MALFORMED_CASE' // a reference case line does not parse
  | 'EMPTY_SET'; // a reference set holds no case: there is nothing to judge

export class TypeApprovalError extends Error {
  readonly code: TypeApprovalErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: TypeApprovalErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'TypeApprovalError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
