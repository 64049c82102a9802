// SPDX-License-Identifier: Apache-2.0
// Block store (append-only fsync'd files) and world state / indexes in LevelDB.
export { LedgerError, type LedgerErrorCode } from './errors';
export { blockContents, decodeBlock, type BlockContents, type DecodedBlock, type StateUpdate, type TxIndexEntry } from './blockparse';
export {
  BlockStore,
  readBlockIndex,
  type BlockLocation,
  type BlockStoreOptions,
  type BlockStoreRecovery,
  type IterateOptions,
  type TxLocation,
} from './blockstore';
export { StateDb, type StateKey, type StateSnapshot } from './statedb';
export { Ledger, type CommitResult, type LedgerOptions, type LedgerRecovery } from './ledger';
export { PrivateStore, type PrivatePurge, type PrivateStoreOptions, type PrivateTxData } from './privatestore';
export { TransientStore, DEFAULT_TRANSIENT_RETENTION, type TransientStoreOptions } from './transientstore';
export { expiringBlock, type BlockToLive } from './expiry';
export {
  readBlockRecords,
  listBlockFiles,
  peekBlockNumber,
  type BlockFileEntry,
  type BlockRecord,
  type DamagedRecord,
  type ReadBlockRecordsOptions,
  type RecordDamageCode,
  type RecordPosition,
} from './records';
export {
  resolveChainsDir,
  verifyLedgerFiles,
  type LedgerFinding,
  type LedgerFindingCode,
  type LedgerVerification,
  type VerifyLedgerOptions,
} from './verify';
export type { BlockFileHandle, BlockFileSystem } from './files';
