// SPDX-License-Identifier: Apache-2.0
// Who is asking, and may they. Every request to the evidence store is signed by a channel
// identity, as Fabric signs proposals: the caller's msp.SerializedIdentity (MSP id and enrollment
// certificate) and an ECDSA signature over the method, path, time, a nonce and the body's SHA-256.
// The store validates the certificate against the channel's MSPs (`MspRegistry`: chain, validity,
// node OU), checks the signature, refuses a stale time or a nonce it has seen, and then applies its
// access policy: which organizations, in which roles, may hand images in, retrieve them, or read
// the access log.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import {
  IdentityError,
  parseSerializedIdentity,
  serializeIdentity,
  signLowS,
  verifySignature,
  type Identity,
  type MspRegistry,
  type SigningIdentity,
} from '@metroledger/identity';
import { EvidenceError } from './errors';

export const AUTH_HEADERS = Object.freeze({
  creator: 'x-metroledger-creator',
  time: 'x-metroledger-time',
  nonce: 'x-metroledger-nonce',
  signature: 'x-metroledger-signature',
});

const DOMAIN = 'metroledger-evidence/v1';

/** The bytes a caller signs for one request. */
export function requestSigningBytes(method: string, path: string, timeMs: number, nonce: string, bodySha256Hex: string): Buffer {
  return Buffer.from(`${DOMAIN}\n${method.toUpperCase()}\n${path}\n${timeMs}\n${nonce}\n${bodySha256Hex}`, 'utf8');
}

export function bodyDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The authentication headers of a request, signed by `identity`. */
export function signRequest(
  identity: Pick<SigningIdentity, 'mspId' | 'certPem' | 'privateKey'>,
  method: string,
  path: string,
  body: Uint8Array,
  nowMs: number = Date.now(),
): Record<string, string> {
  const nonce = randomBytes(16).toString('hex');
  const signature = signLowS(identity.privateKey, requestSigningBytes(method, path, nowMs, nonce, bodyDigest(body)));
  return {
    [AUTH_HEADERS.creator]: Buffer.from(serializeIdentity(identity.mspId, identity.certPem)).toString('base64'),
    [AUTH_HEADERS.time]: String(nowMs),
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: Buffer.from(signature).toString('base64'),
  };
}

export type EvidenceAction = 'put' | 'get' | 'audit';
export type AdmittedRole = 'client' | 'admin';

/**
 * Who may do what. Organizations are channel MSP ids; within them only the listed node roles
 * (default client and admin: never a peer or orderer identity).
 */
export interface EvidenceAccessPolicy {
  /** May hand plate images in: the meter owner, whose client identity submits its meters' readings. */
  readonly writers: readonly string[];
  /** May retrieve images: e.g. the traffic authority that issues tickets and the notified body. */
  readonly readers: readonly string[];
  /** May read the access log and the store's status: e.g. the notified body. */
  readonly auditors: readonly string[];
  readonly roles?: readonly AdmittedRole[];
}

/** The caller as the access log records it. */
export interface Caller {
  readonly mspId: string;
  readonly subject: string;
  /** SHA-256 of the DER certificate, hex. */
  readonly certSha256: string;
  readonly role?: string;
}

interface PendingRequest {
  readonly identity: Identity;
  readonly caller: Caller;
  readonly timeMs: number;
  readonly nonce: string;
  readonly signature: Buffer;
}

export interface AuthenticatorOptions {
  /** Requests timed further than this from the store's clock are refused. Default 300,000 ms. */
  readonly maxSkewMs?: number;
  readonly now?: () => number;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function callerOf(identity: Identity, role?: string): Caller {
  return {
    mspId: identity.mspId,
    subject: identity.commonName,
    certSha256: createHash('sha256').update(new X509Certificate(identity.certPem).raw).digest('hex'),
    ...(role !== undefined && { role }),
  };
}

/** Checks signed requests against the channel's MSPs and the access policy. */
export class RequestAuthenticator {
  readonly #msps: MspRegistry;
  readonly #policy: EvidenceAccessPolicy;
  readonly #maxSkewMs: number;
  readonly #now: () => number;
  /** nonce → request time; entries older than the skew window are pruned (their requests are stale anyway). */
  readonly #nonces = new Map<string, number>();

  constructor(msps: MspRegistry, policy: EvidenceAccessPolicy, options: AuthenticatorOptions = {}) {
    for (const mspId of [...policy.writers, ...policy.readers, ...policy.auditors]) {
      if (!msps.has(mspId)) throw new EvidenceError('BAD_CONFIG', `the access policy names ${mspId}, which is not a channel MSP`);
    }
    this.#msps = msps;
    this.#policy = policy;
    this.#maxSkewMs = options.maxSkewMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * First half, from the headers alone (before any body is read): who the caller is, and whether
   * its organization and role may do `action`.
   * @throws {@link EvidenceError} UNAUTHENTICATED | STALE_REQUEST | FORBIDDEN
   */
  admit(headers: Record<string, string | string[] | undefined>, action: EvidenceAction): PendingRequest {
    const creator = header(headers, AUTH_HEADERS.creator);
    const time = header(headers, AUTH_HEADERS.time);
    const nonce = header(headers, AUTH_HEADERS.nonce);
    const signature = header(headers, AUTH_HEADERS.signature);
    if (creator === undefined || time === undefined || nonce === undefined || signature === undefined) {
      throw new EvidenceError('UNAUTHENTICATED', `a request must be signed (headers ${Object.values(AUTH_HEADERS).join(', ')})`);
    }
    if (!/^\d{1,16}$/.test(time) || !/^[0-9a-f]{32}$/.test(nonce) || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) {
      throw new EvidenceError('UNAUTHENTICATED', 'malformed authentication headers');
    }
    let identity: Identity;
    try {
      identity = parseSerializedIdentity(Buffer.from(creator, 'base64'));
      this.#msps.validate(identity);
    } catch (err) {
      const why = err instanceof IdentityError ? err.message : (err as Error).message;
      throw new EvidenceError('UNAUTHENTICATED', `the caller's identity is not valid on this channel: ${why}`);
    }
    const timeMs = Number(time);
    const skew = Math.abs(this.#now() - timeMs);
    if (skew > this.#maxSkewMs)
      throw new EvidenceError(
        'STALE_REQUEST',
        `the request is timed ${Math.round(skew / 1000)} s from the store's clock (at most ${this.#maxSkewMs / 1000} s)`,
      );
    const role = this.#msps.roleOf(identity);
    const caller = callerOf(identity, role);
    const orgs = action === 'put' ? this.#policy.writers : action === 'get' ? this.#policy.readers : this.#policy.auditors;
    const roles = this.#policy.roles ?? ['client', 'admin'];
    if (!orgs.includes(identity.mspId) || role === undefined || !(roles as readonly string[]).includes(role)) {
      throw new EvidenceError(
        'FORBIDDEN',
        `${identity.mspId} ${role ?? 'member'} ${identity.commonName} may not ${action === 'put' ? 'hand in evidence' : action === 'get' ? 'retrieve evidence' : 'read the access log'}`,
        { caller },
      );
    }
    return { identity, caller, timeMs, nonce, signature: Buffer.from(signature, 'base64') };
  }

  /**
   * Second half, once the body is read: the signature over the request, and the nonce used once.
   * @throws {@link EvidenceError} UNAUTHENTICATED | REPLAYED_REQUEST
   */
  verify(pending: PendingRequest, method: string, path: string, body: Uint8Array): void {
    const bytes = requestSigningBytes(method, path, pending.timeMs, pending.nonce, bodyDigest(body));
    if (!verifySignature(pending.identity.publicKey, bytes, pending.signature)) {
      throw new EvidenceError(
        'UNAUTHENTICATED',
        `the request signature does not verify with ${pending.identity.commonName}'s certificate`,
        { caller: pending.caller },
      );
    }
    const now = this.#now();
    for (const [n, t] of this.#nonces) {
      if (now - t <= this.#maxSkewMs) break; // insertion order is close to time order
      this.#nonces.delete(n);
    }
    if (this.#nonces.has(pending.nonce))
      throw new EvidenceError('REPLAYED_REQUEST', 'this signed request was already received', { caller: pending.caller });
    this.#nonces.set(pending.nonce, pending.timeMs);
  }
}
