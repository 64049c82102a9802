// SPDX-License-Identifier: Apache-2.0
export {
  Committer,
  type CommitNotice,
  type CommittedEvent,
  type CommittedTx,
  type CommitterHalt,
  type CommitterLedger,
  type CommitterOptions,
  type TxStatus,
} from './committer.js';
export { quorumBlockVerifier, soloBlockVerifier, type BlockVerifier, type MembershipOptions } from './verifier.js';
export type { CommitterErrorCode } from './errors.js';
