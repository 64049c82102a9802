// SPDX-License-Identifier: Apache-2.0
// The governance chaincode's state layout (composite keys, namespace `governance`), owned here and
// imported by every reader of its state (the audit, the devnet's peers):
//   org      [mspId]                  -> OrganizationRecord
//   lrsw     [chaincodeName, version] -> LrSoftwareRecord
//   lrpkg    [packageId]              -> {"chaincodeName","version"}   (one approval per package id)
//   model    [model]                  -> MeterModelRecord (current revision)
//   modelrev [model, rev8]            -> MeterModelRecord (every revision, for audits)
//   incident [detectedAt, txId]       -> IntegrityIncidentRecord      (chronological)
// Readers without a stub build the keys with @metroledger/protocol's `compositeKey`.

/** The composite-key object types of the governance chaincode's state. */
export const GovernanceKeyTypes = {
  ORGANIZATION: 'org',
  LR_SOFTWARE: 'lrsw',
  LR_PACKAGE: 'lrpkg',
  METER_MODEL: 'model',
  METER_MODEL_REVISION: 'modelrev',
  INCIDENT: 'incident',
} as const;
