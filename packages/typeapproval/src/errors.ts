// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type TypeApprovalErrorCode =
  | 'MALFORMED_CASE' // a reference case line does not parse
  | 'EMPTY_SET'; // a reference set holds no case: there is nothing to judge

export class TypeApprovalError extends MetroledgerError<TypeApprovalErrorCode> {}
