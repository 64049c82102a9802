// SPDX-License-Identifier: Apache-2.0
// Fault injection (tests, demos): an endorser behind the ledger. On Fabric every peer has its own
// ledger and endorsers may be blocks apart; the devnet's peers share one, so they never are. A
// chaincode that reads a key written by a recent block (the LR chaincode reads a meter's last
// sequence) then gets another read set on the lagging peer, and Fabric's gateway answers
// `ABORTED … ProposalResponsePayloads do not match`; when every endorser lags alike, the transaction
// is ordered and committed as MVCC_READ_CONFLICT. Clients must survive both.
import type { StateReader, VersionedValue } from '@metroledger/protocol';

export interface LaggingStateOptions {
  /** Proposals simulated against the stale view before the peer has caught up. */
  readonly proposals: number;
}

/**
 * The state a lagging endorser simulates against. For its first `proposals` proposals each key
 * reads as it did the first time this peer read it, value and version (as if the peer had stopped
 * applying blocks to what it has read); range queries read the ledger. From then on it has caught
 * up and reads the ledger.
 */
export class LaggingState {
  readonly #live: StateReader;
  readonly #seen = new Map<string, VersionedValue | undefined>();
  readonly #stale: StateReader;
  #left: number;

  constructor(live: StateReader, options: LaggingStateOptions) {
    this.#live = live;
    this.#left = options.proposals;
    this.#stale = {
      get: async (namespace, key) => {
        const k = `${namespace}\u0000${key}`;
        if (this.#seen.has(k)) return this.#seen.get(k);
        const v = await live.get(namespace, key);
        this.#seen.set(k, v);
        return v;
      },
      range: (namespace, startKey, endKey) => live.range(namespace, startKey, endKey),
    };
  }

  /** Proposals still to be simulated on the stale view. */
  get lagging(): number {
    return this.#left;
  }

  /** The state for the next proposal (counts it). */
  next(): StateReader {
    if (this.#left <= 0) return this.#live;
    this.#left--;
    return this.#stale;
  }
}
