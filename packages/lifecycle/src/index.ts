// SPDX-License-Identifier: Apache-2.0
// The LR chaincode software package: deterministic Fabric chaincode packages, their package ids
// (the fingerprint the notified body approves) and the check of an installed package against it.
export { LifecycleError, type LifecycleErrorCode } from './errors';
export {
  buildChaincodePackage, readChaincodePackage, verifyInstalledPackage, computePackageId, parsePackageId,
  sourceDigest, checkLabel, LABEL_PATTERN, METADATA_FILE, CODE_PACKAGE_FILE,
  type ChaincodePackage, type PackageMetadata, type PackageLimits,
} from './package';
export {
  packageChaincode, collectChaincodeFiles,
  type PackageChaincodeOptions, type ChaincodePackageJson, type VendoredModule,
} from './source';
export { packageLrChaincode, LR_CHAINCODE_LABEL, type PackageLrChaincodeOptions } from './lrpackage';
export { extractChaincodePackage, type ExtractOptions, type ExtractedChaincode } from './extract';
