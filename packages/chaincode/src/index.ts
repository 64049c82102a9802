// SPDX-License-Identifier: Apache-2.0
// The LR chaincode (fabric-contract-api). `contracts` is what fabric-chaincode-node loads.
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
export { GOVERNANCE_CHAINCODE_NAME, LR_CHAINCODE_NAME, LR_CHAINCODE_VERSION, MAX_RECORDED_REJECTIONS, NOTIFIED_BODY_MSP_ID } from './config';
export { ChaincodeError, ChaincodeErrorCodes, parseChaincodeErrorMessage, type ChaincodeErrorCode } from './errors';
export type { MeterRegistration, Meter, MeterKey, MeterStatus, MeasurementRecord, MeasurementRefusalCode, Page, ReadingRejection } from './types';
export { MAX_PAGE_SIZE } from './validation';
export { RUNNING_SOFTWARE, type LrSoftwareIdentity } from './software';
export { codeDigest, installedCodeDigest } from './codedigest';
export { decodeReadingBatch, MAX_BATCH_READINGS, MAX_BATCH_BYTES, type ReadingBatchResult, type BatchReadingOutcome } from './batch';
