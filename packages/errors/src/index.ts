// SPDX-License-Identifier: Apache-2.0
// The one shape of a metroledger error: a stable code callers branch on, a message for people that
// never repeats the code, structured details, the cause, and whether retrying can help. No
// dependencies: the chaincodes vendor this module with the LR software.

export interface MetroledgerErrorOptions {
  cause?: unknown;
}

/** The JSON form of an error (logs, HTTP bodies, reports). */
export interface MetroledgerErrorJson {
  name: string;
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/** Base of every package's error class; subclasses narrow `Code` and may override `retryable`. */
export class MetroledgerError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details?: Record<string, unknown>;

  constructor(code: Code, message: string, details?: Record<string, unknown>, options?: MetroledgerErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  /** True where trying again later (or elsewhere) can succeed; false unless a subclass says so. */
  get retryable(): boolean {
    return false;
  }

  toJSON(): MetroledgerErrorJson {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details !== undefined && { details: this.details }),
    };
  }
}

/**
 * How an error is shown to a person or sent as text (CLI, RPC status, HTTP body): `CODE: message`
 * for a coded error, the message otherwise. The one place the code is joined to the message.
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' && !err.message.startsWith(`${code}: `) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
