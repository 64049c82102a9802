// SPDX-License-Identifier: Apache-2.0
// Strict checks of the governance chaincode's arguments (all arrive as text).
import { parsePolicy } from '@metroledger/policy';
import { canonicalForms } from './approval';
import { GovernanceError } from './errors';
import type {
  IntegrityIncidentKind,
  IntegrityIncidentReport,
  LrSoftwareApproval,
  MeterModelApproval,
  OrganizationRegistration,
  OrganizationRole,
  PackageForm,
} from './types';

// A Fabric peer returns a page of more than 100 results to a Node chaincode without its bookmark.
export const MAX_PAGE_SIZE = 100;

/** Fabric's chaincode name syntax (lifecycle: ^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$). */
export const CHAINCODE_NAME = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
/** Fabric's chaincode version syntax (lifecycle: ^[A-Za-z0-9_.+-]+$), at most 64 characters here. */
export const CHAINCODE_VERSION = /^[A-Za-z0-9_.+-]{1,64}$/;
/** `label:sha256hex`, label as documented by Fabric. */
export const PACKAGE_ID = /^[a-zA-Z0-9]+([.+\-_][a-zA-Z0-9]+)*:[0-9a-f]{64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
export const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;
const INCIDENT_KINDS: readonly IntegrityIncidentKind[] = ['FINGERPRINT_MISMATCH', 'UNAPPROVED_PACKAGE', 'WITHDRAWN_PACKAGE'];
const ORG_ROLES: readonly OrganizationRole[] = ['COMPUTING_PROVIDER', 'METER_OWNER', 'AUDITOR'];

function invalid(detail: string): GovernanceError {
  return new GovernanceError('INVALID_RECORD', detail);
}

function parseJson(json: string, what: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    throw invalid(`${what} is not valid JSON`);
  }
}

function fields(obj: unknown, what: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw invalid(`${what} must be an object`);
  const record = obj as Record<string, unknown>;
  for (const k of Object.keys(record))
    if (!required.includes(k) && !optional.includes(k)) throw invalid(`${what} has an unknown field "${k}"`);
  for (const k of required) if (!(k in record)) throw invalid(`${what} lacks the field "${k}"`);
  return record;
}

function text(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > max)
    throw invalid(`${what} must be a non-blank string of at most ${max} characters`);
  return v;
}

function matching(v: unknown, what: string, re: RegExp, shape: string): string {
  if (typeof v !== 'string' || !re.test(v)) throw invalid(`${what} must be ${shape}`);
  return v;
}

export function checkChaincodeName(v: unknown): string {
  if (typeof v !== 'string' || !CHAINCODE_NAME.test(v) || v.length > 128) {
    throw new GovernanceError(
      'INVALID_ARGUMENT',
      'chaincodeName must be a Fabric chaincode name (alphanumerics separated by single - or _)',
    );
  }
  return v;
}

export function checkVersion(v: unknown): string {
  if (typeof v !== 'string' || !CHAINCODE_VERSION.test(v))
    throw new GovernanceError('INVALID_ARGUMENT', 'version must be 1..64 of A-Z a-z 0-9 _ . + -');
  return v;
}

export function checkText(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > max) {
    throw new GovernanceError('INVALID_ARGUMENT', `${what} must be a non-blank string of at most ${max} characters`);
  }
  return v;
}

export function checkMspId(v: unknown): string {
  if (typeof v !== 'string' || !MSP_ID.test(v))
    throw new GovernanceError('INVALID_ARGUMENT', 'mspId must be an MSP id (letters, digits, ".", "_", "-"; at most 128)');
  return v;
}

/** Parses approveLrSoftware's argument: shape and syntax only (the signature is checked by the contract). */
export function parseLrSoftwareApproval(json: string): LrSoftwareApproval {
  const r = fields(
    parseJson(json, 'approval'),
    'approval',
    ['chaincodeName', 'version', 'packageId', 'sourceSha256', 'endorsementPolicy', 'notifiedBody', 'signature'],
    ['packageForms'],
  );
  let packageForms: PackageForm[] | undefined;
  if (r.packageForms !== undefined) {
    try {
      packageForms = canonicalForms(r.packageForms as string[]);
    } catch (err) {
      throw invalid((err as Error).message);
    }
    if (JSON.stringify(packageForms) !== JSON.stringify(r.packageForms)) throw invalid("packageForms must be in the order 'node', 'ccaas'");
  }
  const nb = fields(r.notifiedBody, 'notifiedBody', ['mspId', 'certificatePem']);
  const endorsementPolicy = text(r.endorsementPolicy, 'endorsementPolicy', 4096);
  try {
    parsePolicy(endorsementPolicy);
  } catch (err) {
    throw invalid(`endorsementPolicy is not a Fabric policy: ${(err as Error).message}`);
  }
  const certificatePem = matching(nb.certificatePem, 'notifiedBody.certificatePem', PEM_CERT, 'a PEM "CERTIFICATE" block');
  if (certificatePem.length > 8192) throw invalid('notifiedBody.certificatePem is too long');
  return {
    chaincodeName: matching(r.chaincodeName, 'chaincodeName', CHAINCODE_NAME, 'a Fabric chaincode name'),
    version: matching(r.version, 'version', CHAINCODE_VERSION, '1..64 of A-Z a-z 0-9 _ . + -'),
    packageId: matching(r.packageId, 'packageId', PACKAGE_ID, 'a package id label:sha256hex'),
    sourceSha256: matching(r.sourceSha256, 'sourceSha256', SHA256_HEX, '64 lowercase hex digits'),
    endorsementPolicy,
    ...(packageForms !== undefined ? { packageForms } : {}),
    notifiedBody: { mspId: matching(nb.mspId, 'notifiedBody.mspId', MSP_ID, 'an MSP id'), certificatePem },
    signature: matching(r.signature, 'signature', /^[A-Za-z0-9+/]{4,256}={0,2}$/, 'base64'),
  };
}

export function parseMeterModelApproval(json: string): MeterModelApproval {
  const r = fields(parseJson(json, 'meter model'), 'meter model', [
    'model',
    'manufacturer',
    'chaincodeName',
    'approvedLrVersions',
    'certificateRef',
  ]);
  const versions = r.approvedLrVersions;
  if (!Array.isArray(versions) || versions.length > 64) throw invalid('approvedLrVersions must be an array of at most 64 versions');
  const approvedLrVersions = versions.map((v, i) => matching(v, `approvedLrVersions[${i}]`, CHAINCODE_VERSION, 'a chaincode version'));
  if (new Set(approvedLrVersions).size !== approvedLrVersions.length) throw invalid('approvedLrVersions lists a version twice');
  return {
    model: text(r.model, 'model', 128),
    manufacturer: text(r.manufacturer, 'manufacturer', 256),
    chaincodeName: matching(r.chaincodeName, 'chaincodeName', CHAINCODE_NAME, 'a Fabric chaincode name'),
    approvedLrVersions,
    certificateRef: text(r.certificateRef, 'certificateRef', 256),
  };
}

export function parseOrganization(json: string): OrganizationRegistration {
  const r = fields(parseJson(json, 'organization'), 'organization', ['mspId', 'name', 'roles']);
  const roles = r.roles;
  if (
    !Array.isArray(roles) ||
    roles.length === 0 ||
    roles.some((x) => !ORG_ROLES.includes(x as OrganizationRole)) ||
    new Set(roles).size !== roles.length
  ) {
    throw invalid(`roles must be a non-empty list of distinct ${ORG_ROLES.join(' | ')}`);
  }
  return { mspId: matching(r.mspId, 'mspId', MSP_ID, 'an MSP id'), name: text(r.name, 'name', 256), roles: roles as OrganizationRole[] };
}

export function parseIncidentReport(json: string): IntegrityIncidentReport {
  const r = fields(
    parseJson(json, 'incident'),
    'incident',
    ['kind', 'chaincodeName', 'expectedPackageId', 'foundPackageId', 'peer', 'organization'],
    ['detail'],
  );
  if (!INCIDENT_KINDS.includes(r.kind as IntegrityIncidentKind)) throw invalid(`kind must be one of ${INCIDENT_KINDS.join(' | ')}`);
  const kind = r.kind as IntegrityIncidentKind;
  const expected = r.expectedPackageId;
  const expectedPackageId =
    expected === '' && kind === 'UNAPPROVED_PACKAGE'
      ? ''
      : matching(expected, 'expectedPackageId', PACKAGE_ID, "a package id ('' only for UNAPPROVED_PACKAGE)");
  const foundPackageId = matching(r.foundPackageId, 'foundPackageId', PACKAGE_ID, 'a package id');
  if (kind === 'FINGERPRINT_MISMATCH' && expectedPackageId === foundPackageId)
    throw invalid('a FINGERPRINT_MISMATCH needs different expected and found package ids');
  const report: IntegrityIncidentReport = {
    kind,
    chaincodeName: matching(r.chaincodeName, 'chaincodeName', CHAINCODE_NAME, 'a Fabric chaincode name'),
    expectedPackageId,
    foundPackageId,
    peer: text(r.peer, 'peer', 255),
    organization: matching(r.organization, 'organization', MSP_ID, 'an MSP id'),
  };
  if (r.detail !== undefined) report.detail = text(r.detail, 'detail', 1024);
  return report;
}

/** A non-negative safe integer in plain decimal. */
export function parseUint(v: string, what: string): number {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new GovernanceError('INVALID_ARGUMENT', `${what} must be a non-negative integer`);
  }
  return Number(v);
}

export function parsePageSize(v: string): number {
  const n = parseUint(v, 'pageSize');
  if (n < 1 || n > MAX_PAGE_SIZE) throw new GovernanceError('INVALID_ARGUMENT', `pageSize must be 1..${MAX_PAGE_SIZE}`);
  return n;
}
