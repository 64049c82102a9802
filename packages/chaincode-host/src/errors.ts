// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type ChaincodeHostErrorCode =
  | 'INVALID_CHAINCODE' // the module or classes do not form a fabric-contract-api chaincode
  | 'INVALID_INVOCATION'; // the invocation itself is malformed (not the contract's input)

export class ChaincodeHostError extends MetroledgerError<ChaincodeHostErrorCode> {}
