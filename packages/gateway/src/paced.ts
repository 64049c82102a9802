// SPDX-License-Identifier: Apache-2.0
import type { Writable } from 'node:stream';

/**
 * Writes to a server stream no faster than the client takes the messages. grpc-js buffers a
 * stream's messages until HTTP/2 flow control lets them out, and write() only says "slow down"
 * after 16 messages (16 blocks: up to 16 × absoluteMaxBytes). Waiting for each message's write
 * to complete before the next leaves one message queued behind the one being sent, so a
 * subscriber that stops reading holds two messages of the gateway's memory, and the producer
 * (the ledger iterator) stops.
 */
export class PacedWriter<T> {
  readonly #stream: Writable;
  readonly #signal: AbortSignal;
  #inFlight: Promise<void> = Promise.resolve();

  /** `signal` aborts when the call ends (cancelled by the client, or failed). */
  constructor(stream: Writable, signal: AbortSignal) {
    this.#stream = stream;
    this.#signal = signal;
  }

  /** Queues `message` once the previous one is out; false (and nothing written) when the call has ended. */
  async write(message: T): Promise<boolean> {
    await untilAborted(this.#inFlight, this.#signal);
    if (this.#signal.aborted) return false;
    this.#inFlight = new Promise<void>((resolve) => {
      this.#stream.write(message, () => resolve());
    });
    return true;
  }
}

function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void p.then(done, done);
  });
}
