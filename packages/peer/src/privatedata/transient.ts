// SPDX-License-Identifier: Apache-2.0
// Fabric's transient store: the private writes an endorser simulated, kept by transaction id until
// the transaction commits (then member peers store them) or until the ledger has grown past
// `retention` blocks since the endorsement (Fabric's peer.gossip.pvtData.transientstoreMaxBlockRetention).
// In memory: endorsements that have not committed do not survive a restart of the process, and a
// transaction that commits after that finds its private data missing, as on a Fabric peer whose
// transient store lost it.
import type { NsPvtRwSet } from '@metroledger/protocol';

/** Fabric's default transientstoreMaxBlockRetention. */
export const DEFAULT_TRANSIENT_RETENTION = 1000;

interface Entry {
  readonly data: readonly NsPvtRwSet[];
  /** Ledger height when it was endorsed. */
  readonly height: number;
}

export class TransientStore {
  readonly #entries = new Map<string, Entry>();
  readonly #retention: number;

  constructor(retention = DEFAULT_TRANSIENT_RETENTION) {
    this.#retention = retention;
  }

  /** Keeps the private writes of an endorsement of `txId`, simulated at ledger `height`. */
  put(txId: string, data: readonly NsPvtRwSet[], height: number): void {
    this.#entries.set(txId, { data, height });
  }

  get(txId: string): readonly NsPvtRwSet[] | undefined {
    return this.#entries.get(txId)?.data;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** After a block commits: its transactions' copies go, and so do endorsements older than the retention. */
  purge(committedTxIds: Iterable<string>, height: number): void {
    for (const id of committedTxIds) this.#entries.delete(id);
    for (const [id, e] of this.#entries) if (height - e.height > this.#retention) this.#entries.delete(id);
  }
}
