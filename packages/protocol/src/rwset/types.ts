// SPDX-License-Identifier: Apache-2.0
// Read/write sets as Fabric records them (ledger.rwset.kvrwset), in plain TypeScript.

/** The height of the transaction that last wrote a key: Fabric's kvrwset.Version. */
export interface Version {
  readonly blockNum: number;
  readonly txNum: number;
}

export interface VersionedValue {
  readonly value: Uint8Array;
  readonly version: Version;
}

/** A key read during simulation; no version means the key was absent. */
export interface KVRead {
  readonly key: string;
  readonly version?: Version;
}

export interface KVWrite {
  readonly key: string;
  readonly isDelete: boolean;
  readonly value: Uint8Array;
}

/** A range query and the keys it returned, so that validation can detect phantoms. */
export interface RangeQueryInfo {
  readonly startKey: string;
  readonly endKey: string;
  readonly itrExhausted: boolean;
  readonly reads: readonly KVRead[];
}

/** A private key read, as the block holds it (kvrwset.KVReadHash); no version means the key was absent. */
export interface KVReadHash {
  /** SHA-256 of the key's UTF-8 bytes. */
  readonly keyHash: Uint8Array;
  readonly version?: Version;
}

/** A private key written, as the block holds it (kvrwset.KVWriteHash). */
export interface KVWriteHash {
  /** SHA-256 of the key's UTF-8 bytes. */
  readonly keyHash: Uint8Array;
  readonly isDelete: boolean;
  /** SHA-256 of the value; empty for a delete. */
  readonly valueHash: Uint8Array;
  /** Fabric 2.5's purgePrivateData: a delete that also purges the key's earlier private values from the member peers. */
  readonly isPurge?: boolean;
}

/**
 * What a transaction read and wrote in one private data collection, as the block holds it: hashes
 * of keys and values (ledger.rwset.CollectionHashedReadWriteSet); the values stay with the peers.
 */
export interface CollectionHashedRwSet {
  readonly collection: string;
  /** Reads and writes in the order of their keys (the plain keys, as Fabric's rwset builder sorts them). */
  readonly reads: readonly KVReadHash[];
  readonly writes: readonly KVWriteHash[];
  /** SHA-256 of the collection's private KVRWSet bytes (CollectionPvtReadWriteSet.rwset); empty when it wrote nothing. */
  readonly pvtRwSetHash: Uint8Array;
}

/** The private writes of one transaction in one collection (ledger.rwset.CollectionPvtReadWriteSet): only member peers keep them. */
export interface CollectionPvtRwSet {
  readonly collection: string;
  /** Sorted by key; a delete has an empty value. */
  readonly writes: readonly KVWrite[];
}

/** The private writes of one transaction in one namespace (ledger.rwset.NsPvtReadWriteSet). */
export interface NsPvtRwSet {
  readonly namespace: string;
  readonly collections: readonly CollectionPvtRwSet[];
}

/** The reads and writes of one transaction in one namespace (chaincode). */
export interface NsReadWriteSet {
  readonly namespace: string;
  readonly reads: readonly KVRead[];
  readonly rangeQueries: readonly RangeQueryInfo[];
  readonly writes: readonly KVWrite[];
  /** Private data collections touched (Fabric's `_lifecycle` approvals, for one); absent when none. */
  readonly collections?: readonly CollectionHashedRwSet[];
}

/** A consistent snapshot of the world state, as chaincode simulation reads it. */
export interface StateReader {
  get(namespace: string, key: string): Promise<VersionedValue | undefined>;
  /** Keys in UTF-8 byte order, startKey inclusive, endKey exclusive; '' means unbounded. */
  range(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string } & VersionedValue>;
}
