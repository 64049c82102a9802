// SPDX-License-Identifier: Apache-2.0

export type GatewayServerErrorCode =
  | 'PORT_IN_USE' // another process listens on the gateway's host and port
  | 'BIND_FAILED' // the server could not listen for another reason (address not local, permission)
  | 'BAD_CONFIG'; // the server options cannot be used (e.g. mutual TLS without any TLS root CA)

/** Why the gateway server could not start; branch on `code`. */
export class GatewayServerError extends Error {
  readonly code: GatewayServerErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: GatewayServerErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'GatewayServerError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
