// SPDX-License-Identifier: Apache-2.0
// The reliability suite (docs/RELIABILITY.md).
export { CASES, runCase, type CaseName, type CaseOptions, type CaseResult } from './cases';
export { runChaos, formatVerdict, type ChaosReport } from './suite';
export { QuotaFileSystem } from './quota';
