// SPDX-License-Identifier: Apache-2.0
// The one place where the cluster size n turns into fault tolerance and quorum size. Every other
// package (ordering, peer, audit) imports these; none repeats the arithmetic.

/** The smallest BFT cluster: 4 replicas tolerate one Byzantine replica; fewer tolerate none. */
export const BFT_REPLICAS_MIN = 4;
/** The largest cluster a replica accepts (votes and view changes are kept per replica). */
export const BFT_REPLICAS_MAX = 1024;

/** Byzantine replicas a cluster of n tolerates: f = floor((n-1)/3), the largest f with n >= 3f+1. */
export function bftFaultTolerance(n: number): number {
  return Math.floor((n - 1) / 3);
}

/**
 * Quorum of a cluster of n replicas, as SmartBFT and BFT-SMaRt compute it: ceil((n+f+1)/2) with
 * f = bftFaultTolerance(n). Two quorums overlap in at least 2Q-n >= f+1 replicas, so in at least
 * one correct replica, which never votes for two values: two conflicting certificates cannot
 * exist (safety). And Q <= n-f, so the correct replicas alone form a quorum (liveness).
 * For n = 3f+1 this is 2f+1; for other n, 2f+1 is too small (n = 6: two quorums of 3 can be
 * disjoint), so no code may use 2f+1 in its place.
 */
export function bftQuorum(n: number): number {
  return Math.ceil((n + bftFaultTolerance(n) + 1) / 2);
}
