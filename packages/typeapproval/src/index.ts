// SPDX-License-Identifier: Apache-2.0
// Type-approval bench: runs LR software over reference sets and judges it against the legal MPE.
export { TypeApprovalError, type TypeApprovalErrorCode } from './errors';
export { formatCaseLine, parseCaseLine, type ParsedCase, type CaseTruth } from './cases';
export {
  runCase,
  Verification,
  formatSummary,
  withinOnePercent,
  withinTwoPercent,
  TARGETS,
  type CaseOutcome,
  type VerificationSummary,
  type BucketSummary,
  type ScenarioSummary,
} from './verify';
export { benchLr, type LrBenchResult } from './bench';
export {
  verifyGoldenVectors,
  runGolden,
  outcomeOf,
  goldenDir,
  parseGoldenInputs,
  type GoldenInput,
  type GoldenOutcome,
  type GoldenExpected,
  type GoldenVerdict,
  type GoldenCaseResult,
} from './golden';
export {
  renderDossier,
  referenceSetEvidence,
  refusalSites,
  type DossierInput,
  type ReferenceSetEvidence,
  type IdentificationRow,
  type SourceFile,
} from './dossier';
export { renderPdf } from './pdf';
