// SPDX-License-Identifier: Apache-2.0
// Faults a test or demo injects into a running devnet to show what real Fabric does and the devnet
// by itself never does: its peers share one ledger (so endorsers never disagree), and its gateway
// and orderer share a process (so an answer is never lost on the way).
import { LaggingState } from '@metroledger/peer';
import type { OrdererPort } from '@metroledger/gateway';
import type { StateReader } from '@metroledger/protocol';
import { DevnetError } from './errors.js';

/** Fault injection into a running devnet (in-process only: tests and demos). */
export interface DevnetFaults {
  /**
   * From now on, `peer` (e.g. `peer0.pucpr.example.com`) simulates its next `proposals` proposals
   * on a stale view of the ledger (`LaggingState`): the gateway answers ABORTED …
   * ProposalResponsePayloads do not match, or, when every endorser lags alike, the transaction is
   * ordered and commits as MVCC_READ_CONFLICT. Then it has caught up.
   * @throws DevnetError BAD_CONFIG for a peer the network lacks.
   */
  lagPeer(peer: string, proposals: number): void;
  /**
   * The next `count` Submit calls the orderer accepts are answered UNAVAILABLE, as when its answer
   * is lost: the transaction commits although the client saw the submission fail.
   */
  loseSubmitAnswers(count: number): void;
}

export class FaultInjector implements DevnetFaults {
  readonly #state: StateReader;
  readonly #peers: readonly string[];
  readonly #lagging = new Map<string, LaggingState>();
  #lostAnswers = 0;

  readonly #lagElsewhere: ((peer: string, proposals: number) => void) | undefined;

  /** `lagElsewhere`: told of lags too, for the endorsers in other threads (they keep their stale views there). */
  constructor(state: StateReader, peerNames: readonly string[], lagElsewhere?: (peer: string, proposals: number) => void) {
    this.#state = state;
    this.#peers = peerNames;
    this.#lagElsewhere = lagElsewhere;
  }

  lagPeer(peer: string, proposals: number): void {
    if (!this.#peers.includes(peer))
      throw new DevnetError('BAD_CONFIG', `${peer} is not a peer of the network (${this.#peers.join(', ')})`);
    if (!Number.isInteger(proposals) || proposals < 0)
      throw new DevnetError('BAD_CONFIG', `lagging peer ${peer}: proposals must be a non-negative integer`);
    this.#lagElsewhere?.(peer, proposals);
    this.#lagging.set(peer, new LaggingState(this.#state, { proposals }));
  }

  loseSubmitAnswers(count: number): void {
    if (!Number.isInteger(count) || count < 0)
      throw new DevnetError('BAD_CONFIG', 'lost submit answers: count must be a non-negative integer');
    this.#lostAnswers = count;
  }

  /** The endorser hook of `peer`: the state its next proposal is simulated against. */
  simulationState(peer: string): () => StateReader {
    return () => {
      const lag = this.#lagging.get(peer);
      if (lag === undefined) return this.#state;
      if (lag.lagging === 0) this.#lagging.delete(peer);
      return lag.next();
    };
  }

  /** `orderer`, losing answers while asked to. */
  orderer(orderer: OrdererPort): OrdererPort {
    return {
      broadcast: async (envelope) => {
        await orderer.broadcast(envelope);
        if (this.#lostAnswers > 0) {
          this.#lostAnswers--;
          throw Object.assign(new Error('injected fault: the orderer accepted the transaction, its answer was lost'), {
            code: 'SERVICE_UNAVAILABLE',
          });
        }
      },
    };
  }
}
