// SPDX-License-Identifier: Apache-2.0
// The peer's ledger: block store + world state, committed in Fabric's order with Fabric's recovery.
//
// commit(block) = (1) append the block (already carrying its final TRANSACTIONS_FILTER) to the block
// file and fdatasync it, (2) index it, (3) apply its valid writes and the savepoint in one state batch.
// A crash after (1) loses nothing: on open, the block store re-indexes what its index missed and the
// state replays, from the blocks themselves, every block past its savepoint.
import { join } from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { BlockStore, type BlockStoreOptions, type BlockStoreRecovery, type IterateOptions, type TxLocation } from './blockstore';
import { blockContents, decodeBlock, type StateUpdate, type TxIndexEntry } from './blockparse';
import { LedgerError } from './errors';
import { ioFailure } from './files';
import { StateDb } from './statedb';
import type { BlockToLive } from './expiry';

export interface LedgerOptions extends BlockStoreOptions {
  /**
   * Each private data collection's blockToLive (0: forever): its hashed state is purged from the
   * world state when it expires, as Fabric does. It must not change for a collection that has data
   * (Fabric's lifecycle refuses that), since a replay after a crash must purge alike.
   */
  readonly blockToLive?: BlockToLive;
}

export interface LedgerRecovery extends BlockStoreRecovery {
  /** Blocks whose writes were replayed into state because its savepoint lagged behind the blocks. */
  readonly replayedBlocks: number;
}

export interface CommitResult {
  readonly blockNum: number;
  /** Tx id and validation code per transaction, in block order. */
  readonly txIndex: readonly TxIndexEntry[];
  /** Writes applied to the state (valid transactions only), then the hashed private data purged at this block (blockToLive). */
  readonly updates: readonly StateUpdate[];
}

export class Ledger {
  readonly blockStore: BlockStore;
  readonly state: StateDb;
  readonly recovery: LedgerRecovery;
  readonly #stateDir: string;
  #tail: Promise<unknown> = Promise.resolve();
  #failure: LedgerError | undefined = undefined;
  /** Woken after each commit, once the block's writes are in the state. */
  #applied: (() => void)[] = [];
  readonly #appliedListeners = new Set<(blockNum: number, updates: readonly StateUpdate[]) => void>();

  private constructor(blockStore: BlockStore, state: StateDb, recovery: LedgerRecovery, stateDir: string) {
    this.#stateDir = stateDir;
    this.blockStore = blockStore;
    this.state = state;
    this.recovery = recovery;
  }

  /** Open (or create) a ledger in `dir` (block files and index in `dir/chains`, state in `dir/state`). */
  static async open(dir: string, opts: LedgerOptions = {}): Promise<Ledger> {
    const blockStore = await BlockStore.open(join(dir, 'chains'), opts);
    let state: StateDb | undefined;
    try {
      state = await StateDb.open(join(dir, 'state'), opts.blockToLive === undefined ? {} : { blockToLive: opts.blockToLive });
      const height = blockStore.height;
      if (state.savepoint > height - 1) {
        throw new LedgerError('STATE_AHEAD', `state savepoint ${state.savepoint} is past the last block ${height - 1}`, {
          savepoint: state.savepoint,
          height,
        });
      }
      let replayedBlocks = 0;
      for (let n = state.savepoint + 1; n < height; n++) {
        const block = decodeBlock(await blockStore.getBlock(n));
        await state.applyBlock(n, blockContents(block).updates);
        replayedBlocks++;
      }
      return new Ledger(blockStore, state, { ...blockStore.recovery, replayedBlocks }, join(dir, 'state'));
    } catch (e) {
      await Promise.allSettled([blockStore.close(), state?.close()]);
      throw e;
    }
  }

  get height(): number {
    return this.blockStore.height;
  }
  /** The write failure that stopped this ledger (LedgerError IO, with path and errno), if any. */
  get failure(): LedgerError | undefined {
    return this.#failure;
  }
  get lastHeaderHash(): Uint8Array {
    return this.blockStore.lastHeaderHash;
  }

  /**
   * Commit the next block: it must carry its final TRANSACTIONS_FILTER (metadata slot 2). Its tx index
   * and the writes of its valid transactions are derived from the block itself, so replay after a
   * crash applies exactly what commit applied. Commits are serialized in call order.
   * @throws {LedgerError} BLOCK_OUT_OF_ORDER, BAD_PREVIOUS_HASH, BAD_DATA_HASH, MALFORMED_BLOCK,
   *   MISSING_TX_FILTER, BAD_KEY (ledger unchanged); IO with `details.path` and `details.errno` (a
   *   write or sync failed: the ledger refuses further commits, see {@link failure}; reopening it
   *   recovers every block whose commit resolved).
   */
  commit(block: common.Block | Uint8Array): Promise<CommitResult> {
    const run = this.#tail.then(() => this.#commitNow(block));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #commitNow(input: common.Block | Uint8Array): Promise<CommitResult> {
    if (this.#failure !== undefined)
      throw new LedgerError(
        'IO',
        `an earlier commit failed (${this.#failure.message}); reopen the ledger to recover`,
        this.#failure.details,
        { cause: this.#failure },
      );
    const block = decodeBlock(input);
    // Everything that can refuse the block runs before the block is written.
    const { txIndex, updates } = blockContents(block);
    for (const u of updates) this.state.checkStorable(u.ns, u.key);
    try {
      await this.blockStore.appendDecoded(block, txIndex);
    } catch (e) {
      if (e instanceof LedgerError && e.code === 'IO') this.#failure = e;
      throw e;
    }
    let applied: readonly StateUpdate[] = updates;
    try {
      const purged = await this.state.applyBlock(block.number, updates);
      if (purged.length > 0) applied = [...updates, ...purged];
    } catch (e) {
      // the block is durable: reopening replays it into the state
      this.#failure =
        e instanceof LedgerError && e.code === 'IO'
          ? e
          : ioFailure(`applying block ${block.number} to the world state`, this.#stateDir, e, { blockNum: block.number });
      this.#wakeApplied();
      throw this.#failure;
    }
    for (const listener of this.#appliedListeners) listener(block.number, applied);
    this.#wakeApplied();
    return { blockNum: block.number, txIndex, updates: applied };
  }

  /**
   * Called with each committed block's state writes once they are readable, before anyone learns of
   * the commit (before `commit` resolves and `iterate` yields the block): a cache of the state kept
   * elsewhere (another thread's) is updated before a client can act on the commit. Listeners must
   * not throw. Returns a function that removes the listener.
   */
  onApplied(listener: (blockNum: number, updates: readonly StateUpdate[]) => void): () => void {
    this.#appliedListeners.add(listener);
    return () => void this.#appliedListeners.delete(listener);
  }

  /** Resolves true once block `n`'s writes are in the state, false if `signal` aborts first. */
  #waitApplied(n: number, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.#applied = this.#applied.filter((w) => w !== check);
        resolve(false);
      };
      const check = (): void => {
        if (this.state.savepoint >= n || this.#failure !== undefined) {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#failure === undefined);
        } else this.#applied.push(check);
      };
      if (signal?.aborted === true) return resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  #wakeApplied(): void {
    const applied = this.#applied;
    this.#applied = [];
    for (const wake of applied) wake();
  }

  getBlock(n: number): Promise<Uint8Array> {
    return this.blockStore.getBlock(n);
  }
  getBlockByHash(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.blockStore.getBlockByHash(hash);
  }
  getTx(txId: string): Promise<TxLocation | undefined> {
    return this.blockStore.getTx(txId);
  }
  blocks(from?: number, to?: number): AsyncGenerator<Uint8Array, void, undefined> {
    return this.blockStore.blocks(from, to);
  }
  /**
   * Blocks from `from` on, waiting for new ones (see BlockStore.iterate). A block is yielded once it
   * is committed, its writes included: whoever learns of a commit from this stream (a Deliver
   * client) and reads the state next sees the block's writes, as after a CommitStatus answer.
   */
  async *iterate(from = 0, opts: IterateOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    let n = from;
    for await (const block of this.blockStore.iterate(from, opts)) {
      if (this.state.savepoint < n && !(await this.#waitApplied(n, opts.signal))) return;
      yield block;
      n++;
    }
  }

  async close(): Promise<void> {
    await this.#tail;
    await Promise.all([this.blockStore.close(), this.state.close()]);
  }
}
