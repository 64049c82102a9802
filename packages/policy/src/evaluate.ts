// SPDX-License-Identifier: Apache-2.0
import type { Policy, Principal } from './policy.js';

/** What policy evaluation needs of a signer; @metroledger/identity's Identity satisfies it. */
export interface PolicySigner {
  readonly mspId: string;
  /** Node OUs of the certificate (peer | client | admin | orderer). */
  readonly ous?: readonly string[];
  /** Used to count the same certificate once; signers without it are distinct by object. */
  readonly certPem?: string;
}

/** Does `signer` satisfy `principal`? Inject MspRegistry.satisfiesPrincipal for MSP-validated checks. */
export type PrincipalCheck<S> = (signer: S, principal: Principal) => boolean;

/**
 * NodeOUs semantics for signers already validated by their MSP: same MSP id, and `member`, or the
 * role among the certificate's OUs.
 */
export function nodeOUCheck(signer: PolicySigner, principal: Principal): boolean {
  if (signer.mspId !== principal.mspId) return false;
  return principal.role === 'member' || (signer.ous !== undefined && signer.ous.includes(principal.role));
}

function dedupe<S extends PolicySigner>(signers: readonly S[]): readonly S[] {
  // Fabric drops repeated identities before evaluating (policy.go deduplicate); usually 1-4 signers
  for (let i = 1; i < signers.length; i++) {
    for (let j = 0; j < i; j++) {
      if (sameSigner(signers[i]!, signers[j]!)) return signers.filter((s, idx) => signers.findIndex((t) => sameSigner(s, t)) === idx);
    }
  }
  return signers;
}

function sameSigner(a: PolicySigner, b: PolicySigner): boolean {
  return a === b || (a.certPem !== undefined && a.certPem === b.certPem && a.mspId === b.mspId);
}

function evalRule<S>(rule: Policy, signers: readonly S[], used: boolean[], check: PrincipalCheck<S>): boolean {
  if (rule.kind === 'signedBy') {
    for (let i = 0; i < signers.length; i++) {
      if (used[i]) continue;
      if (check(signers[i]!, rule.principal)) {
        used[i] = true;
        return true;
      }
    }
    return false;
  }
  // Fabric cauthdsl: each sub-rule works on a copy of `used`; its consumption is kept only if it holds.
  // No short-circuit, so later sub-rules also consume signers exactly as Fabric does.
  let verified = 0;
  const scratch = new Array<boolean>(used.length);
  for (const sub of rule.rules) {
    for (let i = 0; i < used.length; i++) scratch[i] = used[i]!;
    if (evalRule(sub, signers, scratch, check)) {
      verified++;
      for (let i = 0; i < used.length; i++) used[i] = scratch[i]!;
    }
  }
  return verified >= rule.n;
}

/**
 * Evaluates a signature policy with Fabric's semantics (common/cauthdsl): repeated signers count
 * once, each signer satisfies at most one principal, and OutOf gates are evaluated greedily in rule
 * order. Pure and allocation-light; `check` decides principal satisfaction (default nodeOUCheck,
 * which trusts that the signers were validated by their MSP).
 */
export function evaluatePolicy<S extends PolicySigner>(
  policy: Policy,
  signers: readonly S[],
  check: PrincipalCheck<S> = nodeOUCheck,
): boolean {
  const unique = dedupe(signers);
  const used = new Array<boolean>(unique.length).fill(false);
  return evalRule(policy, unique, used, check);
}
