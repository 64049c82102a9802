// SPDX-License-Identifier: Apache-2.0
// Learns transaction outcomes from one filtered-block event stream instead of one CommitStatus
// call per transaction: under load that call (a signed gRPC request per transaction, a signature
// check and a wait on the peer) costs both sides more than the rest of the commit path.
import type { Network } from '@hyperledger/fabric-gateway';

/** A transaction's outcome as the peer's filtered block reports it. */
export interface ObservedCommit {
  /** peer.TxValidationCode: 0 is VALID. */
  readonly code: number;
  readonly blockNumber: bigint;
}

type FilteredBlocks = Awaited<ReturnType<Network['getFilteredBlockEvents']>>;

interface Waiter {
  readonly resolve: (c: ObservedCommit | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One filtered-block stream per network, shared by every transaction of a client.
 *
 * It never misses a commit silently: the stream starts at a block known to be committed before any
 * transaction that waits on it was submitted ({@link startAt} is given a block number learnt from a
 * CommitStatus answer), and a waiter that the stream cannot answer (stream ended or failed, timeout)
 * resolves `undefined`, so the caller asks CommitStatus instead.
 */
export class CommitListener {
  readonly #network: Network;
  readonly #timeoutMs: number;
  readonly #waiters = new Map<string, Waiter>();
  #stream: FilteredBlocks | undefined;
  #startBlock: bigint | undefined;
  #closed = false;

  constructor(network: Network, timeoutMs: number) {
    this.#network = network;
    this.#timeoutMs = timeoutMs;
  }

  /** Whether transactions submitted from now on can wait on the stream. */
  get listening(): boolean {
    return this.#startBlock !== undefined && !this.#closed;
  }

  /**
   * Starts the stream at `blockNumber` (a block already committed: transactions submitted after it
   * was learnt commit in later blocks) unless it runs already.
   */
  startAt(blockNumber: bigint): void {
    if (this.#startBlock !== undefined || this.#closed) return;
    this.#startBlock = blockNumber;
    void this.#run(blockNumber);
  }

  /**
   * Registers interest in `txId`; call before submitting it, and only while {@link listening}.
   * Resolves with its outcome, or `undefined` if the stream cannot tell (then ask CommitStatus).
   */
  wait(txId: string): Promise<ObservedCommit | undefined> {
    if (!this.listening || this.#waiters.has(txId)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settle(txId, undefined), this.#timeoutMs);
      this.#waiters.set(txId, { resolve, timer });
    });
  }

  /** Stops waiting for `txId` (e.g. its submission failed). */
  forget(txId: string): void {
    this.#settle(txId, undefined);
  }

  close(): void {
    this.#closed = true;
    this.#stream?.close();
    this.#failPending();
  }

  async #run(startBlock: bigint): Promise<void> {
    try {
      const stream = await this.#network.getFilteredBlockEvents({ startBlock });
      this.#stream = stream;
      if (this.#closed) stream.close();
      for await (const block of stream) {
        const blockNumber = BigInt(block.getNumber());
        for (const tx of block.getFilteredTransactionsList()) {
          // The first occurrence of a tx id decides (a later one is a DUPLICATE_TXID copy).
          this.#settle(tx.getTxid(), { code: tx.getTxValidationCode(), blockNumber });
        }
      }
    } catch {
      // the stream failed: pending and future waits fall back to CommitStatus until restarted
    } finally {
      this.#stream = undefined;
      this.#startBlock = undefined;
      this.#failPending();
    }
  }

  #settle(txId: string, outcome: ObservedCommit | undefined): void {
    const w = this.#waiters.get(txId);
    if (w === undefined) return;
    this.#waiters.delete(txId);
    clearTimeout(w.timer);
    w.resolve(outcome);
  }

  #failPending(): void {
    for (const txId of [...this.#waiters.keys()]) this.#settle(txId, undefined);
  }
}
