// SPDX-License-Identifier: Apache-2.0
// The committing peer: checks the orderer signatures of each delivered block, validates every
// transaction (signatures in one batch, endorsement policy, duplicates, MVCC), records the codes in
// the TRANSACTIONS_FILTER, commits through the ledger, then tells whoever waits.
//
// A block the ledger fails to commit (a full or failing disk) halts the committer, as Fabric's peer
// halts on a ledger I/O failure: every later block depends on that one, so going on is impossible
// and pretending otherwise leaves clients waiting for commits that never come. Queued blocks and
// pending waits are failed with HALTED at once, and onHalt listeners decide what the process does.
import { common } from '@hyperledger/fabric-protos';
import {
  blockEnvelopes,
  checkMvcc,
  decodeBlock,
  parseEnvelope,
  privateWritesMatch,
  ProtocolError,
  setTransactionFilter,
  TxValidationCode,
  validateBlockTransactions,
  verifyInline,
  type NsPvtRwSet,
  type ParsedTransaction,
  type SignatureVerifier,
  type StateReader,
  type ValidationContext,
} from '@metroledger/protocol';
import type { PrivatePurge, PrivateTxData } from '@metroledger/ledger';
import type { CommitterPrivateData, MissingPrivateData } from '../privatedata/types.js';
import { committerError } from './errors.js';
import type { BlockVerifier } from './verifier.js';

/** What the committer needs of the ledger; @metroledger/ledger's Ledger fits. */
export interface CommitterLedger {
  readonly height: number;
  readonly state: StateReader;
  /** Appends the block (with its TRANSACTIONS_FILTER) and applies its valid writes, atomically per block. */
  commit(block: common.Block): Promise<unknown>;
  getTx(txId: string): Promise<{ readonly blockNum: number; readonly code: number } | undefined>;
}

export interface CommittedTx {
  readonly txId: string;
  readonly code: number;
}

export interface CommittedEvent {
  readonly txId: string;
  readonly chaincodeId: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
}

/** What listeners hear after each block commit. */
export interface CommitNotice {
  readonly blockNum: number;
  /** One entry per transaction, in block order ('' for an envelope without a readable tx id). */
  readonly txs: readonly CommittedTx[];
  /** Chaincode events of the valid transactions, in block order. */
  readonly events: readonly CommittedEvent[];
  /** The committed block, TRANSACTIONS_FILTER included. */
  readonly block: common.Block;
  /** Private writes of valid transactions that no peer could store (Fabric's missing pvt data); absent when none. */
  readonly missingPrivateData?: readonly MissingPrivateData[];
}

export interface TxStatus {
  readonly code: number;
  readonly blockNum: number;
  /** Same as blockNum (the gateway's CommitPort name). */
  readonly blockNumber: number;
}

export interface CommitterOptions {
  readonly channelId: string;
  readonly ledger: CommitterLedger;
  /** Checks the orderer signatures of every block after the genesis block. */
  readonly blockVerifier: BlockVerifier;
  readonly deserializer: ValidationContext['deserializer'];
  readonly msps: ValidationContext['msps'];
  readonly endorsementPolicy: ValidationContext['endorsementPolicy'];
  /**
   * The endorsement policy of a private data collection (Fabric's CollectionValidationInfo: for
   * `_implicit_org_<MSP>`, that organization's Endorsement policy); a write to a collection without
   * one is held to the chaincode's policy.
   */
  readonly collectionPolicy?: ValidationContext['collectionPolicy'];
  /** Verifies a block's signatures in one batch; default: inline on this thread. */
  readonly signatureVerifier?: SignatureVerifier;
  /** Blocks accepted ahead of the next expected one; further ones are refused. Default 64. */
  readonly maxQueuedBlocks?: number;
  /**
   * Private data collections. Without it, a transaction with private data is BAD_RWSET (nothing
   * here could keep it). With it, the hashes are validated (MVCC on key hashes) and applied for
   * every peer, and each peer's store gets the values of its own collections, before the block.
   */
  readonly privateData?: CommitterPrivateData;
}

/** Why the committer stopped. */
export interface CommitterHalt {
  /** The block the ledger could not commit. */
  readonly blockNum: number;
  /** The ledger's error (for @metroledger/ledger: LedgerError IO, with details.path and details.errno). */
  readonly error: Error;
}

interface Queued {
  readonly block: common.Block;
  readonly resolve: (n: CommitNotice) => void;
  readonly reject: (e: unknown) => void;
}

interface Waiter {
  readonly resolve: (s: TxStatus) => void;
  readonly reject: (e: unknown) => void;
}

const V = TxValidationCode;

export class Committer {
  readonly #o: CommitterOptions;
  readonly #queue = new Map<number, Queued>();
  readonly #listeners = new Set<(n: CommitNotice) => void>();
  readonly #rejectedListeners = new Set<(blockNum: number, err: Error) => void>();
  readonly #haltListeners = new Set<(halt: CommitterHalt) => void>();
  #halt: CommitterHalt | undefined;
  readonly #waiters = new Map<string, Set<Waiter>>();
  #running = false;
  #closed = false;

  constructor(options: CommitterOptions) {
    this.#o = options;
  }

  /** Number of the next block to commit. */
  get height(): number {
    return this.#o.ledger.height;
  }

  /** Called after each commit. Returns a function that removes the listener. */
  onCommit(listener: (notice: CommitNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * Called once, when the ledger fails to commit a block and the committer halts (see the file
   * comment). Called at once if it has already halted. Returns a function that removes the listener.
   */
  onHalt(listener: (halt: CommitterHalt) => void): () => void {
    if (this.#halt !== undefined) {
      listener(this.#halt);
      return () => undefined;
    }
    this.#haltListeners.add(listener);
    return () => void this.#haltListeners.delete(listener);
  }

  /** Why the committer halted, if it has. */
  get halt(): CommitterHalt | undefined {
    return this.#halt;
  }

  /** Called when a delivered block is refused (PeerError: bad orderer signature, malformed, out of order; or the ledger's error). */
  onBlockRejected(listener: (blockNum: number, err: Error) => void): () => void {
    this.#rejectedListeners.add(listener);
    return () => void this.#rejectedListeners.delete(listener);
  }

  /**
   * Hands over an ordered block. Blocks may arrive ahead of the ledger (they wait for the missing
   * ones); the promise settles when this block is committed or refused.
   * @throws PeerError BAD_BLOCK_SIGNATURE, MALFORMED_BLOCK, BLOCK_OUT_OF_ORDER, CLOSED; HALTED (the
   *   ledger failed to commit this or an earlier block; `cause` is the ledger's error).
   */
  deliver(input: common.Block | Uint8Array): Promise<CommitNotice> {
    return new Promise<CommitNotice>((resolve, reject) => {
      const fail = (blockNum: number, err: Error) => {
        reject(err);
        for (const l of this.#rejectedListeners) l(blockNum, err);
      };
      if (this.#halt !== undefined) return fail(-1, this.#haltedError());
      if (this.#closed) return fail(-1, committerError('CLOSED', 'committer is closed'));
      let block: common.Block;
      try {
        block = input instanceof Uint8Array ? decodeBlock(input) : input;
      } catch (err) {
        return fail(-1, committerError('MALFORMED_BLOCK', 'delivered bytes are not a block', undefined, err));
      }
      const num = block.getHeader()?.getNumber();
      if (num === undefined) return fail(-1, committerError('MALFORMED_BLOCK', 'block has no header'));
      const height = this.#o.ledger.height;
      const max = this.#o.maxQueuedBlocks ?? 64;
      if (num < height || num >= height + max || this.#queue.has(num)) {
        return fail(
          num,
          committerError(
            'BLOCK_OUT_OF_ORDER',
            `block ${num} refused: ledger height ${height}${this.#queue.has(num) ? ', block already queued' : ''}`,
            { blockNum: num, height },
          ),
        );
      }
      this.#queue.set(num, {
        block: withOwnMetadata(block),
        resolve,
        reject: (e) => fail(num, e instanceof Error ? e : new Error(String(e))),
      });
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const next = this.#queue.get(this.#o.ledger.height);
        if (next === undefined || this.#closed) break;
        this.#queue.delete(this.#o.ledger.height);
        let notice: CommitNotice;
        try {
          notice = await this.#commit(next.block);
        } catch (err) {
          if (err instanceof LedgerCommitFailure) {
            this.#halted(next.block.getHeader()!.getNumber(), err.cause);
            next.reject(this.#haltedError());
            this.#failPending();
            break;
          }
          next.reject(err);
          continue;
        }
        next.resolve(notice);
        this.#notify(notice);
      }
    } finally {
      this.#running = false;
    }
  }

  async #commit(block: common.Block): Promise<CommitNotice> {
    const blockNum = block.getHeader()!.getNumber();
    const envelopes = blockEnvelopes(block);
    if (blockNum === 0) {
      // The genesis block is the channel's trust anchor: it is taken as given, as a peer joining a channel does.
      const txs = envelopes.map((e) => ({ txId: txIdOf(e), code: V.VALID as number }));
      setTransactionFilter(
        block,
        txs.map((t) => t.code),
      );
      await this.#ledgerCommit(block);
      return { blockNum, txs, events: [], block };
    }
    this.#o.blockVerifier.verify(block);

    const parsed: (ParsedTransaction | Uint8Array)[] = envelopes.map((e) => {
      try {
        return parseEnvelope(e);
      } catch (err) {
        if (err instanceof ProtocolError) return e; // planTransaction turns it into its code
        throw err;
      }
    });
    const ids = new Set<string>();
    for (const p of parsed) if (!(p instanceof Uint8Array) && p.txId !== '') ids.add(p.txId);
    const committed = new Set<string>();
    await Promise.all(
      [...ids].map(async (id) => {
        if ((await this.#o.ledger.getTx(id)) !== undefined) committed.add(id);
      }),
    );
    const ctx: ValidationContext = {
      channelId: this.#o.channelId,
      deserializer: this.#o.deserializer,
      msps: this.#o.msps,
      endorsementPolicy: this.#o.endorsementPolicy,
      ...(this.#o.collectionPolicy !== undefined && { collectionPolicy: this.#o.collectionPolicy }),
      isCommittedTxId: (id) => committed.has(id),
      ...(this.#o.privateData !== undefined && { privateData: true }),
    };
    const { codes, txs } = await validateBlockTransactions(parsed, ctx, this.#o.signatureVerifier ?? verifyInline);
    const mvcc = await checkMvcc(
      blockNum,
      codes.map((code, i) => ({ code, rwsets: txs[i]?.rwsets ?? [] })),
      this.#o.ledger.state,
    );
    setTransactionFilter(block, mvcc.codes);
    const missing = this.#o.privateData === undefined ? [] : await this.#storePrivateData(blockNum, mvcc.codes, txs, this.#o.privateData);
    await this.#ledgerCommit(block);
    // a transient copy left behind is purged by retention later; it never changes what was committed
    await Promise.resolve(
      this.#o.privateData?.committed?.(
        txs.flatMap((t) => (t === undefined ? [] : [t.txId])),
        blockNum + 1,
      ),
    ).catch(() => undefined);

    const events: CommittedEvent[] = [];
    const out: CommittedTx[] = mvcc.codes.map((code, i) => {
      const tx = txs[i];
      if (code === V.VALID && tx?.event !== undefined) {
        events.push({
          txId: tx.txId,
          chaincodeId: tx.event.chaincodeId || tx.chaincodeName,
          eventName: tx.event.eventName,
          payload: tx.event.payload,
        });
      }
      return { txId: tx?.txId ?? txIdOf(envelopes[i]!), code };
    });
    return { blockNum, txs: out, events, block, ...(missing.length > 0 && { missingPrivateData: missing }) };
  }

  /**
   * Gives each peer's private store the private writes of the block's valid transactions in the
   * collections it is a member of, each checked against the block's hashes, before the block is
   * appended (as Fabric commits pvt data first). What no peer could get is reported missing.
   */
  async #storePrivateData(
    blockNum: number,
    codes: readonly number[],
    txs: readonly (ParsedTransaction | undefined)[],
    pd: CommitterPrivateData,
  ): Promise<MissingPrivateData[]> {
    const perPeer: PrivateTxData[][] = pd.peers.map(() => []);
    const missing: MissingPrivateData[] = [];
    for (let txNum = 0; txNum < codes.length; txNum++) {
      const tx = txs[txNum];
      if (codes[txNum] !== V.VALID || tx === undefined || !tx.rwsets.some((rw) => rw.collections !== undefined)) continue;
      const written = tx.rwsets.flatMap((rw) =>
        (rw.collections ?? []).filter((c) => c.writes.length > 0).map((c) => ({ namespace: rw.namespace, hashed: c })),
      );
      if (written.length === 0) continue;
      const pvt = await pd.fetch(tx.txId);
      const mine: NsPvtRwSet[][] = pd.peers.map(() => []);
      // purgePrivateData: by key hash, on every member peer, whether or not the values came
      const purges: PrivatePurge[][] = pd.peers.map(() => []);
      for (const { namespace, hashed } of written) {
        for (const w of hashed.writes) {
          if (w.isPurge !== true) continue;
          pd.peers.forEach((peer, i) => {
            if (peer.isMember(namespace, hashed.collection))
              purges[i]!.push({ namespace, collection: hashed.collection, keyHash: w.keyHash });
          });
        }
      }
      for (const { namespace, hashed } of written) {
        const values = pvt?.find((ns) => ns.namespace === namespace)?.collections.find((c) => c.collection === hashed.collection);
        if (values === undefined || !privateWritesMatch(hashed, values)) {
          missing.push({
            txId: tx.txId,
            namespace,
            collection: hashed.collection,
            reason: values === undefined ? 'NOT_FOUND' : 'HASH_MISMATCH',
          });
          continue;
        }
        pd.peers.forEach((peer, i) => {
          if (!peer.isMember(namespace, hashed.collection)) return;
          const sets = mine[i]!;
          const ns = sets.find((s) => s.namespace === namespace);
          if (ns === undefined) sets.push({ namespace, collections: [values] });
          else (ns.collections as (typeof values)[]).push(values);
        });
      }
      mine.forEach((rwset, i) => {
        const purged = purges[i]!;
        if (rwset.length > 0 || purged.length > 0) perPeer[i]!.push({ txNum, rwset, ...(purged.length > 0 && { purges: purged }) });
      });
    }
    try {
      await Promise.all(pd.peers.map((peer, i) => peer.store.commitBlock(blockNum, perPeer[i]!)));
    } catch (err) {
      throw new LedgerCommitFailure(err instanceof Error ? err : new Error(String(err)));
    }
    return missing;
  }

  async #ledgerCommit(block: common.Block): Promise<void> {
    try {
      await this.#o.ledger.commit(block);
    } catch (err) {
      throw new LedgerCommitFailure(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #halted(blockNum: number, error: Error): void {
    this.#halt = { blockNum, error };
    const listeners = [...this.#haltListeners];
    this.#haltListeners.clear();
    for (const l of listeners) {
      try {
        l(this.#halt);
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }

  #haltedError(): Error {
    const h = this.#halt!;
    return committerError(
      'HALTED',
      `the ledger failed to commit block ${h.blockNum}: ${h.error.message}`,
      { blockNum: h.blockNum },
      h.error,
    );
  }

  /** Fails every queued block and every wait: nothing more will be committed. */
  #failPending(): void {
    const err = this.#haltedError();
    for (const q of this.#queue.values()) q.reject(err);
    this.#queue.clear();
    for (const ws of [...this.#waiters.values()]) for (const w of [...ws]) w.reject(err);
  }

  #notify(notice: CommitNotice): void {
    for (const { txId, code } of notice.txs) {
      const ws = this.#waiters.get(txId);
      if (ws === undefined) continue;
      this.#waiters.delete(txId);
      // The first occurrence decides, as the tx index records it.
      const status = { code, blockNum: notice.blockNum, blockNumber: notice.blockNum };
      for (const w of ws) w.resolve(status);
    }
    for (const l of this.#listeners) {
      try {
        l(notice);
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }

  /**
   * Resolves with the validation code and block of `txId` once it is committed, including when it
   * was committed before the call.
   * @param until a timeout in milliseconds, or an AbortSignal.
   * @throws PeerError TIMEOUT, ABORTED, CLOSED; HALTED (not committed, and the committer has halted).
   */
  waitForTransaction(txId: string, until: number | AbortSignal): Promise<TxStatus> {
    if (this.#halt !== undefined) {
      return this.#o.ledger.getTx(txId).then((loc) => {
        if (loc === undefined) throw this.#haltedError();
        return { code: loc.code, blockNum: loc.blockNum, blockNumber: loc.blockNum };
      });
    }
    return new Promise<TxStatus>((resolve, reject) => {
      if (this.#closed) return reject(committerError('CLOSED', 'committer is closed'));
      let timer: NodeJS.Timeout | undefined;
      const signal = typeof until === 'number' ? undefined : until;
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const ws = this.#waiters.get(txId);
        ws?.delete(waiter);
        if (ws?.size === 0) this.#waiters.delete(txId);
      };
      const waiter: Waiter = {
        resolve: (s) => {
          cleanup();
          resolve(s);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = () => waiter.reject(committerError('ABORTED', `stopped waiting for ${txId}`, { txId }));
      if (signal?.aborted) return onAbort();
      // Register before looking in the ledger, so a commit in between is not missed.
      let ws = this.#waiters.get(txId);
      if (ws === undefined) this.#waiters.set(txId, (ws = new Set()));
      ws.add(waiter);
      if (typeof until === 'number')
        timer = setTimeout(
          () => waiter.reject(committerError('TIMEOUT', `transaction ${txId} not committed within ${until} ms`, { txId })),
          until,
        );
      else until.addEventListener('abort', onAbort, { once: true });
      this.#o.ledger.getTx(txId).then(
        (loc) => {
          if (loc !== undefined) waiter.resolve({ code: loc.code, blockNum: loc.blockNum, blockNumber: loc.blockNum });
        },
        (err) => waiter.reject(err),
      );
    });
  }

  /** Refuses further blocks, fails queued blocks and pending waits with CLOSED. Does not close the ledger. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const q of this.#queue.values()) q.reject(committerError('CLOSED', 'committer is closed'));
    this.#queue.clear();
    for (const ws of [...this.#waiters.values()]) for (const w of [...ws]) w.reject(committerError('CLOSED', 'committer is closed'));
  }
}

/** An error of the ledger's commit (as opposed to a refusal by the committer's own checks). */
class LedgerCommitFailure extends Error {
  override readonly cause: Error;
  constructor(cause: Error) {
    super(cause.message);
    this.cause = cause;
  }
}

/** The same header and data with a metadata list of its own: the filter written here must not leak into other listeners' copy. */
function withOwnMetadata(block: common.Block): common.Block {
  const copy = new common.Block();
  copy.setHeader(block.getHeader());
  copy.setData(block.getData());
  const md = new common.BlockMetadata();
  md.setMetadataList((block.getMetadata()?.getMetadataList_asU8() ?? []).slice());
  copy.setMetadata(md);
  return copy;
}

function txIdOf(envelope: Uint8Array): string {
  try {
    return parseEnvelope(envelope).txId;
  } catch {
    return '';
  }
}
