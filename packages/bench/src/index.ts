// SPDX-License-Identifier: Apache-2.0
// End-to-end benchmarks on a devnet process: closed-loop sweep (the paper's Figures 4 and 5),
// open-loop arrival rates, aggregated submissions; CSV/JSON results and SVG charts.
export { BenchError, type BenchErrorCode } from './errors';
export {
  runSweep,
  runOpenLoop,
  runAggregate,
  type CommonOptions,
  type SweepOptions,
  type OpenLoopOptions,
  type AggregateOptions,
  type BenchRun,
} from './suite';
export type { PointResult, PointMode } from './load';
export type { Ordering } from './load';
export { LedgerChecker, devnetBlocks, readingKey, type LedgerCheck, type CommittedBlocks } from './verify';
export type { CpuUse } from './proc';
export { formatPoint, toCsv, sweepChart, openLoopChart, machineInfo, type MachineInfo } from './output';
export { runOutage, formatOutage, type OutageOptions, type OutageResult } from './outage';
export { runEndorseBench, type EndorseBenchOptions, type EndorseBenchResult, type EndorsePoint } from './endorse/bench';
export { sizeDeployment, formatSizing, type Sizing, type SizingDemand, type NodeSizing } from './sizing/sizing';
export {
  FABRIC_FIGURES,
  DEVNET_MEASURED,
  devnetFigures,
  type DevnetMeasurements,
  type FigureSet,
  type PerReadingCpu,
} from './sizing/figures';
