// SPDX-License-Identifier: Apache-2.0
// The structured log of long-running commands (`devnet up`): pino, JSON lines on stderr so that
// stdout stays for what a script reads. `--log-level` (or METROLEDGER_LOG_LEVEL, which processes
// the CLI starts inherit) sets the level.
import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_LEVEL_ENV = 'METROLEDGER_LOG_LEVEL';

let current: Logger | undefined;

/** Sets the level of the process's logger (and of the CLI processes it starts). */
export function configureLogging(level: LogLevel): void {
  process.env[LOG_LEVEL_ENV] = level;
  current = undefined;
}

/** The process's logger: JSON lines with ISO times on stderr, written synchronously so that a halt's last line is never lost. */
export function logger(): Logger {
  current ??= pino(
    {
      name: 'metroledger',
      level: (process.env[LOG_LEVEL_ENV] as LogLevel | undefined) ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  return current;
}
