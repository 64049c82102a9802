// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type DevnetErrorCode =
  | 'BAD_CONFIG' // the network configuration cannot be assembled (unknown org, bad policy, no gateway peer)
  | 'CHAINCODE_LOAD' // a chaincode module could not be loaded
  | 'ALREADY_RUNNING' // another devnet uses this data directory
  | 'NOT_RUNNING' // no devnet runs on this data directory
  | 'BAD_DATA_DIR' // the data directory is a file (or lies under one)
  | 'NOT_A_DEVNET_DIR' // a directory with other contents and no devnet marker: never used nor deleted
  | 'NO_DATA_DIR' // the data directory does not exist (e.g. nothing to reset)
  | 'START_FAILED'; // a devnet process exited, or did not listen in time, before it was ready

/** The error class of @metroledger/devnet; branch on `code`. */
export class DevnetError extends MetroledgerError<DevnetErrorCode> {}
