// SPDX-License-Identifier: Apache-2.0
// The chaincode software lifecycle: deterministic Fabric chaincode packages (node and ccaas), their
// package ids and code digests (what the notified body approves), the check of a package against
// an approval, and the chaincode server that runs approved code as a service.
export { LifecycleError, type LifecycleErrorCode } from './errors';
export {
  buildChaincodePackage,
  readChaincodePackage,
  verifyInstalledPackage,
  computePackageId,
  parsePackageId,
  sourceDigest,
  checkLabel,
  LABEL_PATTERN,
  METADATA_FILE,
  CODE_PACKAGE_FILE,
  type ChaincodePackage,
  type PackageMetadata,
  type PackageLimits,
} from './package';
export {
  packageChaincode,
  collectChaincodeFiles,
  type PackageChaincodeOptions,
  type ChaincodePackageJson,
  type VendoredModule,
} from './source';
export {
  packageLrChaincode,
  packageWorkspaceChaincode,
  defaultChaincodeLabel,
  statedChaincode,
  LR_CHAINCODE_LABEL,
  lrChaincodeLabelVersion,
  WORKSPACE_CHAINCODES,
  type PackageLrChaincodeOptions,
  type PackageWorkspaceChaincodeOptions,
  type WorkspaceChaincode,
} from './workspace';
export {
  buildCcaasPackage,
  readCcaasPackage,
  ccaasLabel,
  declaredCodeDigest,
  parseAddress,
  checkConnection,
  connectionJson,
  CONNECTION_FILE,
  CODE_DECLARATION_FILE,
  CODE_DECLARATION_TYPE,
  type CcaasConnection,
  type CodeDeclaration,
  type CcaasPackage,
} from './ccaas';
export { extractChaincodePackage, type ExtractOptions, type ExtractedChaincode } from './extract';
export { requirePackagedModule, vendoredModules } from './load';
export { serveChaincode, type ServeChaincodeOptions, type ChaincodeServer } from './serve';
export { checkPackageApproval, packageForm, type ApprovedPackage, type PackageForm, type SoftwareApproval } from './approval';
