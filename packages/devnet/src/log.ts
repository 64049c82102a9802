// SPDX-License-Identifier: Apache-2.0
// The devnet's structured log: what it is given to write to (the CLI gives it a pino logger on
// stderr), and the lines it writes: one per block, per refused or invalid reading, per halt.
import type { DevnetHalt } from './health.js';
import type { BlockSummary } from './observe.js';

/** One structured log call: fields first, then the message (pino's argument order). */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

/** What the devnet logs to; a pino logger is one. */
export interface DevnetLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

const nothing: LogFn = () => undefined;
/** The logger of a devnet given none. */
export const SILENT_LOGGER: DevnetLogger = { debug: nothing, info: nothing, warn: nothing, error: nothing, fatal: nothing };

/** Logs a committed block (info), each reading the LR software refused (info) or a revoked meter sent (warn), and each invalid transaction (warn). */
export function logBlock(log: DevnetLogger, block: BlockSummary): void {
  const invalid = block.txs.filter((t) => t.validationCode !== 'VALID');
  const refused = block.readings.filter((r) => r.status === 'REFUSED').length;
  log.info(
    { event: 'block', block: block.blockNum, txs: block.txs.length, invalid: invalid.length, readings: block.readings.length, refused },
    `committed block ${block.blockNum} with ${block.txs.length} transaction(s)`,
  );
  for (const r of block.readings) {
    if (r.status === 'REFUSED')
      log.info(
        { event: 'refusal', block: block.blockNum, code: r.refusalCode, meterId: r.meterId, sequence: r.sequence, txId: r.txId },
        `LR software refused reading ${r.sequence} of meter ${r.meterId}: ${r.refusalCode ?? 'no code'}`,
      );
    else if (r.status === 'REJECTED')
      log.warn(
        { event: 'rejection', block: block.blockNum, meterId: r.meterId, sequence: r.sequence, txId: r.txId },
        `reading ${r.sequence} of revoked meter ${r.meterId} recorded as rejected`,
      );
  }
  for (const t of invalid)
    log.warn(
      { event: 'invalid_tx', block: block.blockNum, txId: t.txId, code: t.validationCode, chaincode: t.chaincode },
      `transaction ${t.txId} invalid: ${t.validationCode}`,
    );
}

/** Logs the halt (fatal): the devnet stops taking transactions. */
export function logHalt(log: DevnetLogger, halt: DevnetHalt): void {
  log.fatal(
    { event: 'halt', block: halt.blockNum, code: halt.code, errno: halt.errno, path: halt.path },
    `devnet halted: the ledger could not commit block ${halt.blockNum}: ${halt.message}`,
  );
}
