// SPDX-License-Identifier: Apache-2.0
// The embedded devnet: organizations, crypto material, network assembly, service lifecycle.
export { startDevnet, type Devnet, type StartDevnetOptions, type UserIdentityPaths } from './devnet.js';
export type { DevnetFaults } from './faults.js';
export { DEFAULT_NETWORK } from './config/default-network.js';
export type { ChaincodeConfig, NetworkConfig, OrgConfig, OrgRole } from './network.js';
export { ChannelCollections } from './privatedata.js';
export { DevnetError, type DevnetErrorCode } from './errors.js';
export { bftOrdererOrganizations, DEFAULT_BFT_REPLICAS } from './config/bft-orderers.js';
export type { DevnetBft, OrderingType } from './ordering.js';
export { installChaincodePackage, installedPackage, peerChaincodeDir, tamperedPackage, type InstalledPackage } from './lifecycle.js';
export { defaultLrPackage, type PeerPackage, type SubvertedPeerConfig } from './enforce.js';
export { startDevnetProcess, type DevnetProcess, type DevnetProcessOptions } from './process.js';
export { readRunFile, runningDevnet, isProcessAlive, writeRunFile, RUN_FILE, type RunInfo, type RunningChaincode } from './runfile.js';
export { DATA_DIR_MARKER, DEFAULT_DATA_DIR, prepareDataDir, resetDevnetData } from './datadir.js';
export {
  checkChaincodeLoads,
  chaincodeConfigOf,
  DEFAULT_ENDORSEMENT_POLICY,
  DEPLOYED_CHAINCODES_FILE,
  deployedChaincode,
  forgetDeployedChaincodes,
  parseChaincodeSpec,
  readDeployedChaincodes,
  recordDeployedChaincodes,
  readCollectionsConfig,
  withCollectionsConfig,
  type DeployedChaincode,
} from './chaincodes.js';
// the notified body's approvals as the devnet's peers read them from the world state (a peer assembled outside a devnet reads them the same way)
export { GovernedRegistry, type ApprovalInForce } from './governed.js';
export { DEVNET_HALT_EXIT_CODE, describeHalt, fetchHealth, type DevnetHalt, type DevnetHealth, type DevnetStatus } from './health.js';
export { SILENT_LOGGER, type DevnetLogger, type LogFn } from './log.js';
export { READINGS_RATE_WINDOW_S } from './metrics.js';
