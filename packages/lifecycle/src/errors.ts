// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type LifecycleErrorCode =
  | 'MALFORMED_PACKAGE' // not a gzip'd ustar chaincode package, or a file in it is bad
  | 'UNSAFE_PATH' // an entry escapes its directory, is absolute, a link or a device
  | 'PACKAGE_TOO_LARGE' // more bytes or files than the configured limits
  | 'BAD_LABEL' // a label outside Fabric's label syntax
  | 'BAD_PACKAGE_ID' // not of the form label:<64 hex>
  | 'FINGERPRINT_MISMATCH' // the package is not the approved one
  | 'SOURCE_NOT_FOUND' // a directory to package is missing (e.g. not built yet)
  | 'BAD_SOURCE' // a source tree we refuse to package (links, bad package.json, ...)
  | 'UNDECLARED_DEPENDENCY' // packaged code requires a module the package.json does not provide
  | 'DEPENDENCY_MISMATCH' // extraction: the locally available dependency is not the pinned version
  | 'EXTRACT_TARGET_NOT_EMPTY'
  | 'UNSUPPORTED_PACKAGE_TYPE' // neither a node nor a ccaas package, or a form this tool cannot use here
  | 'BAD_CONNECTION' // a ccaas connection (address, dial timeout, TLS material) Fabric would refuse
  | 'BAD_ADDRESS' // a chaincode server address that is not HOST:PORT
  | 'CODE_NOT_DECLARED' // a ccaas package or package id that does not declare the code it runs
  | 'CODE_DIGEST_MISMATCH' // the code is not the code that was declared or approved
  | 'FORM_NOT_APPROVED' // the approval does not admit this package form (e.g. a v1 approval and a ccaas package)
  | 'UNAPPROVED_PACKAGE' // no approval to compare with
  | 'WITHDRAWN_PACKAGE' // the approval was withdrawn
  | 'SERVER_FAILED' // the chaincode server could not load the code or listen
  | 'MODULE_NOT_LOADABLE'; // a module vendored in a package cannot be loaded from it (missing, or requires what the package lacks)

export class LifecycleError extends MetroledgerError<LifecycleErrorCode> {}
