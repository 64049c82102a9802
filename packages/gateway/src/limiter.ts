// SPDX-License-Identifier: Apache-2.0
// Admission control for endorsements: a bound on the simulations in flight (and the memory they
// hold), as a peer's fixed pool of endorsement workers gives, and a bound on the requests waiting
// for them, as Fabric's peer.limits.concurrency.gatewayService gives (a request beyond it is refused
// at once with RESOURCE_EXHAUSTED, so the client backs off instead of timing out in a queue).
// A waiting request whose caller is gone (cancelled, or its deadline passed) leaves the queue and is
// never run: without that, 1,000 meters reconnecting together filled the queue with requests whose
// clients had given up, and the peers spent all their time endorsing for nobody (docs/FIELD.md).

/** Why the limiter did not run a task. */
export class AdmissionRefused extends Error {
  constructor(
    /** FULL: the queue is at its bound; CANCELLED: the caller went away while the task waited. */
    readonly reason: 'FULL' | 'CANCELLED',
    message: string,
  ) {
    super(message);
    this.name = 'AdmissionRefused';
  }
}

interface Waiter {
  readonly start: () => void;
  readonly signal: AbortSignal | undefined;
}

export class ConcurrencyLimiter {
  readonly #max: number;
  readonly #maxQueued: number;
  #active = 0;
  #waiting: Waiter[] = [];

  /**
   * @param max tasks run at once
   * @param maxQueued tasks that may wait for a slot; one more is refused (`AdmissionRefused` FULL). Default: unbounded.
   */
  constructor(max: number, maxQueued: number = Number.POSITIVE_INFINITY) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, not ${max}`);
    if (maxQueued !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxQueued) || maxQueued < 0)) {
      throw new RangeError(`queue limit must be a non-negative integer, not ${maxQueued}`);
    }
    this.#max = max;
    this.#maxQueued = maxQueued;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `work` when a slot is free. Rejects with `AdmissionRefused` (and never runs `work`) when
   * the queue is full, or when `signal` aborts before a slot is free.
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new AdmissionRefused('CANCELLED', 'the caller went away before its request was admitted');
    if (this.#active < this.#max) {
      this.#active++;
    } else {
      if (this.#waiting.length >= this.#maxQueued) {
        throw new AdmissionRefused('FULL', `too many requests: ${this.#max} running and ${this.#waiting.length} waiting`);
      }
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { start: resolve, signal };
        this.#waiting.push(waiter);
        signal?.addEventListener(
          'abort',
          () => {
            const i = this.#waiting.indexOf(waiter);
            if (i < 0) return; // already started
            this.#waiting.splice(i, 1);
            reject(new AdmissionRefused('CANCELLED', 'the caller went away while its request waited'));
          },
          { once: true },
        );
      });
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next live waiter, so that #active never exceeds #max.
      const next = this.#waiting.shift();
      if (next) next.start();
      else this.#active--;
    }
  }
}
