// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type LrErrorCode = 'MALFORMED_READING' | 'MALFORMED_BATCH' | 'INVALID_PUBLIC_KEY';

/** The only error the LR software throws. Callers branch on `code`. */
export class LrError extends MetroledgerError<LrErrorCode> {}
