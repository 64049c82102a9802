// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type TypeApprovalErrorCode =
  | 'MALFORMED_CASE' // a reference case line does not parse
  | 'EMPTY_SET' // a reference set holds no case: there is nothing to judge
  | 'PDF_RENDERER_MISSING'; // the optional PDF printer (puppeteer-core, @sparticuz/chromium) is not installed

export class TypeApprovalError extends MetroledgerError<TypeApprovalErrorCode> {}
