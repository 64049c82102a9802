// SPDX-License-Identifier: Apache-2.0
// Fabric protocol cores: proposals, transactions, blocks, read/write sets, validation.
export type { Version, VersionedValue, KVRead, KVWrite, RangeQueryInfo, NsReadWriteSet, CollectionHashedRwSet, StateReader } from './rwset/types';
export { compositeKey, splitCompositeKey } from './rwset/compositekey';
export * from './proposal';
export * from './transaction';
export * from './block';
export * from './validation';
