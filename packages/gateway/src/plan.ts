// SPDX-License-Identifier: Apache-2.0
import { evaluatePolicy, type Policy } from '@metroledger/policy';

/**
 * The smallest set of organizations whose peers can together satisfy `policy` (each
 * organization's peer signing as `<msp>.peer`), trying `candidates` in the given order so that
 * earlier (preferred) organizations win ties. Undefined when no combination satisfies it.
 */
export function minimalEndorsingOrgs(policy: Policy, candidates: readonly string[]): string[] | undefined {
  const n = candidates.length;
  // Channels have a handful of organizations: enumerating subsets by size is cheap and exact.
  for (let size = 1; size <= n; size++) {
    const found = firstSubset(n, size, (idx) =>
      evaluatePolicy(
        policy,
        idx.map((i) => ({ mspId: candidates[i]!, ous: ['peer'] })),
      ),
    );
    if (found !== undefined) return found.map((i) => candidates[i]!);
  }
  return undefined;
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
