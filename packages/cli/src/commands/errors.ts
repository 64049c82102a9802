// SPDX-License-Identifier: Apache-2.0

export type CliErrorCode =
  | 'NOT_A_CHANNEL_MEMBER' // an organization the channel configuration does not hold
  | 'FILE_EXISTS' // a file the command would write is already there (keys are never overwritten)
  | 'BAD_CONFIG_FILE' // the configuration file does not parse or names unknown settings
  | 'BAD_OPTION'; // an option value the command cannot use

/** Errors of the `metroledger` command itself (the packages' own errors keep their codes). */
export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'CliError';
    this.code = code;
  }
}
