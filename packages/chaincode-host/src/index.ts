// SPDX-License-Identifier: Apache-2.0
// Runs a fabric-contract-api chaincode in-process with the real fabric-shim ChaincodeStub, recording
// the read/write set as a Fabric peer's transaction simulator does.
export type { Version, VersionedValue, KVRead, KVWrite, RangeQueryInfo, NsReadWriteSet, StateReader } from '@metroledger/protocol';
export type {
  ChaincodeInvocation,
  ChaincodeResult,
  HostedChaincode,
  ChaincodeResolver,
  InvokeOptions,
  HostContractsOptions,
  HostChaincodeModuleOptions,
} from './host';
export { hostContracts, hostChaincodeModule } from './host';
export type { PrivateDataAccess, ProposalCreator } from './simulator';
export { MemoryState } from './memorystate';
export { compareKeys } from './keys';
export { ChaincodeHostError, type ChaincodeHostErrorCode } from './errors';
