// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type SurveilErrorCode = 'BAD_OPTION';

/** The only error class of @metroledger/surveil (sources throw @metroledger/audit's AuditError). */
export class SurveilError extends MetroledgerError<SurveilErrorCode> {}
