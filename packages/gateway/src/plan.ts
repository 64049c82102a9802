// SPDX-License-Identifier: Apache-2.0
import { evaluatePolicy, type Policy } from '@metroledger/policy';

/**
 * Whether one peer of each organization in `orgs` (signing as `<msp>.peer`) satisfies every one of
 * `policies`, each judged on its own, as validation judges a transaction's required policies.
 */
export function endorsedBy(policies: Policy | readonly Policy[], orgs: readonly string[]): boolean {
  const signers = orgs.map((mspId) => ({ mspId, ous: ['peer'] }));
  return (isPolicyList(policies) ? policies : [policies]).every((policy) => evaluatePolicy(policy, signers));
}

/**
 * The smallest set of organizations whose peers can together satisfy `policies` (one policy, or
 * several that must all hold), trying `candidates` in the given order so that earlier (preferred)
 * organizations win ties. Undefined when no combination satisfies them.
 */
export function minimalEndorsingOrgs(policies: Policy | readonly Policy[], candidates: readonly string[]): string[] | undefined {
  const n = candidates.length;
  // Channels have a handful of organizations: enumerating subsets by size is cheap and exact.
  for (let size = 1; size <= n; size++) {
    const found = firstSubset(n, size, (idx) =>
      endorsedBy(
        policies,
        idx.map((i) => candidates[i]!),
      ),
    );
    if (found !== undefined) return found.map((i) => candidates[i]!);
  }
  return undefined;
}

function isPolicyList(p: Policy | readonly Policy[]): p is readonly Policy[] {
  return Array.isArray(p);
}

function firstSubset(n: number, size: number, accept: (idx: number[]) => boolean): number[] | undefined {
  const idx = Array.from({ length: size }, (_, i) => i);
  for (;;) {
    if (accept(idx)) return idx;
    let i = size - 1;
    while (i >= 0 && idx[i] === n - size + i) i--;
    if (i < 0) return undefined;
    idx[i]!++;
    for (let j = i + 1; j < size; j++) idx[j] = idx[j - 1]! + 1;
  }
}
