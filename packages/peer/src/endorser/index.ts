// SPDX-License-Identifier: Apache-2.0
export { Endorser, type EndorserLedger, type EndorserOptions, type ProposalContext } from './endorser.js';
export { PeerError, type PeerErrorCode } from './errors.js';
export {
  checkFingerprint,
  guardChaincode,
  type FingerprintGuardOptions,
  type FingerprintIncident,
  type FingerprintRefusalCode,
  type PackageApproval,
} from './fingerprint.js';
export { LaggingState, type LaggingStateOptions } from './lagging.js';
