// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type ChaincodeHostErrorCode =
  | 'INVALID_CHAINCODE' // the module or classes do not form a fabric-contract-api chaincode
  | 'INVALID_INVOCATION' // the invocation itself is malformed (not the contract's input)
  | 'NO_SUCH_COLLECTION' // the chaincode has no private data collection of that name
  | 'PRIVATE_DATA_ACCESS_DENIED' // memberOnlyRead / memberOnlyWrite: the proposal's creator is not a member of the collection
  | 'PRIVATE_DATA_NOT_AVAILABLE' // the key's hash is on the ledger but this peer holds no matching value (not a member of the collection)
  | 'PRIVATE_DATA_UNSUPPORTED'; // private data asked of a host given no private data access

export class ChaincodeHostError extends MetroledgerError<ChaincodeHostErrorCode> {}
