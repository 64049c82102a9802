// SPDX-License-Identifier: Apache-2.0

export type LifecycleErrorCode =
  | 'MALFORMED_PACKAGE'      // not a gzip'd ustar chaincode package, or a file in it is bad
  | 'UNSAFE_PATH'            // an entry escapes its directory, is absolute, a link or a device
  | 'PACKAGE_TOO_LARGE'      // more bytes or files than the configured limits
  | 'BAD_LABEL'              // a label outside Fabric's label syntax
  | 'BAD_PACKAGE_ID'         // not of the form label:<64 hex>
  | 'FINGERPRINT_MISMATCH'   // the package is not the approved one
  | 'SOURCE_NOT_FOUND'       // a directory to package is missing (e.g. not built yet)
  | 'BAD_SOURCE'             // a source tree we refuse to package (links, bad package.json, ...)
  | 'UNDECLARED_DEPENDENCY'  // packaged code requires a module the package.json does not provide
  | 'DEPENDENCY_MISMATCH'    // extraction: the locally available dependency is not the pinned version
  | 'EXTRACT_TARGET_NOT_EMPTY';

export class LifecycleError extends Error {
  readonly code: LifecycleErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: LifecycleErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LifecycleError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
