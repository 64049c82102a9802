// SPDX-License-Identifier: Apache-2.0
// The embedded devnet: organizations, crypto material, network assembly, service lifecycle.
export { startDevnet, type Devnet, type StartDevnetOptions, type UserIdentityPaths } from './devnet.js';
export type { DevnetFaults } from './faults.js';
export { DEFAULT_NETWORK } from './config/default-network.js';
export type { ChaincodeConfig, NetworkConfig, OrgConfig, OrgRole } from './network.js';
export { DevnetError, type DevnetErrorCode } from './errors.js';
export { bftOrdererOrganizations, DEFAULT_BFT_REPLICAS } from './config/bft-orderers.js';
export type { DevnetBft, OrderingType } from './ordering.js';
export { installChaincodePackage, installedPackage, peerChaincodeDir, tamperedPackage, type InstalledPackage } from './lifecycle.js';
export { defaultLrPackage, type PeerPackage, type SubvertedPeerConfig } from './enforce.js';
export { startDevnetProcess, type DevnetProcess, type DevnetProcessOptions } from './process.js';
export { readRunFile, runningDevnet, isProcessAlive, writeRunFile, RUN_FILE, type RunInfo } from './runfile.js';
export { DATA_DIR_MARKER, prepareDataDir, resetDevnetData } from './datadir.js';
export { DEVNET_HALT_EXIT_CODE, describeHalt, fetchHealth, type DevnetHalt, type DevnetHealth, type DevnetStatus } from './health.js';
