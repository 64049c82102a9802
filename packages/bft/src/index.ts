// SPDX-License-Identifier: Apache-2.0
// BFT consensus state machine (PBFT/SmartBFT style) and its deterministic simulator.
export { BftError } from './errors';
export type { BftErrorCode } from './errors';
export type {
  ReplicaId,
  Request,
  CommitSignature,
  Certificate,
  Decision,
  PreparedCertificate,
  Message,
  MessageType,
  SignedMessage,
  RequestsMsg,
  PrePrepareMsg,
  PrepareMsg,
  CommitMsg,
  ComplainMsg,
  ViewChangeMsg,
  NewViewMsg,
  HeartbeatMsg,
  FetchMsg,
  DecisionsMsg,
  SyncViewMsg,
  Network,
  Clock,
  Crypto,
  Storage,
  PersistedState,
  Application,
  TraceSink,
  ReplicaStats,
  SubmitResult,
} from './types';
export { Replica } from './replica';
export type { ReplicaOptions } from './replica';
export { BFT_REPLICAS_MAX, BFT_REPLICAS_MIN, bftFaultTolerance, bftQuorum } from './quorum';
export { bftLeaderOf, verifyDecision, verifyPreparedCertificate, verifySignedMessage } from './verify';
export type { VerifyOptions } from './verify';
export {
  bftProposalDigest,
  bftCommitSigningBytes,
  bftSigningBytes,
  encodeMessage,
  decodeMessage,
  encodeDecision,
  decodeDecision,
  encodePersistedState,
  decodePersistedState,
} from './codec';
export { createMemoryStorage } from './sim/storage';
export { createHmacCrypto } from './sim/crypto';
export { runSimulation, runSoak } from './sim/simulator';
export type { SimulationOptions, SimulationResult, SoakOptions, SoakResult, FaultCounts, FaultMix } from './sim/simulator';
