// SPDX-License-Identifier: Apache-2.0
// ledger.rwset.TxReadWriteSet (KV data model) <-> our NsReadWriteSet records.
import { ledger } from '../protos.js';
import type {
  CollectionHashedRwSet,
  CollectionPvtRwSet,
  KVRead,
  KVReadHash,
  KVWrite,
  KVWriteHash,
  NsPvtRwSet,
  NsReadWriteSet,
  RangeQueryInfo,
  Version,
} from '../rwset/types.js';
import { privateDataHash, sameHash } from '../rwset/private.js';
import { ProtocolError } from './errors.js';

const {
  TxReadWriteSet,
  NsReadWriteSet: PbNsReadWriteSet,
  CollectionHashedReadWriteSet,
  TxPvtReadWriteSet,
  NsPvtReadWriteSet,
  CollectionPvtReadWriteSet,
} = ledger.rwset;
const kv = ledger.rwset.kvrwset;

/**
 * Compares two strings in UTF-8 byte order (Go's string order, and LevelDB's), which differs from
 * JS's UTF-16 order only when surrogates meet characters in U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 || y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a.slice(i), 'utf8'), Buffer.from(b.slice(i), 'utf8'));
  }
  return a.length - b.length;
}

function sortedByKey<T extends { readonly key: string }>(items: readonly T[]): readonly T[] {
  for (let i = 1; i < items.length; i++) {
    if (compareUtf8(items[i - 1]!.key, items[i]!.key) > 0) return [...items].sort((p, q) => compareUtf8(p.key, q.key));
  }
  return items;
}

function pbVersion(v: Version): InstanceType<typeof kv.Version> {
  const pv = new kv.Version();
  pv.setBlockNum(v.blockNum);
  pv.setTxNum(v.txNum);
  return pv;
}

function pbRead(r: KVRead): InstanceType<typeof kv.KVRead> {
  const pr = new kv.KVRead();
  pr.setKey(r.key);
  if (r.version !== undefined) pr.setVersion(pbVersion(r.version));
  return pr;
}

/** KVRWSet bytes of one namespace. Reads and writes are sorted by key (as Fabric's rwset builder does), range queries keep their order. */
export function encodeKVRWSet(rw: NsReadWriteSet): Uint8Array {
  const set = new kv.KVRWSet();
  set.setReadsList(sortedByKey(rw.reads).map(pbRead));
  set.setRangeQueriesInfoList(
    rw.rangeQueries.map((q) => {
      const pq = new kv.RangeQueryInfo();
      pq.setStartKey(q.startKey);
      pq.setEndKey(q.endKey);
      pq.setItrExhausted(q.itrExhausted);
      const raw = new kv.QueryReads();
      raw.setKvReadsList(q.reads.map(pbRead));
      pq.setRawReads(raw);
      return pq;
    }),
  );
  set.setWritesList(
    sortedByKey(rw.writes).map((w) => {
      const pw = new kv.KVWrite();
      pw.setKey(w.key);
      pw.setIsDelete(w.isDelete);
      if (!w.isDelete && w.value.length > 0) pw.setValue(w.value);
      return pw;
    }),
  );
  return set.serializeBinary();
}

/**
 * `ledger.rwset.TxReadWriteSet` bytes (data model KV) with one entry per namespace, namespaces
 * sorted in byte order, so that every endorser produces identical bytes for the same simulation.
 */
export function encodeTxReadWriteSet(rwsets: readonly NsReadWriteSet[]): Uint8Array {
  const tx = new TxReadWriteSet();
  tx.setDataModel(TxReadWriteSet.DataModel.KV);
  const sorted = [...rwsets].sort((a, b) => compareUtf8(a.namespace, b.namespace));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1]!.namespace === sorted[i]!.namespace) {
      throw new ProtocolError('BAD_ARGUMENT', `namespace ${JSON.stringify(sorted[i]!.namespace)} appears twice in a read/write set`);
    }
  }
  tx.setNsRwsetList(
    sorted.map((rw) => {
      const ns = new PbNsReadWriteSet();
      ns.setNamespace(rw.namespace);
      ns.setRwset(encodeKVRWSet(rw));
      const collections = rw.collections ?? [];
      if (collections.length > 0) ns.setCollectionHashedRwsetList(sortedByName(collections).map(encodeCollectionHashed));
      return ns;
    }),
  );
  return tx.serializeBinary();
}

function readOf(r: InstanceType<typeof kv.KVRead>): KVRead {
  const v = r.getVersion();
  return v === undefined ? { key: r.getKey() } : { key: r.getKey(), version: { blockNum: v.getBlockNum(), txNum: v.getTxNum() } };
}

const EMPTY = new Uint8Array(0);

/** Decodes one namespace's KVRWSet bytes; throws ProtocolError('BAD_RWSET'). */
export function decodeKVRWSet(namespace: string, bytes: Uint8Array): NsReadWriteSet {
  let set: InstanceType<typeof kv.KVRWSet>;
  try {
    set = kv.KVRWSet.deserializeBinary(bytes);
  } catch (err) {
    throw new ProtocolError('BAD_RWSET', `KVRWSet of namespace ${JSON.stringify(namespace)} does not parse`, { namespace }, { cause: err });
  }
  const rangeQueries: RangeQueryInfo[] = set.getRangeQueriesInfoList().map((q) => {
    if (!q.hasRawReads()) {
      // Fabric summarises very long range queries as Merkle hashes; our endorsers never do.
      throw new ProtocolError('BAD_RWSET', `range query in ${JSON.stringify(namespace)} carries Merkle hashes instead of raw reads`, {
        namespace,
      });
    }
    return {
      startKey: q.getStartKey(),
      endKey: q.getEndKey(),
      itrExhausted: q.getItrExhausted(),
      reads: q.getRawReads()!.getKvReadsList().map(readOf),
    };
  });
  const writes: KVWrite[] = set
    .getWritesList()
    .map((w) => ({ key: w.getKey(), isDelete: w.getIsDelete(), value: w.getIsDelete() ? EMPTY : w.getValue_asU8() }));
  return { namespace, reads: set.getReadsList().map(readOf), rangeQueries, writes };
}

/** Decodes `ledger.rwset.TxReadWriteSet` bytes; throws ProtocolError('BAD_RWSET'). Empty bytes are an empty set. */
export function decodeTxReadWriteSet(bytes: Uint8Array): NsReadWriteSet[] {
  if (bytes.length === 0) return [];
  let tx: InstanceType<typeof TxReadWriteSet>;
  try {
    tx = TxReadWriteSet.deserializeBinary(bytes);
  } catch (err) {
    throw new ProtocolError('BAD_RWSET', 'results are not a TxReadWriteSet', undefined, { cause: err });
  }
  if (tx.getDataModel() !== TxReadWriteSet.DataModel.KV)
    throw new ProtocolError('BAD_RWSET', `unsupported data model ${tx.getDataModel()}`);
  const seen = new Set<string>();
  return tx.getNsRwsetList().map((ns) => {
    const name = ns.getNamespace();
    if (seen.has(name)) throw new ProtocolError('BAD_RWSET', `namespace ${JSON.stringify(name)} appears twice`, { namespace: name });
    seen.add(name);
    const rw = decodeKVRWSet(name, ns.getRwset_asU8());
    const collections = ns.getCollectionHashedRwsetList().map((c) => decodeCollection(name, c));
    // Whether private data is acceptable is validation's call (the devnet refuses it, Fabric does not).
    return collections.length === 0 ? rw : { ...rw, collections };
  });
}

function sortedByName<T extends { readonly collection: string }>(items: readonly T[]): T[] {
  const sorted = [...items].sort((a, b) => compareUtf8(a.collection, b.collection));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1]!.collection === sorted[i]!.collection) {
      throw new ProtocolError('BAD_ARGUMENT', `collection ${JSON.stringify(sorted[i]!.collection)} appears twice in a namespace`);
    }
  }
  return sorted;
}

function encodeCollectionHashed(c: CollectionHashedRwSet): InstanceType<typeof CollectionHashedReadWriteSet> {
  const hashed = new kv.HashedRWSet();
  hashed.setHashedReadsList(
    c.reads.map((r) => {
      const pr = new kv.KVReadHash();
      pr.setKeyHash(r.keyHash);
      if (r.version !== undefined) pr.setVersion(pbVersion(r.version));
      return pr;
    }),
  );
  hashed.setHashedWritesList(
    c.writes.map((w) => {
      const pw = new kv.KVWriteHash();
      pw.setKeyHash(w.keyHash);
      pw.setIsDelete(w.isDelete);
      if (!w.isDelete && w.valueHash.length > 0) pw.setValueHash(w.valueHash);
      if (w.isPurge === true) pw.setIsPurge(true);
      return pw;
    }),
  );
  const out = new CollectionHashedReadWriteSet();
  out.setCollectionName(c.collection);
  out.setHashedRwset(hashed.serializeBinary());
  if (c.pvtRwSetHash.length > 0) out.setPvtRwsetHash(c.pvtRwSetHash);
  return out;
}

function decodeCollection(namespace: string, c: InstanceType<typeof ledger.rwset.CollectionHashedReadWriteSet>): CollectionHashedRwSet {
  const collection = c.getCollectionName();
  let hashed: InstanceType<typeof ledger.rwset.kvrwset.HashedRWSet>;
  try {
    hashed = kv.HashedRWSet.deserializeBinary(c.getHashedRwset_asU8());
  } catch (err) {
    throw new ProtocolError(
      'BAD_RWSET',
      `hashed read/write set of collection ${JSON.stringify(collection)} in ${JSON.stringify(namespace)} does not parse`,
      { namespace, collection },
      { cause: err },
    );
  }
  const reads: KVReadHash[] = hashed.getHashedReadsList().map((r) => {
    const v = r.getVersion();
    return v === undefined
      ? { keyHash: r.getKeyHash_asU8() }
      : { keyHash: r.getKeyHash_asU8(), version: { blockNum: v.getBlockNum(), txNum: v.getTxNum() } };
  });
  const writes: KVWriteHash[] = hashed.getHashedWritesList().map((w) => ({
    keyHash: w.getKeyHash_asU8(),
    isDelete: w.getIsDelete(),
    valueHash: w.getIsDelete() ? EMPTY : w.getValueHash_asU8(),
    ...(w.getIsPurge() && { isPurge: true }),
  }));
  return { collection, reads, writes, pvtRwSetHash: c.getPvtRwsetHash_asU8() };
}

/** The KVRWSet bytes of one collection's private writes (CollectionPvtReadWriteSet.rwset): what pvt_rwset_hash hashes. */
export function encodeCollectionPvtRwSet(c: CollectionPvtRwSet): Uint8Array {
  return encodeKVRWSet({ namespace: '', reads: [], rangeQueries: [], writes: c.writes });
}

/**
 * The hashed form of a collection's private writes, as it goes in the block: key and value hashes
 * (SHA-256) in key order, and the hash of the private KVRWSet bytes. `purged`: keys whose delete
 * is a purgePrivateData (is_purge).
 */
export function hashCollectionWrites(
  c: CollectionPvtRwSet,
  purged?: ReadonlySet<string>,
): { readonly writes: KVWriteHash[]; readonly pvtRwSetHash: Uint8Array } {
  const writes = sortedByKey(c.writes).map((w) => ({
    keyHash: privateDataHash(w.key),
    isDelete: w.isDelete,
    valueHash: w.isDelete ? EMPTY : privateDataHash(w.value),
    ...(w.isDelete && purged?.has(w.key) === true && { isPurge: true }),
  }));
  return { writes, pvtRwSetHash: writes.length === 0 ? EMPTY : privateDataHash(encodeCollectionPvtRwSet(c)) };
}

/**
 * Whether private writes are the ones a block's hashed read/write set stands for: the same
 * pvt_rwset_hash, and each write's key and value hashing to the block's (Fabric's committer checks
 * pvt data it receives this way before storing it).
 */
export function privateWritesMatch(hashed: CollectionHashedRwSet, pvt: CollectionPvtRwSet): boolean {
  if (hashed.collection !== pvt.collection) return false;
  const mine = hashCollectionWrites(pvt);
  if (!sameHash(mine.pvtRwSetHash, hashed.pvtRwSetHash) || mine.writes.length !== hashed.writes.length) return false;
  return mine.writes.every((w, i) => {
    const h = hashed.writes[i]!;
    return w.isDelete === h.isDelete && sameHash(w.keyHash, h.keyHash) && sameHash(w.valueHash, h.valueHash);
  });
}

/** `ledger.rwset.TxPvtReadWriteSet` bytes (data model KV): namespaces and collections sorted by name. */
export function encodeTxPvtReadWriteSet(sets: readonly NsPvtRwSet[]): Uint8Array {
  const tx = new TxPvtReadWriteSet();
  tx.setDataModel(TxReadWriteSet.DataModel.KV);
  const sorted = [...sets].sort((a, b) => compareUtf8(a.namespace, b.namespace));
  tx.setNsPvtRwsetList(
    sorted.map((set) => {
      const ns = new NsPvtReadWriteSet();
      ns.setNamespace(set.namespace);
      ns.setCollectionPvtRwsetList(
        sortedByName(set.collections).map((c) => {
          const pc = new CollectionPvtReadWriteSet();
          pc.setCollectionName(c.collection);
          pc.setRwset(encodeCollectionPvtRwSet(c));
          return pc;
        }),
      );
      return ns;
    }),
  );
  return tx.serializeBinary();
}

/** Decodes `ledger.rwset.TxPvtReadWriteSet` bytes; throws ProtocolError('BAD_RWSET'). */
export function decodeTxPvtReadWriteSet(bytes: Uint8Array): NsPvtRwSet[] {
  let tx: InstanceType<typeof TxPvtReadWriteSet>;
  try {
    tx = TxPvtReadWriteSet.deserializeBinary(bytes);
  } catch (err) {
    throw new ProtocolError('BAD_RWSET', 'bytes are not a TxPvtReadWriteSet', undefined, { cause: err });
  }
  if (tx.getDataModel() !== TxReadWriteSet.DataModel.KV)
    throw new ProtocolError('BAD_RWSET', `unsupported data model ${tx.getDataModel()}`);
  return tx.getNsPvtRwsetList().map((ns) => {
    const namespace = ns.getNamespace();
    return {
      namespace,
      collections: ns
        .getCollectionPvtRwsetList()
        .map((c) => ({ collection: c.getCollectionName(), writes: decodeKVRWSet(namespace, c.getRwset_asU8()).writes })),
    };
  });
}
