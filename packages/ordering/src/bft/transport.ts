// SPDX-License-Identifier: Apache-2.0
// In-process transport between the replicas of one devnet process: messages are delivered
// asynchronously (a later turn of the event loop, in send order), never synchronously inside
// `send`, so a replica's handler never re-enters another one. A replica can be cut off (down):
// messages to it are dropped, and it sends nothing.
import type { Network, ReplicaId, SignedMessage } from '@metroledger/bft';

export type Deliver = (to: ReplicaId, from: ReplicaId, msg: SignedMessage) => void;

export class InProcessNetwork {
  readonly n: number;
  readonly #up: boolean[];
  #queue: { from: ReplicaId; to: ReplicaId; msg: SignedMessage }[] = [];
  #scheduled = false;
  #deliver: Deliver | undefined;
  /** Messages dropped because the sender or the receiver was down. */
  dropped = 0;
  delivered = 0;

  constructor(n: number) {
    this.n = n;
    this.#up = Array.from({ length: n }, () => false);
  }

  /** Where delivered messages go (the orderer routes them to the receiving replica). */
  setReceiver(deliver: Deliver): void {
    this.#deliver = deliver;
  }

  /** The Network port of replica `from`. */
  endpoint(from: ReplicaId): Network {
    return { send: (to, msg) => this.#send(from, to, msg) };
  }

  setUp(replica: ReplicaId, up: boolean): void {
    this.#up[replica] = up;
  }

  isUp(replica: ReplicaId): boolean {
    return this.#up[replica] === true;
  }

  #send(from: ReplicaId, to: ReplicaId, msg: SignedMessage): void {
    if (!this.#up[from] || to < 0 || to >= this.n) {
      this.dropped++;
      return;
    }
    this.#queue.push({ from, to, msg });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    for (const { from, to, msg } of batch) {
      if (!this.#up[to] || this.#deliver === undefined) {
        this.dropped++;
        continue;
      }
      this.delivered++;
      this.#deliver(to, from, msg);
    }
  }
}
