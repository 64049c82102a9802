// SPDX-License-Identifier: Apache-2.0
// Fabric Gateway and Deliver gRPC services over TLS.
export {
  GatewayService,
  type CollectionRules,
  type CommitPort,
  type EndorsingPeer,
  type GatewayOptions,
  type LedgerPort,
  type OrdererPort,
} from './gateway.js';
export { startGatewayServer, type GatewayServer, type GatewayServerOptions } from './server.js';
export { GatewayServerError, type GatewayServerErrorCode } from './errors.js';
export { messageLimits, type MessageLimits, type BatchSizeConfig } from './limits.js';
export { minimalEndorsingOrgs } from './plan.js';
export type { ErrorDetail } from './rpcerror.js';
