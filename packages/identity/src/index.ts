// SPDX-License-Identifier: Apache-2.0
// X.509 ECDSA P-256 identities: low-S signing, verification, MSPs, certificate generation in Fabric cryptogen layout.
export { IdentityError, type IdentityErrorCode } from './errors.js';
export { SigningIdentity, signLowS, verifySignature, serializeIdentity, parsePrivateKey, newSigningIdentityFromFiles } from './signing.js';
export {
  IdentityDeserializer,
  identityFromCertificate,
  parseSerializedIdentity,
  type Identity,
  type IdentityDeserializerOptions,
} from './deserializer.js';
export { MspRegistry, type MspConfig, type MspRole, type NodeRole, type NodeOUsConfig } from './msp.js';
export {
  generateOrganization,
  issueIdentity,
  issueTlsCertificate,
  type OrgSpec,
  type OrgMaterial,
  type NodeMaterial,
  type CertKeyPem,
  type IssueOptions,
} from './ca.js';
export { writeCryptogenLayout, loadOrganization, loadMspConfig, orgDirectory, nodePaths, type NodePaths } from './layout.js';
