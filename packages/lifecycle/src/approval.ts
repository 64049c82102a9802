// SPDX-License-Identifier: Apache-2.0
// The check a computing provider's tooling runs before installing a chaincode package: is it a
// form of the code the notified body approved? A node package must be the approved package (its
// id); a ccaas package must declare the approved code (digest and node package id), under an
// approval that admits the ccaas form.
import { readCcaasPackage, type CodeDeclaration } from './ccaas';
import { LifecycleError } from './errors';
import type { ChaincodePackage } from './package';

export type PackageForm = 'node' | 'ccaas';

/** What the check needs from the notified body's approval record (@metroledger/governance LrSoftwareRecord). */
export interface SoftwareApproval {
  readonly chaincodeName: string;
  readonly version: string;
  /** The approved node package id. */
  readonly packageId: string;
  /** The approved code digest. */
  readonly sourceSha256: string;
  readonly status: 'APPROVED' | 'WITHDRAWN';
  /** Absent in v1 approvals: node only. */
  readonly packageForms?: readonly string[];
}

/** A package the approval admits. */
export interface ApprovedPackage {
  readonly form: PackageForm;
  /** The id the peer installs it under (for approveformyorg --package-id). */
  readonly packageId: string;
  /** The digest of the code it runs. */
  readonly codeDigest: string;
  /** ccaas: what it declares. */
  readonly declaration?: CodeDeclaration;
}

/** The form of a package (its metadata.json type), or UNSUPPORTED_PACKAGE_TYPE. */
export function packageForm(pkg: ChaincodePackage): PackageForm {
  const type = pkg.metadata.type.toLowerCase();
  if (type !== 'node' && type !== 'ccaas') {
    throw new LifecycleError(
      'UNSUPPORTED_PACKAGE_TYPE',
      `${pkg.packageId} is a ${pkg.metadata.type} package: only node and ccaas packages of the approved code can be checked`,
      { type: pkg.metadata.type },
    );
  }
  return type;
}

/**
 * Whether `pkg` may be installed under `approval`:
 * - node: the package id is the approved one (and its code digest the approved one);
 * - ccaas: the approval admits ccaas (v2 with `packageForms` ∋ ccaas), and the package declares
 *   the approved code digest and node package id (and, if it states one, the approved version).
 * Then the approval must still be APPROVED.
 * @throws {@link LifecycleError} UNAPPROVED_PACKAGE (no approval), UNSUPPORTED_PACKAGE_TYPE,
 *   FORM_NOT_APPROVED, FINGERPRINT_MISMATCH, CODE_NOT_DECLARED, CODE_DIGEST_MISMATCH,
 *   WITHDRAWN_PACKAGE; `details` name what was expected and found.
 */
export function checkPackageApproval(pkg: ChaincodePackage, approval: SoftwareApproval | undefined): ApprovedPackage {
  const form = packageForm(pkg);
  if (approval === undefined)
    throw new LifecycleError(
      'UNAPPROVED_PACKAGE',
      `the notified body has approved no version this ${form} package could be checked against: refusing to install ${pkg.packageId}`,
      { found: pkg.packageId },
    );
  const what = `${approval.chaincodeName} ${approval.version}`;
  const forms = approval.packageForms ?? ['node'];
  if (!forms.includes(form)) {
    throw new LifecycleError(
      'FORM_NOT_APPROVED',
      `the notified body approved ${what} as ${forms.join(', ')} only${approval.packageForms === undefined ? ' (a v1 approval)' : ''}, not as a ${form} package: refusing to install ${pkg.packageId}`,
      { form, approvedForms: [...forms] },
    );
  }
  let approved: ApprovedPackage;
  if (form === 'node') {
    if (pkg.packageId !== approval.packageId) {
      throw new LifecycleError(
        'FINGERPRINT_MISMATCH',
        `package ${pkg.packageId}, but the notified body approved ${approval.packageId} for ${what}: refusing to install`,
        { expected: approval.packageId, found: pkg.packageId },
      );
    }
    if (pkg.codeDigest !== approval.sourceSha256) {
      // The approved bytes, but a record whose code digest is not theirs: the approval contradicts itself.
      throw new LifecycleError(
        'CODE_DIGEST_MISMATCH',
        `package ${pkg.packageId} holds code ${pkg.codeDigest}, but the approval of ${what} names code ${approval.sourceSha256}: refusing to install`,
        { expected: approval.sourceSha256, found: pkg.codeDigest },
      );
    }
    approved = { form, packageId: pkg.packageId, codeDigest: pkg.codeDigest };
  } else {
    const { declaration } = readCcaasPackage(pkg);
    if (declaration === undefined) {
      throw new LifecycleError(
        'CODE_NOT_DECLARED',
        `ccaas package ${pkg.packageId} does not declare the code its server runs (make it with \`metroledger chaincode package --form ccaas\`): refusing to install`,
        { found: pkg.packageId },
      );
    }
    if (declaration.codeDigest !== approval.sourceSha256) {
      throw new LifecycleError(
        'CODE_DIGEST_MISMATCH',
        `ccaas package ${pkg.packageId} declares code ${declaration.codeDigest}, but the notified body approved code ${approval.sourceSha256} for ${what}: refusing to install`,
        { expected: approval.sourceSha256, found: declaration.codeDigest },
      );
    }
    if (declaration.nodePackageId !== approval.packageId) {
      throw new LifecycleError(
        'FINGERPRINT_MISMATCH',
        `ccaas package ${pkg.packageId} declares node package ${declaration.nodePackageId}, but the notified body approved ${approval.packageId} for ${what}: refusing to install`,
        { expected: approval.packageId, found: declaration.nodePackageId },
      );
    }
    if (declaration.chaincodeVersion !== undefined && declaration.chaincodeVersion !== approval.version) {
      throw new LifecycleError(
        'FINGERPRINT_MISMATCH',
        `ccaas package ${pkg.packageId} declares version ${declaration.chaincodeVersion}, but the approval is of ${what}: refusing to install`,
        { expected: approval.version, found: declaration.chaincodeVersion },
      );
    }
    approved = { form, packageId: pkg.packageId, codeDigest: declaration.codeDigest, declaration };
  }
  if (approval.status !== 'APPROVED') {
    throw new LifecycleError('WITHDRAWN_PACKAGE', `the notified body withdrew ${what}: refusing to install ${pkg.packageId}`, {
      version: approval.version,
    });
  }
  return approved;
}
