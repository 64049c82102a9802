// SPDX-License-Identifier: Apache-2.0
// The governance chaincode (fabric-contract-api). `contracts` is what fabric-chaincode-node loads.
import { GovernanceContract } from './contract';

export const contracts = [GovernanceContract];
export {
  GovernanceContract,
  INTEGRITY_INCIDENT_EVENT,
  LR_SOFTWARE_APPROVED_EVENT,
  LR_SOFTWARE_WITHDRAWN_EVENT,
  METER_MODEL_APPROVED_EVENT,
  ORGANIZATION_REGISTERED_EVENT,
} from './contract';
export { GOVERNANCE_CHAINCODE_NAME, NOTIFIED_BODY_MSP_ID } from './config';
export { GovernanceError, GovernanceErrorCodes, parseGovernanceErrorMessage, type GovernanceErrorCode } from './errors';
export { certificateRole, callerOf, type Caller, type NodeRole } from './caller';
export {
  LR_SOFTWARE_APPROVAL_TYPE, LR_SOFTWARE_APPROVAL_TYPE_V2, approvedPackageForms, canonicalForms, certificateSha256,
  lrSoftwareApprovalMessage, signLrSoftwareApproval, verifyLrSoftwareApproval,
} from './approval';
export { MAX_PAGE_SIZE } from './validation';
export type {
  CallerOrganization,
  IntegrityIncidentKind,
  IntegrityIncidentRecord,
  IntegrityIncidentReport,
  LrApprovalCheck,
  LrSoftwareApproval,
  LrSoftwareApprovalFields,
  LrSoftwareRecord,
  LrSoftwareStatus,
  MeterModelApproval,
  MeterModelRecord,
  OrganizationRecord,
  OrganizationRegistration,
  OrganizationRole,
  PackageForm,
  Page,
} from './types';
