// SPDX-License-Identifier: Apache-2.0
// BFT ordering: @metroledger/bft replicas over Fabric blocks, with WAL storage and an in-process transport.
export { BftOrderer, type BftConsenter, type BftOrdererOptions, type BftTimings } from './orderer.js';
export { checkEnvelope, type EnvelopeChecks } from './app.js';
export { openReplicaStorage, type ReplicaStorage } from './storage.js';
export { AppendLog } from './wal.js';
export { decisionOfBlock, committedBlockBytes, encodeProposal } from './blocks.js';
