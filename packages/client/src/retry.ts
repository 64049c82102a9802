// SPDX-License-Identifier: Apache-2.0
// Bounded exponential backoff with jitter. Real Fabric makes a client retry: endorsing peers at
// different heights disagree (ProposalResponsePayloads do not match), reads go stale before commit
// (MVCC), services are overloaded or briefly unreachable. Time and randomness are injected, so the
// policy is tested with a manual clock and a seeded generator.
import { systemClock, type Clock } from './clock';

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 10. */
  readonly maxAttempts: number;
  /** First backoff ceiling. Default 20 ms. */
  readonly initialDelayMs: number;
  /** Largest backoff ceiling. Default 2,000 ms. */
  readonly maxDelayMs: number;
  /** No retry starts once this long has passed since the first attempt. Default 300,000 ms. */
  readonly maxElapsedMs: number;
  /** Submit calls of one signed transaction (overload, unreachable orderer) before it is endorsed anew. Default 3. */
  readonly resubmitAttempts: number;
  /**
   * How long endorsers may refuse for state they have not committed yet (a meter registered in the
   * last blocks): `LAGGING_PEER` is retried until this long after its first occurrence, since such
   * a refusal may also be final. Default 5,000 ms: peers a few blocks apart.
   */
  readonly laggingPeerMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 10,
  initialDelayMs: 20,
  maxDelayMs: 2000,
  maxElapsedMs: 300_000,
  resubmitAttempts: 3,
  laggingPeerMs: 5000,
});

/** Why an attempt is retried (the keys of the clients' and reports' retry counts). */
export type RetryCause =
  /** The endorsers' results differ (peers at different ledger heights): endorse anew. */
  | 'ENDORSEMENT_MISMATCH'
  /** Committed as invalid because its reads went stale: endorse anew. */
  | 'MVCC_READ_CONFLICT'
  | 'PHANTOM_READ_CONFLICT'
  /** An endorser refused for state it may not have yet, or the ledger query that settles a replay did not find it yet. */
  | 'LAGGING_PEER'
  /** An endorser behind the gateway could not be reached or did not answer in time. */
  | 'PEER_UNAVAILABLE'
  /** The gateway call itself (gRPC status). */
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'RESOURCE_EXHAUSTED'
  /** The transaction's fate could not be learnt (submit or status kept failing): endorse anew; the ledger decides. */
  | 'COMMIT_UNKNOWN';

/**
 * The delay before attempt `attempt + 1` (attempt counts from 1): the ceiling doubles from
 * `initialDelayMs` up to `maxDelayMs`, and the delay is drawn uniformly from its upper half, so
 * clients that failed together spread out and the delays still grow.
 */
export function backoffDelayMs(
  policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 52));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

/** How a failed attempt is handled. */
export type Verdict = { readonly retry: RetryCause } | { readonly fail: true };

/** Why the retrier gave up on a retryable failure: attempts spent, the time budget spent, the lagging-peer allowance spent. */
export type GiveUp = 'ATTEMPTS' | 'ELAPSED' | 'LAGGING_PEER_TIME';

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly clock?: Clock;
  /** Uniform in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Called before each backoff. */
  readonly onRetry?: (cause: RetryCause, attempt: number, delayMs: number, err: unknown) => void;
}

/** A retryable failure that persisted until the policy's bounds; `error` is the last attempt's. */
export class RetryGiveUp extends Error {
  override readonly cause: unknown;
  readonly retryCause: RetryCause;
  readonly attempts: number;
  readonly why: GiveUp;

  constructor(retryCause: RetryCause, attempts: number, why: GiveUp, last: unknown) {
    super(`still failing after ${attempts} attempts (${retryCause}; ${why === 'ATTEMPTS' ? 'attempts spent' : 'time budget spent'})`);
    this.name = 'RetryGiveUp';
    this.cause = last;
    this.retryCause = retryCause;
    this.attempts = attempts;
    this.why = why;
  }
}

/**
 * Runs `attempt` (given its number, from 1) until it returns, `classify` says a failure is final
 * (rethrown as is), or a retryable failure outlasts the policy: then {@link RetryGiveUp}.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  classify: (err: unknown) => Verdict,
  options: RetryOptions,
): Promise<{ value: T; attempts: number }> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { policy } = options;
  const started = clock.now();
  let laggingSince: number | undefined;
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (err) {
      const verdict = classify(err);
      if (!('retry' in verdict)) throw err;
      const cause = verdict.retry;
      if (n >= policy.maxAttempts) throw new RetryGiveUp(cause, n, 'ATTEMPTS', err);
      const delayMs = backoffDelayMs(policy, n, random);
      const now = clock.now();
      if (now - started + delayMs > policy.maxElapsedMs) throw new RetryGiveUp(cause, n, 'ELAPSED', err);
      if (cause === 'LAGGING_PEER') {
        laggingSince ??= now;
        if (now - laggingSince + delayMs > policy.laggingPeerMs) throw new RetryGiveUp(cause, n, 'LAGGING_PEER_TIME', err);
      }
      options.onRetry?.(cause, n, delayMs, err);
      await clock.sleep(delayMs);
    }
  }
}
