// SPDX-License-Identifier: Apache-2.0
// What this chaincode says it is: the LR software it runs, its own name and version, and the
// digest of the code it was loaded from. Each measurement records it, and the chaincode refuses
// to measure when that digest is not the one the notified body approved. Self-reported: it tells
// honest providers' misconfigurations apart, not a provider that runs other code and lies (see
// docs/GOVERNANCE.md, "Which code runs").
import { realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import { installedCodeDigest } from './codedigest';
import { LR_CHAINCODE_NAME, LR_CHAINCODE_VERSION } from './config';
import { ChaincodeError } from './errors';

/** The LR software and chaincode that computed a measurement (MeasurementRecord.lrSoftware). */
export interface LrSoftwareIdentity {
  readonly name: string;
  readonly version: string;
  readonly chaincodeName: string;
  readonly chaincodeVersion: string;
  /** The code digest of the installed package this chaincode runs from; absent in a development tree. */
  readonly codeDigest?: string;
}

/**
 * The digest of the installed package this module runs from (dist/'s parent is the package's
 * src/), or undefined in a development tree: a package vendors @metroledger/lr under lib/, a
 * development tree takes it from the workspace, which a digest of this tree would not cover.
 */
function installedPackageDigest(): string | undefined {
  const root = dirname(__dirname);
  try {
    const lr = realpathSync(require.resolve('@metroledger/lr'));
    if (!lr.startsWith(realpathSync(join(root, 'lib')) + sep)) return undefined;
    return installedCodeDigest(root);
  } catch {
    return undefined;
  }
}

/** Computed once, when the chaincode is loaded. */
export const RUNNING_SOFTWARE: LrSoftwareIdentity = (() => {
  const codeDigest = installedPackageDigest();
  return Object.freeze({
    name: LR_SOFTWARE_NAME,
    version: LR_SOFTWARE_VERSION,
    chaincodeName: LR_CHAINCODE_NAME,
    chaincodeVersion: LR_CHAINCODE_VERSION,
    ...(codeDigest !== undefined ? { codeDigest } : {}),
  });
})();

/**
 * Refuses to go on when the code this chaincode runs from is not the code the notified body
 * approved for its version (`approvedCodeDigest`, the approval's sourceSha256). Nothing to compare
 * in a development tree, or with a governance chaincode that does not answer the digest.
 */
export function requireApprovedCode(approvedCodeDigest: string | undefined): void {
  const running = RUNNING_SOFTWARE.codeDigest;
  if (running === undefined || approvedCodeDigest === undefined || running === approvedCodeDigest) return;
  throw new ChaincodeError(
    'CODE_NOT_APPROVED',
    `this chaincode runs code ${running}, but the notified body approved code ${approvedCodeDigest} for ${LR_CHAINCODE_NAME} ${LR_CHAINCODE_VERSION}`,
    { running, approved: approvedCodeDigest },
  );
}
