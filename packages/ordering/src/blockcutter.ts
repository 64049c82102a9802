// SPDX-License-Identifier: Apache-2.0
// Batch cutting with the semantics of Fabric's orderer/common/blockcutter.
import type { BatchConfig } from '@metroledger/protocol';
import { OrderingError } from './errors.js';

export interface OrderedResult {
  /** Batches ready to become blocks, in order (zero, one or two). */
  readonly batches: Uint8Array[][];
  /** Whether envelopes remain in the pending batch (the caller then keeps or starts its batch timer). */
  readonly pending: boolean;
}

/** @throws {@link OrderingError} BAD_CONFIG for non-positive sizes or preferredMaxBytes > absoluteMaxBytes. */
export function checkBatchConfig(cfg: BatchConfig): void {
  const ints = [cfg.maxMessageCount, cfg.preferredMaxBytes, cfg.absoluteMaxBytes, cfg.batchTimeoutMs];
  if (!ints.every((n) => Number.isSafeInteger(n) && n > 0) || cfg.preferredMaxBytes > cfg.absoluteMaxBytes) {
    throw new OrderingError('BAD_CONFIG', 'batch sizes and timeout must be positive integers, preferredMaxBytes <= absoluteMaxBytes', {
      ...cfg,
    });
  }
}

/**
 * Pure batch cutter. A message larger than preferredMaxBytes goes alone in its own batch (the pending
 * batch is cut first); a message that would overflow preferredMaxBytes cuts the pending batch and
 * starts the next; a batch is cut when it reaches maxMessageCount. Messages above absoluteMaxBytes
 * must be rejected before they get here.
 */
export class BlockCutter {
  readonly #cfg: BatchConfig;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  constructor(cfg: BatchConfig) {
    checkBatchConfig(cfg);
    this.#cfg = cfg;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  ordered(msg: Uint8Array): OrderedResult {
    const batches: Uint8Array[][] = [];
    const size = msg.length;
    if (size > this.#cfg.preferredMaxBytes) {
      if (this.#pending.length > 0) batches.push(this.cut());
      batches.push([msg]);
      return { batches, pending: false };
    }
    if (this.#pendingBytes + size > this.#cfg.preferredMaxBytes) batches.push(this.cut());
    this.#pending.push(msg);
    this.#pendingBytes += size;
    if (this.#pending.length >= this.#cfg.maxMessageCount) batches.push(this.cut());
    return { batches, pending: this.#pending.length > 0 };
  }

  /** Returns the pending batch (possibly empty) and starts a new one. */
  cut(): Uint8Array[] {
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    return batch;
  }
}
