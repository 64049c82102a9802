// SPDX-License-Identifier: Apache-2.0
// Ordering service interface, batch cutting and the solo orderer.
export { OrderingError, type OrderingErrorCode } from './errors.js';
export type { BatchConfig } from '@metroledger/protocol';
export { BlockCutter, checkBatchConfig, type OrderedResult } from './blockcutter.js';
export { ManualClock, systemClock, type Clock, type Timer } from './clock.js';
export { SoloOrderer, type OrderingService, type SoloOrdererOptions } from './solo.js';
export {
  BftOrderer,
  AppendLog,
  checkEnvelope,
  openReplicaStorage,
  decisionOfBlock,
  committedBlockBytes,
  encodeProposal,
  type BftConsenter,
  type BftOrdererOptions,
  type BftTimings,
  type EnvelopeChecks,
  type ReplicaStorage,
} from './bft/index.js';
