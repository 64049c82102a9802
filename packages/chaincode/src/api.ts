// SPDX-License-Identifier: Apache-2.0
// The LR chaincode's API without its Fabric runtime (`@metroledger/chaincode/api`): record types,
// error codes and the state-key schema, for clients and auditors. The package index adds the
// contract (fabric-contract-api) that fabric-chaincode-node loads.
export {
  GOVERNANCE_CHAINCODE_NAME,
  LR_CHAINCODE_NAME,
  LR_CHAINCODE_VERSION,
  MAX_RECORDED_REJECTIONS,
  NOTIFIED_BODY_MSP_ID,
} from './config';
export { ChaincodeError, ChaincodeErrorCodes, parseChaincodeErrorMessage, type ChaincodeErrorCode } from './errors';
export { LrKeyTypes, pad16 } from './keys';
export type {
  MeterRegistration,
  Meter,
  MeterKey,
  MeterStatus,
  MeasurementRecord,
  MeasurementRefusalCode,
  Page,
  ReadingRejection,
} from './types';
export { MAX_PAGE_SIZE } from './validation';
export { codeDigest, installedCodeDigest } from './codedigest';
