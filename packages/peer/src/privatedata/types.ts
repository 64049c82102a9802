// SPDX-License-Identifier: Apache-2.0
// What the endorser and the committer need for private data collections.
import type { PrivateDataAccess } from '@metroledger/chaincode-host';
import type { PrivateTxData } from '@metroledger/ledger';
import type { NsPvtRwSet } from '@metroledger/protocol';

export interface EndorserPrivateData {
  /** The collections and this peer's own private values, for the simulation. */
  readonly access: PrivateDataAccess;
  /**
   * Fabric's DistributePrivateData: called after a successful simulation that wrote private data,
   * before the endorsement is returned. Keeps the writes where the collections' member peers will
   * find them at commit (the transient stores). A rejection fails the proposal.
   */
  distribute(txId: string, data: readonly NsPvtRwSet[]): Promise<void> | void;
}

/** One peer's private data store, as the committer writes it (@metroledger/ledger's PrivateStore fits). */
export interface PrivateDataStore {
  /** Called for every block (with no transactions where none is for this peer), so that blockToLive purges run. */
  commitBlock(blockNum: number, txs: readonly PrivateTxData[]): Promise<void>;
}

export interface CommitterPrivateData {
  /** The private writes of a transaction, from the transient stores of the peers that endorsed it; undefined if none has them. */
  fetch(txId: string): readonly NsPvtRwSet[] | undefined | Promise<readonly NsPvtRwSet[] | undefined>;
  /** The peers' private stores, each with the collections its organization is a member of. */
  readonly peers: readonly { readonly isMember: (namespace: string, collection: string) => boolean; readonly store: PrivateDataStore }[];
  /** After the block is committed: its transactions' transient copies can go (a failure here is the transient store's, not the commit's). */
  committed?(txIds: readonly string[], height: number): void | Promise<void>;
}

/** A valid transaction's private writes that no member peer could store: not found, or not matching the block's hashes. */
export interface MissingPrivateData {
  readonly txId: string;
  readonly namespace: string;
  readonly collection: string;
  readonly reason: 'NOT_FOUND' | 'HASH_MISMATCH';
}
