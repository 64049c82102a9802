// SPDX-License-Identifier: Apache-2.0
// A transaction simulator in the place of the peer: it answers the fabric-shim stub's handler calls
// from a StateReader snapshot and records the read/write set exactly as Fabric's txSimulator does.
import {
  hashCollectionWrites,
  hashedStateKey,
  privateDataHash,
  type CollectionHashedRwSet,
  type CollectionPvtRwSet,
  type KVRead,
  type KVReadHash,
  type KVWrite,
  type NsPvtRwSet,
  type NsReadWriteSet,
  type RangeQueryInfo,
  type StateReader,
  type VersionedValue,
} from '@metroledger/protocol';
import { ChaincodeHostError } from './errors';
import { QueryMetadata } from './fabric';
import { compareKeys, isWellFormed } from './keys';

/** Fabric's peer sends range results to the chaincode in batches of this many (QueryResponseGenerator.MaxResultLimit). */
const MAX_RESULT_LIMIT = 100;
/** Fabric's default `ledger.state.totalQueryLimit`: a range query silently stops after this many results. */
const TOTAL_QUERY_LIMIT = 100_000;

const EMPTY = Buffer.alloc(0);
const NO_BYTES = new Uint8Array(0);

type Entry = { readonly key: string } & VersionedValue;

interface QueryResult {
  readonly key: string;
  readonly value: Buffer;
}

/**
 * One range query on the peer side: Fabric's resultsItr (rwset recording) wrapped in the handler's
 * batching (QueryResponseGenerator.BuildQueryResponse), so the recorded range matches what a peer
 * records, read-ahead included.
 */
class RangeScan {
  readonly info: { startKey: string; endKey: string; itrExhausted: boolean; reads: KVRead[] };
  readonly #source: AsyncIterator<Entry>;
  readonly #queryEndKey: string;
  readonly #pageSize: number;
  readonly #paginated: boolean;
  readonly #totalLimit: number;
  /** Set when a paginated scan delivers its last batch. */
  bookmark = '';
  #pending: QueryResult[] = [];
  #returned = 0;
  #dbReturned = 0;
  #sourceDone = false;
  #closed = false;

  constructor(source: AsyncIterable<Entry>, startKey: string, endKey: string, pageSize: number, paginated: boolean) {
    this.#source = source[Symbol.asyncIterator]();
    this.#queryEndKey = endKey;
    this.#pageSize = pageSize;
    this.#paginated = paginated;
    this.#totalLimit = pageSize > 0 && pageSize < TOTAL_QUERY_LIMIT ? pageSize : TOTAL_QUERY_LIMIT;
    this.info = { startKey, endKey: '', itrExhausted: false, reads: [] };
  }

  async #sourceNext(): Promise<Entry | undefined> {
    if (this.#sourceDone) return undefined;
    const r = await this.#source.next();
    if (r.done) {
      this.#sourceDone = true;
      return undefined;
    }
    return r.value;
  }

  /** resultsItr.Next: the paginated scanner stops at pageSize; every result is recorded. */
  async #next(): Promise<Entry | undefined> {
    let entry: Entry | undefined;
    if (!(this.#pageSize > 0 && this.#dbReturned >= this.#pageSize)) {
      entry = await this.#sourceNext();
    }
    if (entry === undefined) {
      this.info.itrExhausted = true;
      this.info.endKey = this.#queryEndKey;
      return undefined;
    }
    this.#dbReturned++;
    this.info.reads.push({ key: entry.key, version: entry.version });
    this.info.endKey = entry.key;
    return entry;
  }

  /** One QueryResponse: a batch of results and whether more remain. */
  async fetchBatch(): Promise<{ results: QueryResult[]; hasMore: boolean }> {
    if (this.#closed) throw new Error('query iterator not found');
    for (;;) {
      if (this.#returned >= this.#totalLimit) return this.#finalBatch();
      const entry = await this.#next();
      if (entry === undefined) return this.#finalBatch();
      const result = { key: entry.key, value: Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength) };
      if (this.#pending.length === MAX_RESULT_LIMIT) {
        const results = this.#pending;
        this.#pending = [result];
        this.#returned++;
        return { results, hasMore: true };
      }
      this.#pending.push(result);
      this.#returned++;
    }
  }

  /** The last batch; a paginated scan then reads its bookmark: the next key, not recorded, or ''. */
  async #finalBatch(): Promise<{ results: QueryResult[]; hasMore: boolean }> {
    const results = this.#pending;
    this.#pending = [];
    if (this.#paginated) {
      const next = await this.#sourceNext();
      this.bookmark = next === undefined ? '' : next.key;
    }
    await this.close();
    return { results, hasMore: false };
  }

  get returned(): number {
    return this.#returned;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      await this.#source.return?.();
    }
  }
}

/** What the stub's range APIs iterate: the shape of fabric-shim's StateQueryIterator. */
class StateQueryIterator {
  readonly #scan: RangeScan;
  #batch: QueryResult[];
  #hasMore: boolean;
  #pos = 0;

  constructor(scan: RangeScan, first: { results: QueryResult[]; hasMore: boolean }) {
    this.#scan = scan;
    this.#batch = first.results;
    this.#hasMore = first.hasMore;
  }

  async next(): Promise<{ value: QueryResult; done: false } | { value?: undefined; done: true }> {
    if (this.#pos < this.#batch.length) return { value: this.#batch[this.#pos++]!, done: false };
    if (!this.#hasMore) return { done: true };
    const batch = await this.#scan.fetchBatch();
    this.#batch = batch.results;
    this.#hasMore = batch.hasMore;
    this.#pos = 0;
    if (this.#batch.length === 0) return { done: true };
    return { value: this.#batch[this.#pos++]!, done: false };
  }

  async close(): Promise<void> {
    await this.#scan.close();
  }
}

/** Runs a called chaincode for the stub's invokeChaincode (see host.ts). */
export type InvokeChaincodeFn = (
  chaincodeName: string,
  args: readonly Uint8Array[],
) => Promise<{ status: number; message: string; payload: Buffer }>;

/**
 * What a peer gives the simulation for private data: which collections a chaincode has, and the
 * peer's own private values. The key hashes and their versions come from the world state, which
 * every peer holds (protocol's hashedStateKey).
 */
export interface PrivateDataAccess {
  /** Whether chaincode `namespace` has collection `collection` (Fabric: its implicit collections and its collection config). */
  hasCollection(namespace: string, collection: string): boolean;
  /** This peer's value of the key and the version that wrote it; undefined when the peer holds none. */
  get(namespace: string, collection: string, key: string): Promise<VersionedValue | undefined>;
  /**
   * Fabric's memberOnlyRead / memberOnlyWrite: whether the proposal's creator may read and write
   * the collection (a member of its organizations, where the flag is set). Absent: both.
   */
  permission?(namespace: string, collection: string, creator: ProposalCreator): { readonly read: boolean; readonly write: boolean };
  /** This peer's private values of the collection in [startKey, endKey) ('' = no end), in key order; absent: private range queries are refused. */
  range?(namespace: string, collection: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string } & VersionedValue>;
}

/** Who signed the proposal: its MSP id and its certificate (PEM), as in msp.SerializedIdentity. */
export interface ProposalCreator {
  readonly mspId: string;
  readonly idBytes: Uint8Array;
}

export interface TxSimulationOptions {
  /** Private data collections; without it every private data call is refused (PRIVATE_DATA_UNSUPPORTED). */
  readonly privateData?: PrivateDataAccess;
  /** How to answer stub.invokeChaincode; without it the call is refused. */
  readonly invokeChaincode?: InvokeChaincodeFn;
  /** A called chaincode: its writes are refused (and remembered in `writeRefused`). */
  readonly readOnly?: boolean;
  /** The proposal's creator, whose collection permissions apply (PrivateDataAccess.permission). */
  readonly creator?: ProposalCreator;
}

function unsupported(what: string): Promise<never> {
  return Promise.reject(new Error(`${what} is not supported by the in-process chaincode host`));
}

/**
 * The peer half of one chaincode invocation. Its `handle*` methods are the handler interface that
 * fabric-shim's ChaincodeStub calls; `result()` gives the read/write set once the contract returns.
 */
export class TxSimulation {
  readonly #namespace: string;
  readonly #state: StateReader;
  readonly #txId: string;
  readonly #reads = new Map<string, KVRead>();
  readonly #writes = new Map<string, KVWrite>();
  readonly #scans: RangeScan[] = [];
  readonly #invoke: InvokeChaincodeFn | undefined;
  readonly #readOnly: boolean;
  readonly #privateData: PrivateDataAccess | undefined;
  /** Per collection: hashed reads and plain private writes, by key. */
  readonly #collections = new Map<string, { reads: Map<string, KVReadHash>; writes: Map<string, KVWrite>; purges: Set<string> }>();
  readonly #creator: ProposalCreator | undefined;
  /** Private range scans: served from this peer's private store and never recorded (as Fabric's pvtdataResultsItr). */
  readonly #privateScans: RangeScan[] = [];
  #writePerformed = false;
  #paginatedQueryPerformed = false;
  #privateQueryPerformed = false;
  #done = false;
  /** Set when a read-only (called) chaincode tried to write: the host then fails the transaction. */
  writeRefused: string | undefined;

  constructor(namespace: string, state: StateReader, txId: string, opts: TxSimulationOptions = {}) {
    this.#namespace = namespace;
    this.#state = state;
    this.#txId = txId;
    this.#invoke = opts.invokeChaincode;
    this.#readOnly = opts.readOnly === true;
    this.#privateData = opts.privateData;
    this.#creator = opts.creator;
  }

  get namespace(): string {
    return this.#namespace;
  }

  /** Whether anything was recorded (Fabric lists a namespace in the rwset only then). */
  get isEmpty(): boolean {
    return this.#reads.size === 0 && this.#writes.size === 0 && this.#scans.length === 0 && this.#collections.size === 0;
  }

  #checkOpen(): void {
    if (this.#done) throw new Error('this instance should not be used after calling Done()');
  }

  /** The collection's records, after Fabric's checks (the peer supports private data, the chaincode has the collection). */
  #collection(collection: string): { reads: Map<string, KVReadHash>; writes: Map<string, KVWrite>; purges: Set<string> } {
    this.#checkCollection(collection);
    let c = this.#collections.get(collection);
    if (c === undefined) this.#collections.set(collection, (c = { reads: new Map(), writes: new Map(), purges: new Set() }));
    return c;
  }

  /** Fabric's checks that the peer supports private data and the chaincode has the collection; records nothing. */
  #checkCollection(collection: string): void {
    this.#checkOpen();
    if (this.#privateData === undefined) {
      throw new ChaincodeHostError(
        'PRIVATE_DATA_UNSUPPORTED',
        `private data collection ${JSON.stringify(collection)}: this peer was given no private data store`,
        { collection },
      );
    }
    if (!this.#privateData.hasCollection(this.#namespace, collection)) {
      // Fabric's InvalidCollNameError
      throw new ChaincodeHostError(
        'NO_SUCH_COLLECTION',
        `collection [${collection}] not defined in the collection config for chaincode [${this.#namespace}]`,
        { namespace: this.#namespace, collection },
      );
    }
  }

  /**
   * Fabric's errorIfCreatorHasNoReadAccess / errorIfCreatorHasNoWriteAccess (core/chaincode/handler.go):
   * a collection with memberOnlyRead (memberOnlyWrite) admits only clients of its member organizations.
   */
  #checkAccess(collection: string, access: 'read' | 'write'): void {
    const creator = this.#creator;
    const permission = creator === undefined ? undefined : this.#privateData?.permission?.(this.#namespace, collection, creator);
    if (permission === undefined || permission[access]) return;
    throw new ChaincodeHostError(
      'PRIVATE_DATA_ACCESS_DENIED',
      `tx creator does not have ${access} access permission on privatedata in chaincodeName:${this.#namespace} collectionName: ${collection}`,
      { namespace: this.#namespace, collection, access, mspId: creator!.mspId },
    );
  }

  /** The key hash's committed version and value hash, from the hashed state every peer keeps; recorded as a hashed read. */
  async #readHash(collection: string, key: string): Promise<VersionedValue | undefined> {
    const c = this.#collection(collection);
    const keyHash = privateDataHash(key);
    const at = hashedStateKey(this.#namespace, collection, keyHash);
    const vv = await this.#state.get(at.ns, at.key);
    if (!c.reads.has(key)) c.reads.set(key, vv ? { keyHash, version: vv.version } : { keyHash });
    return vv;
  }

  /**
   * stub.getPrivateData, as Fabric's queryHelper.getPrivateData: the peer's value if its version is
   * the one whose hash is on the ledger. A peer that is not a member of the collection holds no
   * value: it answers PRIVATE_DATA_NOT_AVAILABLE (Fabric's ErrPvtdataNotAvailable), never a wrong one.
   */
  async #getPrivateData(collection: string, key: string): Promise<Buffer> {
    this.#checkCollection(collection);
    this.#checkAccess(collection, 'read');
    const hashed = await this.#readHash(collection, key);
    const own = await this.#privateData!.get(this.#namespace, collection, key);
    const same =
      hashed === undefined
        ? own === undefined
        : own !== undefined && own.version.blockNum === hashed.version.blockNum && own.version.txNum === hashed.version.txNum;
    if (!same) {
      const v = (x: VersionedValue | undefined): string => (x === undefined ? '<nil>' : `${x.version.blockNum}:${x.version.txNum}`);
      throw new ChaincodeHostError(
        'PRIVATE_DATA_NOT_AVAILABLE',
        `private data matching public hash version is not available. Public hash version = ${v(hashed)}, Private data version = ${v(own)}`,
        { namespace: this.#namespace, collection, key },
      );
    }
    if (own === undefined) return EMPTY;
    return Buffer.from(own.value.buffer, own.value.byteOffset, own.value.byteLength);
  }

  /** stub.getPrivateDataHash: SHA-256 of the committed value, answered by every peer, member or not; empty if absent. */
  async handleGetPrivateDataHash(collection: string, key: string): Promise<Buffer> {
    const vv = await this.#readHash(collection, key);
    if (vv === undefined) return EMPTY;
    return Buffer.from(vv.value.buffer, vv.value.byteOffset, vv.value.byteLength);
  }

  #checkWrite(key: string): void {
    this.#checkOpen();
    if (this.#readOnly) {
      this.writeRefused ??= `chaincode ${this.#namespace} was invoked by another chaincode and tried to write key ${JSON.stringify(key)}: the in-process host runs chaincode-to-chaincode calls read-only`;
      throw new Error(this.writeRefused);
    }
    if (this.#paginatedQueryPerformed) {
      throw new Error(
        `txid [${this.#txId}]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed`,
      );
    }
    if (this.#privateQueryPerformed) {
      throw new Error(
        `txid [${this.#txId}]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed`,
      );
    }
    if (typeof key !== 'string' || key === '') throw new Error('key must not be an empty string');
    if (!isWellFormed(key)) throw new Error(`invalid key [${JSON.stringify(key)}]: not a valid UTF-8 string`);
    this.#writePerformed = true;
  }

  async handleGetState(collection: string, key: string): Promise<Buffer> {
    if (collection !== '') return this.#getPrivateData(collection, key);
    this.#checkOpen();
    const vv = await this.#state.get(this.#namespace, key);
    // Reads see the committed snapshot, never this transaction's own writes (as in Fabric).
    if (!this.#reads.has(key)) this.#reads.set(key, vv ? { key, version: vv.version } : { key });
    if (!vv) return EMPTY;
    return Buffer.from(vv.value.buffer, vv.value.byteOffset, vv.value.byteLength);
  }

  /** Where a write of `collection` goes, after the creator's write permission ('' is the public namespace). */
  #writesOf(collection: string): Map<string, KVWrite> {
    if (collection === '') return this.#writes;
    this.#checkCollection(collection);
    this.#checkAccess(collection, 'write');
    return this.#collection(collection).writes;
  }

  async handlePutState(collection: string, key: string, value: Uint8Array | undefined): Promise<void> {
    const writes = this.#writesOf(collection);
    this.#checkWrite(key);
    const bytes = value === undefined || value === null ? NO_BYTES : value;
    if (!(bytes instanceof Uint8Array)) throw new Error('value must be a Buffer, Uint8Array or string');
    // Fabric records an empty value as a delete (rwsetutil.newKVWrite: IsDelete = len(value) == 0).
    writes.set(key, { key, isDelete: bytes.length === 0, value: bytes.length === 0 ? NO_BYTES : new Uint8Array(bytes) });
    if (collection !== '') this.#collections.get(collection)!.purges.delete(key);
  }

  async handleDeleteState(collection: string, key: string): Promise<void> {
    const writes = this.#writesOf(collection);
    this.#checkWrite(key);
    writes.set(key, { key, isDelete: true, value: NO_BYTES });
    if (collection !== '') this.#collections.get(collection)!.purges.delete(key);
  }

  async handleGetStateByRange(
    collection: string,
    startKey: string,
    endKey: string,
    _channelId: string,
    _txId: string,
    metadataBytes?: Uint8Array,
  ): Promise<{ iterator: StateQueryIterator; metadata?: { bookmark: string; fetchedRecordsCount: number } }> {
    if (collection !== '') return this.#privateRange(collection, startKey, endKey);
    this.#checkOpen();
    let pageSize = 0;
    let bookmark = '';
    if (metadataBytes !== undefined && metadataBytes !== null) {
      const md = QueryMetadata.deserializeBinary(metadataBytes);
      pageSize = md.getPagesize();
      bookmark = md.getBookmark();
    }
    const paginated = pageSize !== 0 || bookmark !== '';
    if (paginated) {
      if (this.#writePerformed) {
        throw new Error(`txid [${this.#txId}]: unsuppored transaction. Paginated queries are supported only in a read-only transaction`);
      }
      if (pageSize < 0) throw new Error('invalid pageSize. Should be a positive number');
      this.#paginatedQueryPerformed = true;
      if (bookmark !== '') startKey = bookmark;
    }
    const scan = new RangeScan(this.#state.range(this.#namespace, startKey, endKey), startKey, endKey, pageSize, paginated);
    this.#scans.push(scan);
    const first = await scan.fetchBatch();
    const iterator = new StateQueryIterator(scan, first);
    // As on a peer, response metadata rides only on a final first batch: a page of more than 100
    // results reaches a Node chaincode without a bookmark.
    if (!paginated || first.hasMore) return { iterator };
    return { iterator, metadata: { bookmark: scan.bookmark, fetchedRecordsCount: scan.returned } };
  }

  /**
   * stub.getPrivateDataByRange (and ByPartialCompositeKey, which the shim turns into a range): as
   * Fabric's txSimulator.GetPrivateDataRangeScanIterator, this peer's own private values, in a
   * read-only transaction only, recorded nowhere (no phantom-read check at validation: Fabric does
   * none for private range queries), pagination metadata ignored.
   */
  async #privateRange(collection: string, startKey: string, endKey: string): Promise<{ iterator: StateQueryIterator }> {
    this.#checkCollection(collection);
    this.#checkAccess(collection, 'read');
    if (this.#privateData?.range === undefined) {
      throw new ChaincodeHostError(
        'PRIVATE_DATA_UNSUPPORTED',
        `private data range queries on ${JSON.stringify(collection)}: this peer's private store cannot be scanned`,
        { collection },
      );
    }
    if (this.#writePerformed) {
      throw new Error(`txid [${this.#txId}]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction`);
    }
    this.#privateQueryPerformed = true;
    const scan = new RangeScan(this.#privateData.range(this.#namespace, collection, startKey, endKey), startKey, endKey, 0, false);
    this.#privateScans.push(scan);
    return { iterator: new StateQueryIterator(scan, await scan.fetchBatch()) };
  }

  async handleQueryStateClose(): Promise<void> {
    // Each iterator closes its own scan; nothing is addressed by id here.
  }

  handleGetQueryResult(): Promise<never> {
    return unsupported('Rich queries (getQueryResult, CouchDB only)');
  }

  handleGetHistoryForKey(): Promise<never> {
    return unsupported('getHistoryForKey');
  }

  /**
   * stub.invokeChaincode(name, args, channel): the shim passes `name` or `name/channel`. Answered
   * by the host's resolver with the callee's response; a failure around the call (unknown
   * chaincode, other channel, a cycle) rejects, which the shim raises as an exception, as on a peer.
   */
  async handleInvokeChaincode(
    chaincodeName: string,
    args: readonly Uint8Array[],
  ): Promise<{ status: number; message: string; payload: Buffer }> {
    this.#checkOpen();
    if (this.#invoke === undefined) return unsupported('invokeChaincode (no chaincode resolver configured)');
    return this.#invoke(chaincodeName, args);
  }

  handleGetStateMetadata(): Promise<never> {
    return unsupported('State-based endorsement (getStateValidationParameter)');
  }

  handlePutStateMetadata(): Promise<never> {
    return unsupported('State-based endorsement (setStateValidationParameter)');
  }

  /**
   * stub.purgePrivateData (Fabric 2.5): as txSimulator.PurgePrivateData, a delete of the key that
   * the block marks is_purge; at commit the member peers delete it and its earlier private values.
   * Needs write permission, as a write does.
   */
  async handlePurgeState(collection: string, key: string): Promise<void> {
    if (collection === '') throw new Error('collection must not be an empty string');
    const writes = this.#writesOf(collection);
    this.#checkWrite(key);
    writes.set(key, { key, isDelete: true, value: NO_BYTES });
    this.#collections.get(collection)!.purges.add(key);
  }

  /** Ends the simulation: closes any scans the contract left open. */
  async done(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    for (const scan of [...this.#scans, ...this.#privateScans]) await scan.close();
  }

  /** The namespace's read/write set: reads and writes sorted by key (byte order), range queries in order. */
  result(): NsReadWriteSet {
    const reads = [...this.#reads.values()];
    if (reads.length > 1) reads.sort((a, b) => compareKeys(a.key, b.key));
    const writes = [...this.#writes.values()];
    if (writes.length > 1) writes.sort((a, b) => compareKeys(a.key, b.key));
    const rangeQueries: RangeQueryInfo[] = [];
    const seen = new Set<string>();
    for (const { info } of this.#scans) {
      // RWSetBuilder.AddToRangeQuerySet keeps the first of identical (start, end, exhausted) queries.
      const id = `${info.startKey}\u0000${info.endKey}\u0000${info.itrExhausted}`;
      if (seen.has(id)) continue;
      seen.add(id);
      rangeQueries.push({ startKey: info.startKey, endKey: info.endKey, itrExhausted: info.itrExhausted, reads: info.reads });
    }
    if (this.#collections.size === 0) return { namespace: this.#namespace, reads, rangeQueries, writes };
    return { namespace: this.#namespace, reads, rangeQueries, writes, collections: this.#hashedCollections() };
  }

  /** The private collections touched, as the block holds them: hashes only, collections by name, keys in order. */
  #hashedCollections(): CollectionHashedRwSet[] {
    return [...this.#collections.keys()].sort(compareKeys).map((collection) => {
      const c = this.#collections.get(collection)!;
      const readKeys = [...c.reads.keys()].sort(compareKeys);
      const { writes, pvtRwSetHash } = hashCollectionWrites(this.#pvtCollection(collection), c.purges);
      return { collection, reads: readKeys.map((k) => c.reads.get(k)!), writes, pvtRwSetHash };
    });
  }

  #pvtCollection(collection: string): CollectionPvtRwSet {
    const w = this.#collections.get(collection)!.writes;
    return { collection, writes: [...w.keys()].sort(compareKeys).map((k) => w.get(k)!) };
  }

  /**
   * The private writes (Fabric's TxPvtReadWriteSet part of the simulation results): only for the
   * collections written, never put in a block; undefined when none.
   */
  privateResult(): NsPvtRwSet | undefined {
    const collections = [...this.#collections.keys()]
      .sort(compareKeys)
      .filter((c) => this.#collections.get(c)!.writes.size > 0)
      .map((c) => this.#pvtCollection(c));
    return collections.length === 0 ? undefined : { namespace: this.#namespace, collections };
  }
}
