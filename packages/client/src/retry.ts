// SPDX-License-Identifier: Apache-2.0
// Exponential backoff with full jitter: an overloaded ordering service refuses work and clients
// come back later (the paper's BFT orderer discards excess transactions; clients resend them).

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 10. */
  readonly maxAttempts: number;
  /** First backoff ceiling. Default 20 ms. */
  readonly initialDelayMs: number;
  /** Largest backoff ceiling. Default 2,000 ms. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 2000 });

/** The delay before attempt `attempt + 1` (attempt counts from 1), drawn uniformly below the ceiling. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
