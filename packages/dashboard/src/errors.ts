// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type DashboardErrorCode =
  | 'BAD_OPTION' // an option that cannot be used (a limit, a port, a host)
  | 'LISTEN' // the HTTP server could not listen
  | 'SOURCE' // the block stream or a query failed
  | 'NOT_FOUND' // a block or transaction the dashboard no longer holds and cannot fetch
  | 'BAD_AUDIT_REPORT'; // the audit report file is not an audit report

/** The only error class of @metroledger/dashboard; callers branch on `code`. */
export class DashboardError extends MetroledgerError<DashboardErrorCode> {}
