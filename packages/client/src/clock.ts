// SPDX-License-Identifier: Apache-2.0
// Time for retry backoff (the client's retries, the outbox forwarder's): the system clock in the
// field, a virtual one in tests (no real sleeps: a test's waits advance virtual time at once).

/** A monotonic clock and a way to wait on it. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});

/** A clock whose sleeps return at once, moving its time forward by what was slept. */
export class VirtualClock implements Clock {
  #now: number;
  /** Every sleep asked for, in order (for tests of the backoff). */
  readonly sleeps: number[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.#now += Math.max(0, ms);
    // let other work run, as a real sleep would
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Moves time forward without a sleep (work that takes time, such as a network call). */
  advance(ms: number): void {
    this.#now += ms;
  }
}
