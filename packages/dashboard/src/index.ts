// SPDX-License-Identifier: Apache-2.0
// A live web view of the measuring system: the network, throughput and latency, blocks and
// transactions down to one measurement's raw loop signals, measurements, refusals, meters with
// their surveillance statistics, the governance registry and the last audit's verdict.
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { startDevnetDashboard, DEVNET_AUDIT_REPORT, type DevnetDashboardOptions, type DevnetView } from './devnet.js';
export { channelOfClient, type BlockStream, type ChannelPort, type ClientChannelOptions } from './channel.js';
export { healthzProbe, functionProbe, type HealthProbe } from './health.js';
export { DEFAULT_LIMITS, dashboardLimits, type DashboardLimits } from './limits.js';
export { DashboardError, type DashboardErrorCode } from './errors.js';
export type { NetworkExtras, RegistrySnapshot } from './model.js';
export type * from './api.js';
