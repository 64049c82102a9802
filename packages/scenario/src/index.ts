// SPDX-License-Identifier: Apache-2.0
// The São Paulo rush-hour scenario (the main job).
export {
  runSaoPaulo,
  gatewayTls,
  formatReport,
  mainJobRegistry,
  CASE_STUDY_ORGANIZATIONS,
  DEFAULT_SCENARIO,
  METER_MODEL,
} from './saopaulo';
export {
  devnetAccess,
  devnetUserMsp,
  setUpSuiteRegistry,
  SUITE_METER_SITE,
  type DevnetLocation,
  type LrPackage,
  type SuiteMeter,
} from './devnet';
export type {
  NetworkAccess,
  OrgCredentials,
  ScenarioOptions,
  ScenarioHooks,
  ScenarioReport,
  ScenarioPhase,
  InFlightOnLedger,
} from './saopaulo';
export { planMeters, planArrivals, drawVehicle } from './plan';
export type { PlannedMeter, ArrivalSchedule, ScenarioPlanOptions } from './plan';
export { runTraffic } from './traffic';
export type { TrafficOptions, TrafficResult, ReadingFates, ReadingRef } from './traffic';
export { TrafficMonitor, formatDuration } from './progress';
export type { TrafficProgress, RunStatus, TrafficMonitorOptions } from './progress';
export { LatencyRecorder, percentile } from './stats';
export type { LatencySummary } from './stats';
export { bootstrapRegistry } from './bootstrap';
export type { BootstrapReport, StepOutcome, OrganizationToAdmit } from './bootstrap';
export { ScenarioError } from './errors';
export type { ScenarioErrorCode } from './errors';
