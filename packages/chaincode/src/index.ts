// SPDX-License-Identifier: Apache-2.0
// The LR chaincode (fabric-contract-api). `contracts` is what fabric-chaincode-node loads.
// Its API without the Fabric runtime is `@metroledger/chaincode/api` (./api), re-exported here.
import { LrContract } from './lrcontract';

export const contracts = [LrContract];
export {
  LrContract,
  MEASUREMENT_EVENT,
  METER_KEY_ROTATED_EVENT,
  METER_REGISTERED_EVENT,
  METER_REVOKED_EVENT,
  READING_REJECTED_EVENT,
  MEASUREMENT_BATCH_EVENT,
  meterKeyForSequence,
} from './lrcontract';
export * from './api';
export { RUNNING_SOFTWARE, type LrSoftwareIdentity } from './software';
export { decodeReadingBatch, MAX_BATCH_READINGS, MAX_BATCH_BYTES, type ReadingBatchResult, type BatchReadingOutcome } from './batch';
