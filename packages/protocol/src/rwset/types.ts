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

/**
 * What a transaction read and wrote in one private data collection, as the block holds it: hashes
 * of keys and values (ledger.rwset.CollectionHashedReadWriteSet); the values stay with the peers.
 */
export interface CollectionHashedRwSet {
  readonly collection: string;
  /** SHA-256 of each key written, and whether it was deleted. */
  readonly writes: readonly { readonly keyHash: Uint8Array; readonly isDelete: boolean }[];
  readonly reads: number;
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
