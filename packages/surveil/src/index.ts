// SPDX-License-Identifier: Apache-2.0
// Public surveillance over the ledger: per-meter and hourly statistics, anomaly flags, reports.
export { SurveilError, type SurveilErrorCode } from './errors';
export { collectMeasurements, type Collected, type MeterInfo, type SurveilReading } from './collect';
export {
  surveil,
  HISTOGRAM_BIN_KMH,
  type Flag,
  type FlagCode,
  type HourlyStats,
  type MeterStats,
  type SurveilOptions,
  type SurveilReport,
} from './surveil';
export { ksTwoSample, robustZ, quantile, haversineKm, type KsResult } from './stats';
export { formatSurveilText, formatSurveilHtml } from './report';
export {
  pseudonymizeReport,
  meterPseudonym,
  pseudonymPeriod,
  type PseudonymOptions,
  type PseudonymRotation,
  type PublicSurveilReport,
} from './pseudonym';
