// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';
export type BenchErrorCode =
  | 'BAD_OPTION' // an option is out of range or malformed
  | 'DEVNET_FAILED' // the devnet process did not start or died during a run
  | 'SETUP_FAILED' // type approval or meter registration failed
  | 'LEDGER_MISMATCH'; // the ledger does not hold exactly the acknowledged transactions

/** A benchmark that cannot run or whose result cannot be trusted. */
export class BenchError extends MetroledgerError<BenchErrorCode> {
  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
  }
}
