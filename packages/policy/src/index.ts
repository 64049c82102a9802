// SPDX-License-Identifier: Apache-2.0
// Fabric endorsement policies: parsing the AND/OR/OutOf syntax, resolving ImplicitMeta rules and
// channel-config policy references, and evaluating a policy against signers.
export { PolicyError, type PolicyErrorCode } from './errors.js';
export { parsePolicy, parsePrincipal, formatPolicy, ROLES, UNSATISFIABLE, type Policy, type Principal, type Role } from './policy.js';
export { evaluatePolicy, nodeOUCheck, type PolicySigner, type PrincipalCheck } from './evaluate.js';
export { toSignaturePolicyEnvelope, fromSignaturePolicyEnvelope } from './envelope.js';
export {
  configPolicyGroup,
  isImplicitMeta,
  parseEndorsementPolicy,
  parseImplicitMeta,
  resolvePolicyReference,
  type ConfigPolicy,
  type ConfigPolicyGroup,
  type ImplicitMetaPolicy,
  type ImplicitMetaRule,
} from './channel.js';
