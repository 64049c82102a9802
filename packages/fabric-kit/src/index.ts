// SPDX-License-Identifier: Apache-2.0
// The production kit for real Hyperledger Fabric 2.5 LTS / 3.x without Docker.
export { FabricKitError, type FabricKitErrorCode } from './errors.js';
export * from './topology.js';
export { renderOverlay, formatEnvFile, KIT_DIR, CONFIG_DIR, BUILDER_DIR } from './overlay.js';
export { locateFabric, type FabricInstall } from './fabric.js';
export { up, down, clean, defaultProfile, checkProfile, configtxFor } from './network.js';
export { deploy, ccaasPackager, ccaasLauncher, type Packager, type ServerLauncher } from './chaincodes.js';
export { readState, type NetworkState, type DeployedChaincode } from './state.js';
