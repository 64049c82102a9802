// SPDX-License-Identifier: Apache-2.0
// The governance chaincode (fabric-contract-api). `contracts` is what fabric-chaincode-node loads.
// Its API without the Fabric runtime is `@metroledger/governance/api` (./api), re-exported here.
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
export { certificateRole, callerOf, type Caller, type NodeRole } from './caller';
export * from './api';
