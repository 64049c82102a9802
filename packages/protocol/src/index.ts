// SPDX-License-Identifier: Apache-2.0
// Fabric protocol cores: proposals, transactions, blocks, read/write sets, validation.
export type {
  Version,
  VersionedValue,
  KVRead,
  KVWrite,
  RangeQueryInfo,
  NsReadWriteSet,
  KVReadHash,
  KVWriteHash,
  CollectionHashedRwSet,
  CollectionPvtRwSet,
  NsPvtRwSet,
  StateReader,
} from './rwset/types';
export {
  IMPLICIT_COLLECTION_PREFIX,
  implicitCollectionName,
  implicitCollectionOrg,
  privateDataHash,
  hashedStateKey,
  parseHashedNamespace,
  sameHash,
} from './rwset/private';
export {
  parseCollectionsConfig,
  checkCollectionsUpgrade,
  encodeCollectionConfigPackage,
  decodeCollectionConfigPackage,
  memberOrgsOf,
  type CollectionConfig,
  type CollectionEndorsementPolicy,
} from './collections/config';
export { compositeKey, splitCompositeKey } from './rwset/compositekey';
export * from './proposal';
export * from './transaction';
export * from './block';
export * from './validation';
