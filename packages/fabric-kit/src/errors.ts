// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type FabricKitErrorCode =
  | 'FABRIC_BIN_MISSING' // FABRIC_BIN unset, or a binary missing or not executable there
  | 'FABRIC_CONFIG_MISSING' // no directory with Fabric's core.yaml and orderer.yaml
  | 'UNSUPPORTED_PROFILE' // e.g. SmartBFT asked of Fabric 2.5
  | 'BAD_OVERLAY' // a configuration overlay line or placeholder that cannot be rendered
  | 'PORT_IN_USE' // a port of the kit's range is taken by another process
  | 'NODE_FAILED' // a peer, orderer or chaincode server exited or never became healthy
  | 'COMMAND_FAILED' // a Fabric CLI command (configtxgen, osnadmin, peer ...) failed
  | 'NETWORK_NOT_FOUND' // no network.json in the kit's directory (run `up` first)
  | 'NETWORK_EXISTS' // `up` on a directory that already holds a network
  | 'BAD_OPTION';

export class FabricKitError extends MetroledgerError<FabricKitErrorCode> {}
