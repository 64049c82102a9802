// SPDX-License-Identifier: Apache-2.0
// Endorsing and committing peer: endorsement, validation, commit, block delivery.
export {
  Endorser,
  PeerError,
  type EndorserLedger,
  type EndorserOptions,
  type PeerErrorCode,
  type ProposalContext,
} from './endorser/index.js';
export {
  checkFingerprint,
  guardChaincode,
  type FingerprintGuardOptions,
  type FingerprintIncident,
  type FingerprintRefusalCode,
  type PackageApproval,
} from './endorser/index.js';
export { LaggingState, type LaggingStateOptions } from './endorser/index.js';
export * from './committer/index.js';
export * from './privatedata/index.js';
export { SignatureVerifierPool, type SignatureVerifierPoolOptions } from './verify/index.js';
