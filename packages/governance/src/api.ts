// SPDX-License-Identifier: Apache-2.0
// The governance chaincode's API without its Fabric runtime (`@metroledger/governance/api`): record
// types, error codes, the state-key schema and the approval codec, for clients and auditors. The
// package index adds the contract (fabric-contract-api) that fabric-chaincode-node loads.
export { GOVERNANCE_CHAINCODE_NAME, NOTIFIED_BODY_MSP_ID } from './config';
export { GovernanceError, GovernanceErrorCodes, parseGovernanceErrorMessage, type GovernanceErrorCode } from './errors';
export { GovernanceKeyTypes } from './keys';
export {
  LR_SOFTWARE_APPROVAL_TYPE,
  LR_SOFTWARE_APPROVAL_TYPE_V2,
  approvedPackageForms,
  canonicalForms,
  certificateSha256,
  lrSoftwareApprovalMessage,
  signLrSoftwareApproval,
  verifyLrSoftwareApproval,
} from './approval';
export { MAX_PAGE_SIZE } from './validation';
export type * from './types';
