// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type GatewayServerErrorCode =
  | 'PORT_IN_USE' // another process listens on the gateway's host and port
  | 'BIND_FAILED' // the server could not listen for another reason (address not local, permission)
  | 'BAD_CONFIG'; // the server options cannot be used (e.g. mutual TLS without any TLS root CA)

/** Why the gateway server could not start; branch on `code`. */
export class GatewayServerError extends MetroledgerError<GatewayServerErrorCode> {}
