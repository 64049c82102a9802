// SPDX-License-Identifier: Apache-2.0
// Output commit for a replica whose WAL writes become durable later than they are made: whatever the
// replica sends after a write (a vote, a decided block) is held until a sync covers that write, and
// everything it sends leaves in the order it was produced.

/** Holds a replica's output until the writes made before it are durable. */
export class OutputGate {
  #writes = 0;
  #synced = 0;
  #held: { readonly writes: number; readonly release: () => void }[] = [];

  /** Writes made so far (a sync started now covers this many). */
  get writes(): number {
    return this.#writes;
  }

  /** Writes not yet known durable. */
  get unsynced(): number {
    return this.#writes - this.#synced;
  }

  /** Outputs waiting. */
  get held(): number {
    return this.#held.length;
  }

  /** A write was made; `durable` when it synced before returning (then, with every earlier write durable, nothing waits for it). */
  wrote(durable = false): void {
    this.#writes++;
    if (durable && this.#synced === this.#writes - 1) this.#synced = this.#writes;
  }

  /** Releases `release` now if nothing it depends on or precedes is pending, else holds it. */
  output(release: () => void): void {
    if (this.#held.length === 0 && this.#synced >= this.#writes) release();
    else this.#held.push({ writes: this.#writes, release });
  }

  /**
   * The first `upTo` writes are durable: releases, in order, the outputs that waited only for them.
   * A release that throws stops the others (they stay held) and the error propagates.
   */
  synced(upTo: number): void {
    if (upTo > this.#synced) this.#synced = Math.min(upTo, this.#writes);
    while (this.#held.length > 0 && this.#held[0]!.writes <= this.#synced) this.#held.shift()!.release();
  }
}
