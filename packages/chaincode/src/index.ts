// SPDX-License-Identifier: Apache-2.0
// The LR chaincode (fabric-contract-api). `contracts` is what fabric-chaincode-node loads.
import { LrContract } from './lrcontract';

export const contracts = [LrContract];
export { LrContract, MEASUREMENT_EVENT, METER_REGISTERED_EVENT, METER_REVOKED_EVENT } from './lrcontract';
export { NOTIFIED_BODY_MSP_ID } from './config';
export { ChaincodeError, ChaincodeErrorCodes, parseChaincodeErrorMessage, type ChaincodeErrorCode } from './errors';
export type { MeterRegistration, Meter, MeterStatus, MeasurementRecord, MeasurementRefusalCode, Page } from './types';
export { MAX_PAGE_SIZE } from './validation';
