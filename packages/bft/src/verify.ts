// SPDX-License-Identifier: Apache-2.0
// Stateless checks of certificates: usable by replicas and by any outside party holding the
// replicas' public keys (through a `Crypto` whose `verify` knows them).
import { bftCommitSigningBytes, bftProposalDigest, bftSigningBytes, bytesEqual } from './codec';
import { bftQuorum } from './quorum';
import type { Application, Crypto, Decision, PreparedCertificate, SignedMessage } from './types';

/** The leader of `view` among `n` replicas (rotation by view, as SmartBFT without leader rotation). */
export function bftLeaderOf(view: number, n: number): number {
  return view % n;
}

export interface VerifyOptions {
  /** Number of replicas. */
  readonly n: number;
  readonly crypto: Pick<Crypto, 'verify'>;
  /** Supplies `commitSigningBytes` when the cluster signs application-specific bytes (Fabric blocks). */
  readonly app?: Pick<Application, 'commitSigningBytes'>;
  /** Required number of distinct signers. Default: `bftQuorum(n)`. */
  readonly quorum?: number;
}

export function verifySignedMessage(crypto: Pick<Crypto, 'verify'>, n: number, m: SignedMessage): boolean {
  if (!Number.isInteger(m.from) || m.from < 0 || m.from >= n) return false;
  return crypto.verify(m.from, bftSigningBytes(m.from, m.body), m.signature);
}

/** The bytes `signer` signs for the commit certificate of (seq, view, payload). */
export function commitBytesFor(
  app: Pick<Application, 'commitSigningBytes'> | undefined,
  seq: number,
  view: number,
  digest: Uint8Array,
  payload: Uint8Array,
  signer: number,
): Uint8Array {
  return app?.commitSigningBytes ? app.commitSigningBytes(seq, view, digest, payload, signer) : bftCommitSigningBytes(seq, view, digest);
}

/**
 * True when `decision` carries a commit certificate of at least `quorum` distinct, valid replica
 * signatures over its payload's digest. This is what a peer or an auditor checks.
 */
export function verifyDecision(decision: Decision, opts: VerifyOptions): boolean {
  const quorum = opts.quorum ?? bftQuorum(opts.n);
  const c = decision.certificate;
  if (c.seq !== decision.seq || decision.seq < 1) return false;
  if (!bytesEqual(c.digest, bftProposalDigest(decision.seq, decision.payload))) return false;
  const seen = new Set<number>();
  for (const s of c.signatures) {
    if (!Number.isInteger(s.replica) || s.replica < 0 || s.replica >= opts.n || seen.has(s.replica)) continue;
    const bytes = commitBytesFor(opts.app, c.seq, c.view, c.digest, decision.payload, s.replica);
    if (opts.crypto.verify(s.replica, bytes, s.signature)) seen.add(s.replica);
    if (seen.size >= quorum) return true;
  }
  return false;
}

/** True when `p` holds `quorum` distinct valid prepares for its (view, seq, digest of payload). */
export function verifyPreparedCertificate(p: PreparedCertificate, opts: VerifyOptions): boolean {
  const quorum = opts.quorum ?? bftQuorum(opts.n);
  const digest = bftProposalDigest(p.seq, p.payload);
  const seen = new Set<number>();
  for (const m of p.prepares) {
    const b = m.body;
    if (b.view !== p.view || b.seq !== p.seq || !bytesEqual(b.digest, digest) || seen.has(m.from)) continue;
    if (verifySignedMessage(opts.crypto, opts.n, m)) seen.add(m.from);
    if (seen.size >= quorum) return true;
  }
  return false;
}
