// SPDX-License-Identifier: Apache-2.0
// The JSON documents the governance chaincode takes and stores.

/** The fields of an LR software approval that the notified body signs. */
export interface LrSoftwareApprovalFields {
  /** The chaincode name the approval applies to (e.g. 'lr'). */
  chaincodeName: string;
  /** The chaincode version (the chaincode definition's version; e.g. '1.0'). */
  version: string;
  /** The package fingerprint, Fabric's package id `label:sha256hex`. */
  packageId: string;
  /** SHA-256 (hex) of the package's source files (@metroledger/lifecycle's sourceDigest). */
  sourceSha256: string;
  /** The endorsement policy the version must run under, Fabric syntax, e.g. "AND('LaSIGEMSP.peer','PUCPRMSP.peer')". */
  endorsementPolicy: string;
  /**
   * The Fabric package forms this approval admits, in the order node, ccaas (approval v2): `node`,
   * the package `packageId`; `ccaas`, any chaincode-as-a-service package declaring the code
   * `sourceSha256` (its connection is per deployment). Absent in v1 records, which admit `node` only.
   */
  packageForms?: readonly PackageForm[];
}

/** How a chaincode package runs on a peer: built by the peer (`node`) or as a service it dials (`ccaas`). */
export type PackageForm = 'node' | 'ccaas';

/** The argument of `approveLrSoftware`: the fields, the signer and its detached signature. */
export interface LrSoftwareApproval extends LrSoftwareApprovalFields {
  /** The notified-body identity that signed: its MSP id and X.509 certificate (PEM). */
  notifiedBody: { mspId: string; certificatePem: string };
  /** Base64 of a DER ECDSA P-256/SHA-256 signature (low-S) over {@link lrSoftwareApprovalMessage}. */
  signature: string;
}

export type LrSoftwareStatus = 'APPROVED' | 'WITHDRAWN';

/** An LR software version as the registry keeps it (returned by getLrSoftware and friends). */
export interface LrSoftwareRecord extends LrSoftwareApproval {
  status: LrSoftwareStatus;
  approvedTxId: string;
  /** ISO 8601, from the approving transaction's timestamp. */
  approvedAt: string;
  withdrawal?: { reason: string; txId: string; at: string };
}

/** The argument of `approveMeterModel` (type approval of a meter model). */
export interface MeterModelApproval {
  model: string;
  manufacturer: string;
  /** The LR chaincode the versions below refer to. */
  chaincodeName: string;
  /** Versions of that chaincode this model may run with; each must be an approved (not withdrawn) LR software version. Empty = suspended. */
  approvedLrVersions: string[];
  /** The type-approval certificate or ordinance reference, free text. */
  certificateRef: string;
}

/** A meter model's current type approval (a new approval of the same model is a new revision). */
export interface MeterModelRecord extends MeterModelApproval {
  /** 1 for the first approval, +1 for each re-approval. Every revision stays readable. */
  revision: number;
  approvedTxId: string;
  approvedAt: string;
}

export type OrganizationRole = 'COMPUTING_PROVIDER' | 'METER_OWNER' | 'AUDITOR';

/** The argument of `registerOrganization`: a channel organization known to the registry. */
export interface OrganizationRegistration {
  mspId: string;
  name: string;
  roles: OrganizationRole[];
}

export interface OrganizationRecord extends OrganizationRegistration {
  registeredTxId: string;
  registeredAt: string;
}

/** What `getCallerOrganization` answers: the notified body (by configuration) or a registered organization. */
export interface CallerOrganization {
  mspId: string;
  notifiedBody: boolean;
  roles: OrganizationRole[];
}

export type IntegrityIncidentKind =
  /** The installed package's id differs from the one approved for the chaincode's defined version. */
  | 'FINGERPRINT_MISMATCH'
  /** The installed package is not in the registry at all. */
  | 'UNAPPROVED_PACKAGE'
  /** The installed package's version was withdrawn by the notified body. */
  | 'WITHDRAWN_PACKAGE';

/** The argument of `reportIntegrityIncident`, sent by a peer. */
export interface IntegrityIncidentReport {
  kind: IntegrityIncidentKind;
  chaincodeName: string;
  /** The approved package id ('' for UNAPPROVED_PACKAGE when no version is approved). */
  expectedPackageId: string;
  /** What the peer found installed. */
  foundPackageId: string;
  /** The reporting peer's name: must be the common name of the reporting certificate. */
  peer: string;
  /** The peer's organization: must be the reporting identity's MSP id. */
  organization: string;
  /** Optional free text, at most 1024 characters. */
  detail?: string;
}

export interface IntegrityIncidentRecord extends IntegrityIncidentReport {
  /** ISO 8601, from the reporting transaction's timestamp. */
  detectedAt: string;
  txId: string;
}

/** What `checkLrApproval` answers (for the LR chaincode's registerMeter and submitReading). */
export type LrApprovalCheck =
  | {
      approved: true;
      model: string;
      modelRevision: number;
      chaincodeName: string;
      version: string;
      packageId: string;
      /** The approved code digest (the record's sourceSha256): the LR chaincode compares it with the code it runs from. */
      codeDigest: string;
    }
  | { approved: false; code: 'MODEL_NOT_APPROVED' | 'LR_VERSION_NOT_APPROVED'; detail: string };

/** One page of a paginated query; an empty bookmark means there is nothing more. */
export interface Page<T> {
  records: T[];
  bookmark: string;
}
