// SPDX-License-Identifier: Apache-2.0
// Ledger audit: hash chain, orderer and transaction signatures, endorsement policies, meter
// signatures, sequence continuity and re-execution of the LR software, incremental by checkpoint.
export { AuditError, type AuditErrorCode } from './errors';
export { FINDING_SEVERITY, type Finding, type FindingCode, type Severity } from './findings';
export {
  runAudit,
  parseCheckpoint,
  blockHash,
  CHECKPOINT_FORMAT,
  type AuditOptions,
  type AuditResult,
  type AuditReport,
  type AuditCheckpoint,
  type AuditCounts,
  type AuditProgress,
  type LrSoftwareUse,
  type Verdict,
} from './auditor';
export type { AuditPlugin, ValidTxView, PluginReport, SoftwareApprovalView } from './plugins';
export { governancePlugin } from './governance';
export type { WriteFact, LrImplementation, FieldMismatch, MeterDoc, StoredRecord } from './analyze';
export { expectedRecord } from './analyze';
export { bundledLrModule, loadLrImplementation, readLrPackage, loadPackagedLr } from './lrsoftware';
export {
  ledgerDirectorySource,
  deliverSource,
  memorySource,
  resolveLedger,
  peekBlockNumber,
  type BlockSource,
  type SourcedBlock,
  type BlockFilePosition,
  type BlockFileFormat,
  type DamagedBytes,
  type DeclaredHeight,
  type DeliverSourceOptions,
  type LedgerLocation,
} from './sources';
export { formatAuditText, formatAuditHtml } from './report';
export { measureAuditThroughput, type AuditThroughputRun } from './throughput';
export { escapeHtml, htmlDocument, svgBarChart } from './html';
