// SPDX-License-Identifier: Apache-2.0
// The governance chaincode: the notified body's on-ledger registry of approved LR software, meter
// type approvals and channel organizations, and the peers' integrity incident reports.
// State layout: ./keys.
import { X509Certificate } from 'node:crypto';
import { Context, Contract, Transaction } from 'fabric-contract-api';
import { verifyLrSoftwareApproval } from './approval';
import { callerOf, describeCaller, type Caller } from './caller';
import { NOTIFIED_BODY_MSP_ID } from './config';
import { GovernanceError } from './errors';
import { GovernanceKeyTypes } from './keys';
import type {
  CallerOrganization,
  IntegrityIncidentRecord,
  LrApprovalCheck,
  LrSoftwareRecord,
  MeterModelRecord,
  OrganizationRecord,
  Page,
} from './types';
import {
  checkChaincodeName,
  checkMspId,
  checkText,
  checkVersion,
  PACKAGE_ID,
  parseIncidentReport,
  parseLrSoftwareApproval,
  parseMeterModelApproval,
  parseOrganization,
  parsePageSize,
} from './validation';

const {
  ORGANIZATION: ORG,
  LR_SOFTWARE,
  LR_PACKAGE,
  METER_MODEL: MODEL,
  METER_MODEL_REVISION: MODEL_REVISION,
  INCIDENT,
} = GovernanceKeyTypes;

export const LR_SOFTWARE_APPROVED_EVENT = 'LrSoftwareApproved';
export const LR_SOFTWARE_WITHDRAWN_EVENT = 'LrSoftwareWithdrawn';
export const METER_MODEL_APPROVED_EVENT = 'MeterModelApproved';
export const ORGANIZATION_REGISTERED_EVENT = 'OrganizationRegistered';
export const INTEGRITY_INCIDENT_EVENT = 'IntegrityIncident';

const PRINTABLE = /^[\x20-\x7e]+$/;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function parse<T>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

function txTime(ctx: Context): string {
  return ctx.stub.getDateTimestamp().toISOString();
}

function checkModelName(v: string): string {
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > 128 || !PRINTABLE.test(v)) {
    throw new GovernanceError('INVALID_ARGUMENT', 'model must be 1..128 printable ASCII characters');
  }
  return v;
}

function encodeBookmark(key: string | undefined): string {
  return key ? Buffer.from(key, 'utf8').toString('base64url') : '';
}

function decodeBookmark(bookmark: string, prefix: string): string {
  if (bookmark === '') return '';
  const key = /^[A-Za-z0-9_-]+$/.test(bookmark) ? Buffer.from(bookmark, 'base64url').toString('utf8') : '';
  if (!key.startsWith(prefix) || key.length === prefix.length)
    throw new GovernanceError('INVALID_ARGUMENT', 'bookmark does not belong to this query');
  return key;
}

async function collect<T>(iter: AsyncIterable<{ value: Uint8Array }>): Promise<T[]> {
  const out: T[] = [];
  for await (const kv of iter) out.push(parse<T>(kv.value));
  return out;
}

export class GovernanceContract extends Contract {
  constructor() {
    super('governance');
  }

  // ---- access control -------------------------------------------------------------------------

  #requireNotifiedBodyAdmin(ctx: Context, action: string): Caller {
    const caller = callerOf(ctx);
    if (caller.mspId !== NOTIFIED_BODY_MSP_ID || caller.role !== 'admin') {
      throw new GovernanceError(
        'ACCESS_DENIED',
        `only an admin of ${NOTIFIED_BODY_MSP_ID} may ${action}; caller is ${describeCaller(caller)}`,
      );
    }
    return caller;
  }

  /** The notified body, or an organization it registered; anyone else is refused. */
  async #requireMember(ctx: Context): Promise<{ caller: Caller; org: CallerOrganization }> {
    const caller = callerOf(ctx);
    if (caller.mspId === NOTIFIED_BODY_MSP_ID) return { caller, org: { mspId: caller.mspId, notifiedBody: true, roles: [] } };
    const bytes = await ctx.stub.getState(ctx.stub.createCompositeKey(ORG, [caller.mspId]));
    if (bytes.length === 0) throw new GovernanceError('ACCESS_DENIED', `organization ${caller.mspId} is not registered on this channel`);
    const org = parse<OrganizationRecord>(bytes);
    return { caller, org: { mspId: org.mspId, notifiedBody: false, roles: org.roles } };
  }

  // ---- organizations --------------------------------------------------------------------------

  /** Registers a channel organization or replaces its name and roles (notified-body admin only). */
  @Transaction()
  async registerOrganization(ctx: Context, organizationJson: string): Promise<OrganizationRecord> {
    this.#requireNotifiedBodyAdmin(ctx, 'register organizations');
    const reg = parseOrganization(organizationJson);
    if (reg.mspId === NOTIFIED_BODY_MSP_ID)
      throw new GovernanceError('INVALID_RECORD', `${NOTIFIED_BODY_MSP_ID} is the notified body by configuration`);
    const record: OrganizationRecord = { ...reg, registeredTxId: ctx.stub.getTxID(), registeredAt: txTime(ctx) };
    const bytes = json(record);
    await ctx.stub.putState(ctx.stub.createCompositeKey(ORG, [reg.mspId]), bytes);
    ctx.stub.setEvent(ORGANIZATION_REGISTERED_EVENT, bytes);
    return record;
  }

  @Transaction(false)
  async getOrganization(ctx: Context, mspId: string): Promise<OrganizationRecord> {
    await this.#requireMember(ctx);
    checkMspId(mspId);
    const bytes = await ctx.stub.getState(ctx.stub.createCompositeKey(ORG, [mspId]));
    if (bytes.length === 0) throw new GovernanceError('ORGANIZATION_NOT_FOUND', `organization ${mspId} is not registered`);
    return parse<OrganizationRecord>(bytes);
  }

  @Transaction(false)
  async listOrganizations(ctx: Context): Promise<OrganizationRecord[]> {
    await this.#requireMember(ctx);
    return collect<OrganizationRecord>(ctx.stub.getStateByPartialCompositeKey(ORG, []));
  }

  /** The caller's organization: the notified body, or a registered one (ACCESS_DENIED otherwise). */
  @Transaction(false)
  async getCallerOrganization(ctx: Context): Promise<CallerOrganization> {
    return (await this.#requireMember(ctx)).org;
  }

  // ---- LR software ----------------------------------------------------------------------------

  /**
   * Approves one version of an LR chaincode (notified-body admin only). The record must be signed
   * by the submitting identity itself (see approval.ts); its endorsement policy must parse.
   */
  @Transaction()
  async approveLrSoftware(ctx: Context, recordJson: string): Promise<LrSoftwareRecord> {
    const caller = this.#requireNotifiedBodyAdmin(ctx, 'approve LR software');
    const approval = parseLrSoftwareApproval(recordJson);
    if (approval.notifiedBody.mspId !== NOTIFIED_BODY_MSP_ID) {
      throw new GovernanceError('INVALID_RECORD', `notifiedBody.mspId must be ${NOTIFIED_BODY_MSP_ID}`);
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(approval.notifiedBody.certificatePem);
    } catch (err) {
      throw new GovernanceError('INVALID_RECORD', `notifiedBody.certificatePem does not parse: ${(err as Error).message}`);
    }
    // The peer validated the submitter's certificate against the notified body's MSP: binding the
    // signer to the submitter makes the carried certificate one the channel trusts.
    if (!cert.raw.equals(caller.certDer)) {
      throw new GovernanceError(
        'INVALID_RECORD',
        'the approval must be signed by the submitting notified-body identity (notifiedBody.certificatePem is another certificate)',
      );
    }
    const now = ctx.stub.getDateTimestamp().getTime();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      throw new GovernanceError('INVALID_RECORD', 'the notified-body certificate is not valid at the transaction time');
    }
    if (!verifyLrSoftwareApproval(approval)) {
      throw new GovernanceError(
        'BAD_SIGNATURE',
        `the signature over ${approval.chaincodeName} ${approval.version} does not verify with the notified-body certificate`,
      );
    }
    const key = ctx.stub.createCompositeKey(LR_SOFTWARE, [approval.chaincodeName, approval.version]);
    if ((await ctx.stub.getState(key)).length !== 0) {
      throw new GovernanceError(
        'LR_SOFTWARE_EXISTS',
        `${approval.chaincodeName} version ${approval.version} is already in the registry; a new approval needs a new version`,
      );
    }
    const pkgKey = ctx.stub.createCompositeKey(LR_PACKAGE, [approval.packageId]);
    const pkg = await ctx.stub.getState(pkgKey);
    if (pkg.length !== 0) {
      const other = parse<{ chaincodeName: string; version: string }>(pkg);
      throw new GovernanceError(
        'PACKAGE_ID_IN_USE',
        `package ${approval.packageId} is already approved as ${other.chaincodeName} ${other.version}`,
      );
    }
    const record: LrSoftwareRecord = { ...approval, status: 'APPROVED', approvedTxId: ctx.stub.getTxID(), approvedAt: txTime(ctx) };
    const bytes = json(record);
    await ctx.stub.putState(key, bytes);
    await ctx.stub.putState(pkgKey, json({ chaincodeName: approval.chaincodeName, version: approval.version }));
    ctx.stub.setEvent(LR_SOFTWARE_APPROVED_EVENT, bytes);
    return record;
  }

  /** Withdraws an approved version (notified-body admin only). It stays listed, marked WITHDRAWN. */
  @Transaction()
  async withdrawLrSoftware(ctx: Context, chaincodeName: string, version: string, reason: string): Promise<LrSoftwareRecord> {
    this.#requireNotifiedBodyAdmin(ctx, 'withdraw LR software');
    checkChaincodeName(chaincodeName);
    checkVersion(version);
    checkText(reason, 'reason', 512);
    const key = ctx.stub.createCompositeKey(LR_SOFTWARE, [chaincodeName, version]);
    const record = await this.#lrSoftware(ctx, key, chaincodeName, version);
    if (record.status === 'WITHDRAWN')
      throw new GovernanceError('LR_SOFTWARE_WITHDRAWN', `${chaincodeName} version ${version} is already withdrawn`);
    const withdrawn: LrSoftwareRecord = {
      ...record,
      status: 'WITHDRAWN',
      withdrawal: { reason, txId: ctx.stub.getTxID(), at: txTime(ctx) },
    };
    const bytes = json(withdrawn);
    await ctx.stub.putState(key, bytes);
    ctx.stub.setEvent(LR_SOFTWARE_WITHDRAWN_EVENT, bytes);
    return withdrawn;
  }

  async #lrSoftware(ctx: Context, key: string, chaincodeName: string, version: string): Promise<LrSoftwareRecord> {
    const bytes = await ctx.stub.getState(key);
    if (bytes.length === 0)
      throw new GovernanceError('LR_SOFTWARE_NOT_FOUND', `${chaincodeName} version ${version} is not in the registry`);
    return parse<LrSoftwareRecord>(bytes);
  }

  @Transaction(false)
  async getLrSoftware(ctx: Context, chaincodeName: string, version: string): Promise<LrSoftwareRecord> {
    await this.#requireMember(ctx);
    checkChaincodeName(chaincodeName);
    checkVersion(version);
    return this.#lrSoftware(ctx, ctx.stub.createCompositeKey(LR_SOFTWARE, [chaincodeName, version]), chaincodeName, version);
  }

  /** The registry entry of an installed package, by its package id (for the endorsers' fingerprint check). */
  @Transaction(false)
  async getLrSoftwareByPackageId(ctx: Context, packageId: string): Promise<LrSoftwareRecord> {
    await this.#requireMember(ctx);
    if (typeof packageId !== 'string' || !PACKAGE_ID.test(packageId))
      throw new GovernanceError('INVALID_ARGUMENT', 'packageId must be label:sha256hex');
    const pkg = await ctx.stub.getState(ctx.stub.createCompositeKey(LR_PACKAGE, [packageId]));
    if (pkg.length === 0) throw new GovernanceError('LR_SOFTWARE_NOT_FOUND', `package ${packageId} is not in the registry`);
    const { chaincodeName, version } = parse<{ chaincodeName: string; version: string }>(pkg);
    return this.#lrSoftware(ctx, ctx.stub.createCompositeKey(LR_SOFTWARE, [chaincodeName, version]), chaincodeName, version);
  }

  /** Every version of a chaincode ever approved, withdrawn ones included, in version-string order. */
  @Transaction(false)
  async listLrSoftware(ctx: Context, chaincodeName: string): Promise<LrSoftwareRecord[]> {
    await this.#requireMember(ctx);
    checkChaincodeName(chaincodeName);
    return collect<LrSoftwareRecord>(ctx.stub.getStateByPartialCompositeKey(LR_SOFTWARE, [chaincodeName]));
  }

  /** The versions of a chaincode currently approved (not withdrawn). */
  @Transaction(false)
  async getActiveLrSoftware(ctx: Context, chaincodeName: string): Promise<LrSoftwareRecord[]> {
    await this.#requireMember(ctx);
    checkChaincodeName(chaincodeName);
    return (await collect<LrSoftwareRecord>(ctx.stub.getStateByPartialCompositeKey(LR_SOFTWARE, [chaincodeName]))).filter(
      (r) => r.status === 'APPROVED',
    );
  }

  // ---- meter models (type approval) -----------------------------------------------------------

  /**
   * Approves a meter model, or re-approves it as a new revision (notified-body admin only). Each
   * listed LR version must be approved and not withdrawn; an empty list suspends the model.
   */
  @Transaction()
  async approveMeterModel(ctx: Context, modelJson: string): Promise<MeterModelRecord> {
    this.#requireNotifiedBodyAdmin(ctx, 'approve meter models');
    const approval = parseMeterModelApproval(modelJson);
    checkModelName(approval.model);
    for (const version of approval.approvedLrVersions) {
      const sw = await this.#lrSoftware(
        ctx,
        ctx.stub.createCompositeKey(LR_SOFTWARE, [approval.chaincodeName, version]),
        approval.chaincodeName,
        version,
      );
      if (sw.status !== 'APPROVED')
        throw new GovernanceError('LR_SOFTWARE_WITHDRAWN', `${approval.chaincodeName} version ${version} was withdrawn`);
    }
    const key = ctx.stub.createCompositeKey(MODEL, [approval.model]);
    const current = await ctx.stub.getState(key);
    const revision = current.length === 0 ? 1 : parse<MeterModelRecord>(current).revision + 1;
    const record: MeterModelRecord = { ...approval, revision, approvedTxId: ctx.stub.getTxID(), approvedAt: txTime(ctx) };
    const bytes = json(record);
    await ctx.stub.putState(key, bytes);
    await ctx.stub.putState(ctx.stub.createCompositeKey(MODEL_REVISION, [approval.model, revision.toString().padStart(8, '0')]), bytes);
    ctx.stub.setEvent(METER_MODEL_APPROVED_EVENT, bytes);
    return record;
  }

  @Transaction(false)
  async getMeterModel(ctx: Context, model: string): Promise<MeterModelRecord> {
    await this.#requireMember(ctx);
    const bytes = await ctx.stub.getState(ctx.stub.createCompositeKey(MODEL, [checkModelName(model)]));
    if (bytes.length === 0) throw new GovernanceError('METER_MODEL_NOT_FOUND', `meter model ${model} is not type-approved`);
    return parse<MeterModelRecord>(bytes);
  }

  /** Every revision of a model's type approval, oldest first. */
  @Transaction(false)
  async getMeterModelHistory(ctx: Context, model: string): Promise<MeterModelRecord[]> {
    await this.#requireMember(ctx);
    return collect<MeterModelRecord>(ctx.stub.getStateByPartialCompositeKey(MODEL_REVISION, [checkModelName(model)]));
  }

  @Transaction(false)
  async listMeterModels(ctx: Context): Promise<MeterModelRecord[]> {
    await this.#requireMember(ctx);
    return collect<MeterModelRecord>(ctx.stub.getStateByPartialCompositeKey(MODEL, []));
  }

  /**
   * Whether `model` may run `chaincodeName` at `version`: the model is type-approved, lists the
   * version, and the version is approved and not withdrawn. Read-only; meant for the LR chaincode
   * (stub.invokeChaincode), whose transaction then records these reads.
   */
  @Transaction(false)
  async checkLrApproval(ctx: Context, model: string, chaincodeName: string, version: string): Promise<LrApprovalCheck> {
    await this.#requireMember(ctx);
    checkModelName(model);
    checkChaincodeName(chaincodeName);
    checkVersion(version);
    const bytes = await ctx.stub.getState(ctx.stub.createCompositeKey(MODEL, [model]));
    if (bytes.length === 0) return { approved: false, code: 'MODEL_NOT_APPROVED', detail: `meter model ${model} is not type-approved` };
    const m = parse<MeterModelRecord>(bytes);
    if (m.chaincodeName !== chaincodeName || !m.approvedLrVersions.includes(version)) {
      return {
        approved: false,
        code: 'LR_VERSION_NOT_APPROVED',
        detail: `meter model ${model} (revision ${m.revision}) is not approved with ${chaincodeName} version ${version}`,
      };
    }
    const sw = await ctx.stub.getState(ctx.stub.createCompositeKey(LR_SOFTWARE, [chaincodeName, version]));
    const record = sw.length === 0 ? undefined : parse<LrSoftwareRecord>(sw);
    if (record === undefined || record.status !== 'APPROVED') {
      return {
        approved: false,
        code: 'LR_VERSION_NOT_APPROVED',
        detail: `${chaincodeName} version ${version} is ${record === undefined ? 'not in the registry' : 'withdrawn'}`,
      };
    }
    return {
      approved: true,
      model,
      modelRevision: m.revision,
      chaincodeName,
      version,
      packageId: record.packageId,
      codeDigest: record.sourceSha256,
    };
  }

  // ---- integrity incidents (paper, attack 2) ---------------------------------------------------

  /**
   * Records an integrity incident found by a peer (e.g. an installed package whose fingerprint is
   * not the approved one). Callable by peer identities of the notified body or a registered
   * organization, for themselves: `organization` must be the caller's MSP and `peer` its name.
   */
  @Transaction()
  async reportIntegrityIncident(ctx: Context, incidentJson: string): Promise<IntegrityIncidentRecord> {
    const { caller } = await this.#requireMember(ctx);
    if (caller.role !== 'peer')
      throw new GovernanceError('ACCESS_DENIED', `only peers report integrity incidents; caller is ${describeCaller(caller)}`);
    const report = parseIncidentReport(incidentJson);
    if (report.organization !== caller.mspId) {
      throw new GovernanceError('ACCESS_DENIED', `a peer of ${caller.mspId} cannot report for ${report.organization}`);
    }
    if (report.peer !== caller.commonName) {
      throw new GovernanceError('ACCESS_DENIED', `peer ${caller.commonName} cannot report as ${report.peer}`);
    }
    const record: IntegrityIncidentRecord = { ...report, detectedAt: txTime(ctx), txId: ctx.stub.getTxID() };
    const bytes = json(record);
    await ctx.stub.putState(ctx.stub.createCompositeKey(INCIDENT, [record.detectedAt, record.txId]), bytes);
    ctx.stub.setEvent(INTEGRITY_INCIDENT_EVENT, bytes);
    return record;
  }

  /** Incidents in order of detection; pageSize 1..100; bookmark '' for the first page. */
  @Transaction(false)
  async listIntegrityIncidents(ctx: Context, pageSize: string, bookmark: string): Promise<Page<IntegrityIncidentRecord>> {
    await this.#requireMember(ctx);
    const size = parsePageSize(pageSize);
    const start = decodeBookmark(bookmark, ctx.stub.createCompositeKey(INCIDENT, []));
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(INCIDENT, [], size, start);
    const records: IntegrityIncidentRecord[] = [];
    try {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) records.push(parse<IntegrityIncidentRecord>(r.value.value));
    } finally {
      await iterator.close();
    }
    return { records, bookmark: encodeBookmark(metadata?.bookmark) };
  }
}
