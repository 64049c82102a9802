// SPDX-License-Identifier: Apache-2.0
// The notified body's signature over an LR software approval: a canonical encoding of the record,
// signed detached with ECDSA P-256/SHA-256 (DER, low-S), verifiable off-ledger by anyone holding
// the notified body's certificate (which the record carries).
import { createHash, verify, X509Certificate } from 'node:crypto';
import type { LrSoftwareApproval, LrSoftwareApprovalFields, PackageForm } from './types';

/** Domain separation: a signature over this encoding cannot be taken for anything else. */
export const LR_SOFTWARE_APPROVAL_TYPE = 'metroledger/lr-software-approval/v1';
/** Version 2 adds the package forms the approval admits (`packageForms`). */
export const LR_SOFTWARE_APPROVAL_TYPE_V2 = 'metroledger/lr-software-approval/v2';

/** The package forms a record admits: its packageForms, or `node` alone for a v1 record. */
export function approvedPackageForms(fields: Pick<LrSoftwareApprovalFields, 'packageForms'>): readonly PackageForm[] {
  return fields.packageForms ?? ['node'];
}

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** SHA-256 (hex) of a PEM certificate's DER bytes. Throws if the PEM does not parse. */
export function certificateSha256(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
}

/**
 * The bytes the notified body signs: UTF-8 JSON of the approval fields plus the record type, the
 * signer's MSP id and the SHA-256 of its certificate, with keys in code-point order and no
 * whitespace. Every value is a string, so the encoding is unique. A record with `packageForms` is
 * a v2 record: the forms joined with ',' (node before ccaas) are signed too, under the v2 type; a
 * record without is signed exactly as v1 was, so v1 records keep verifying.
 */
export function lrSoftwareApprovalMessage(
  fields: LrSoftwareApprovalFields,
  notifiedBody: { mspId: string; certificatePem: string },
): Uint8Array {
  const obj: Record<string, string> = {
    chaincodeName: fields.chaincodeName,
    endorsementPolicy: fields.endorsementPolicy,
    notifiedBodyCertificateSha256: certificateSha256(notifiedBody.certificatePem),
    notifiedBodyMspId: notifiedBody.mspId,
    packageId: fields.packageId,
    sourceSha256: fields.sourceSha256,
    type: fields.packageForms === undefined ? LR_SOFTWARE_APPROVAL_TYPE : LR_SOFTWARE_APPROVAL_TYPE_V2,
    version: fields.version,
  };
  if (fields.packageForms !== undefined) obj['packageForms'] = canonicalForms(fields.packageForms).join(',');
  for (const [k, v] of Object.entries(obj)) if (typeof v !== 'string') throw new TypeError(`${k} must be a string`);
  const sorted = Object.keys(obj).sort();
  return Buffer.from(JSON.stringify(obj, sorted), 'utf8');
}

const FORM_ORDER: readonly PackageForm[] = ['node', 'ccaas'];

/** The forms in canonical order (node, ccaas); throws on an unknown or repeated form or an empty list. */
export function canonicalForms(forms: readonly string[]): PackageForm[] {
  if (
    !Array.isArray(forms) ||
    forms.length === 0 ||
    new Set(forms).size !== forms.length ||
    forms.some((f) => !FORM_ORDER.includes(f as PackageForm))
  ) {
    throw new TypeError(`packageForms must be a non-empty list of distinct ${FORM_ORDER.join(' | ')}`);
  }
  return FORM_ORDER.filter((f) => forms.includes(f));
}

/**
 * Builds a signed approval record (the argument of approveLrSoftware). `sign` is the notified-body
 * identity's signer: SHA-256 + ECDSA P-256, DER, low-S (identity's SigningIdentity.sign fits).
 */
export function signLrSoftwareApproval(
  fields: LrSoftwareApprovalFields,
  signer: { mspId: string; certificatePem: string; sign(message: Uint8Array): Uint8Array },
): LrSoftwareApproval {
  const notifiedBody = { mspId: signer.mspId, certificatePem: signer.certificatePem };
  const signature = signer.sign(lrSoftwareApprovalMessage(fields, notifiedBody));
  return {
    chaincodeName: fields.chaincodeName,
    version: fields.version,
    packageId: fields.packageId,
    sourceSha256: fields.sourceSha256,
    endorsementPolicy: fields.endorsementPolicy,
    ...(fields.packageForms !== undefined ? { packageForms: canonicalForms(fields.packageForms) } : {}),
    notifiedBody,
    signature: Buffer.from(signature).toString('base64'),
  };
}

/** Whether a DER ECDSA signature is well formed with 0 < s <= n/2 (Fabric rejects high-S). */
function isLowS(der: Buffer): boolean {
  // SEQUENCE { INTEGER r, INTEGER s }, short-form lengths (a P-256 signature is at most 72 bytes)
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return false;
  let i = 2;
  const int = (): bigint | undefined => {
    if (der[i] !== 0x02) return undefined;
    const len = der[i + 1]!;
    if (len === 0 || len > 33 || i + 2 + len > der.length) return undefined;
    const v = BigInt('0x' + der.subarray(i + 2, i + 2 + len).toString('hex'));
    i += 2 + len;
    return v;
  };
  const r = int();
  const s = int();
  return r !== undefined && s !== undefined && i === der.length && r > 0n && s > 0n && s <= P256_N >> 1n;
}

/**
 * Verifies an approval's detached signature with the certificate it carries (what an auditor
 * does off-ledger, after checking that certificate against the notified body's CA). False for a
 * malformed certificate or signature, a key that is not P-256, or a high-S signature.
 */
export function verifyLrSoftwareApproval(record: LrSoftwareApproval): boolean {
  try {
    const cert = new X509Certificate(record.notifiedBody.certificatePem);
    const key = cert.publicKey;
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
    const sig = Buffer.from(record.signature, 'base64');
    if (sig.toString('base64') !== record.signature || !isLowS(sig)) return false;
    return verify('sha256', lrSoftwareApprovalMessage(record, record.notifiedBody), key, sig);
  } catch {
    return false;
  }
}
