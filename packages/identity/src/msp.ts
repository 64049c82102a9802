// SPDX-License-Identifier: Apache-2.0
import { X509Certificate } from 'node:crypto';
import { IdentityError, type IdentityErrorCode } from './errors.js';
import type { Identity } from './deserializer.js';

/** Roles of Fabric policy principals (msp.MSPRole). */
export type MspRole = 'member' | 'admin' | 'client' | 'peer' | 'orderer';
/** The node roles NodeOUs can express: every valid identity of a NodeOUs MSP has exactly one. */
export type NodeRole = 'admin' | 'client' | 'peer' | 'orderer';

/** NodeOUs of an MSP's config.yaml; the OU names default to Fabric's (client, peer, admin, orderer). */
export interface NodeOUsConfig {
  enable: boolean;
  clientOU?: string;
  peerOU?: string;
  adminOU?: string;
  ordererOU?: string;
}

export interface MspConfig {
  mspId: string;
  /** Root CA certificates (msp/cacerts). */
  rootCertsPem: readonly string[];
  /** Intermediate CA certificates (msp/intermediatecerts). */
  intermediateCertsPem?: readonly string[];
  /** Default: enabled with Fabric's OU names, as cryptogen and the devnet generate. */
  nodeOUs?: NodeOUsConfig;
  /** Explicit admin certificates (msp/admincerts), used for the admin role when NodeOUs are disabled. */
  adminCertsPem?: readonly string[];
  /** TLS root CA certificates (msp/tlscacerts); carried for peers, not used by validate(). */
  tlsRootCertsPem?: readonly string[];
}

interface Msp {
  readonly config: MspConfig;
  readonly roots: readonly X509Certificate[];
  readonly intermediates: readonly X509Certificate[];
  /** OU name → node role; empty when NodeOUs are disabled. */
  readonly ouRoles: ReadonlyMap<string, NodeRole>;
  readonly adminCertsDer: readonly Buffer[];
}

interface ChainResult {
  readonly error?: { readonly code: IdentityErrorCode; readonly message: string };
  readonly role?: NodeRole;
  /** Intersection of the validity periods of the certificate and its chain. */
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

const MAX_CHAIN_DEPTH = 8;

function parseCa(mspId: string, pem: string, what: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new IdentityError('INVALID_MSP_CONFIG', `${mspId}: ${what} certificate does not parse`, { mspId }, { cause: err });
  }
  if (!cert.ca)
    throw new IdentityError('INVALID_MSP_CONFIG', `${mspId}: ${what} certificate is not a CA (basicConstraints CA:false)`, { mspId });
  return cert;
}

/**
 * The channel's MSPs: for each MSP id its CA certificates and NodeOUs configuration. Validates
 * identities against them (chain and node OU; the validity period only at a time the caller gives)
 * and answers policy-principal role questions with Fabric's NodeOUs semantics. Chain results are cached per Identity object, so pass
 * identities from a (caching) IdentityDeserializer.
 */
export class MspRegistry {
  readonly #msps = new Map<string, Msp>();
  readonly #chainCache = new WeakMap<Identity, ChainResult>();

  /** @throws {@link IdentityError} INVALID_MSP_CONFIG on a duplicate MSP id or a bad CA certificate. */
  constructor(msps: readonly MspConfig[]) {
    for (const config of msps) {
      if (this.#msps.has(config.mspId))
        throw new IdentityError('INVALID_MSP_CONFIG', `duplicate MSP id ${config.mspId}`, { mspId: config.mspId });
      if (config.rootCertsPem.length === 0)
        throw new IdentityError('INVALID_MSP_CONFIG', `${config.mspId}: no root CA certificate`, { mspId: config.mspId });
      const nodeOUs = config.nodeOUs ?? { enable: true };
      const ouRoles = new Map<string, NodeRole>();
      if (nodeOUs.enable) {
        ouRoles.set(nodeOUs.clientOU ?? 'client', 'client');
        ouRoles.set(nodeOUs.peerOU ?? 'peer', 'peer');
        ouRoles.set(nodeOUs.adminOU ?? 'admin', 'admin');
        ouRoles.set(nodeOUs.ordererOU ?? 'orderer', 'orderer');
      }
      this.#msps.set(config.mspId, {
        config,
        roots: config.rootCertsPem.map((p) => parseCa(config.mspId, p, 'root CA')),
        intermediates: (config.intermediateCertsPem ?? []).map((p) => parseCa(config.mspId, p, 'intermediate CA')),
        ouRoles,
        adminCertsDer: (config.adminCertsPem ?? []).map((p) => {
          try {
            return new X509Certificate(p).raw;
          } catch (err) {
            throw new IdentityError(
              'INVALID_MSP_CONFIG',
              `${config.mspId}: admin certificate does not parse`,
              { mspId: config.mspId },
              { cause: err },
            );
          }
        }),
      });
    }
  }

  /** The MSP ids, in configuration order. */
  get mspIds(): string[] {
    return [...this.#msps.keys()];
  }

  has(mspId: string): boolean {
    return this.#msps.has(mspId);
  }

  /** The configuration an MSP was registered with, or undefined. */
  getConfig(mspId: string): MspConfig | undefined {
    return this.#msps.get(mspId)?.config;
  }

  /**
   * Checks that `identity` belongs to a known MSP, chains to one of its CAs, is not a CA itself and
   * carries exactly one node OU when NodeOUs are enabled. Time plays no part, as in Fabric's MSP
   * (FAB-3678): this is what commit-time validation and the audit ask, so a block is judged the same
   * whenever it is validated. Use {@link validateAt} where a request enters the network.
   * @throws {@link IdentityError} UNKNOWN_MSP | UNTRUSTED_CERTIFICATE | INVALID_NODE_OU
   */
  validate(identity: Identity): void {
    this.#throwIf(identity, this.#check(identity, undefined));
  }

  /** validate() as a boolean, without allocating an error. */
  isValid(identity: Identity): boolean {
    return this.#check(identity, undefined) === undefined;
  }

  /**
   * validate(), and the certificate and its chain are within their validity period at `atTimeMs`:
   * the check an endorser (proposal), an orderer (broadcast) or a gateway makes with its clock.
   * @throws {@link IdentityError} UNKNOWN_MSP | UNTRUSTED_CERTIFICATE | INVALID_NODE_OU | EXPIRED_CERTIFICATE
   */
  validateAt(identity: Identity, atTimeMs: number): void {
    this.#throwIf(identity, this.#check(identity, atTimeMs));
  }

  /** validateAt() as a boolean, without allocating an error. */
  isValidAt(identity: Identity, atTimeMs: number): boolean {
    return this.#check(identity, atTimeMs) === undefined;
  }

  /** The identity's node role from its NodeOU (undefined if its MSP is unknown, NodeOUs are off, or it has no single node OU). */
  roleOf(identity: Identity): NodeRole | undefined {
    const msp = this.#msps.get(identity.mspId);
    return msp === undefined ? undefined : this.#chain(identity, msp).role;
  }

  /**
   * Whether a *valid* identity (validate(), so regardless of time) of MSP `mspId` satisfies that
   * MSP's `role`, as Fabric's MSP SatisfiesPrincipal does for an MSPRole principal: `member` is any
   * valid identity; with NodeOUs the other roles come from the certificate's OU; without NodeOUs
   * `admin` means listed in admincerts and client/peer/orderer cannot be told apart (false).
   */
  satisfiesPrincipal(identity: Identity, principal: { mspId: string; role: MspRole }): boolean {
    if (identity.mspId !== principal.mspId) return false;
    if (this.#check(identity, undefined) !== undefined) return false;
    if (principal.role === 'member') return true;
    const msp = this.#msps.get(identity.mspId)!;
    if (msp.ouRoles.size > 0) return this.#chain(identity, msp).role === principal.role;
    if (principal.role === 'admin') {
      const raw = identity.certificate.raw;
      return msp.adminCertsDer.some((a) => a.equals(raw));
    }
    return false;
  }

  /** satisfiesPrincipal for the identity's own MSP. */
  satisfiesRole(identity: Identity, role: MspRole): boolean {
    return this.satisfiesPrincipal(identity, { mspId: identity.mspId, role });
  }

  #throwIf(identity: Identity, failure: { code: IdentityErrorCode; message: string } | undefined): void {
    if (failure !== undefined) throw new IdentityError(failure.code, failure.message, { mspId: identity.mspId, subject: identity.subject });
  }

  /** The first failed check, or undefined; the validity period is checked only when `atTimeMs` is given. */
  #check(identity: Identity, atTimeMs: number | undefined): { code: IdentityErrorCode; message: string } | undefined {
    const msp = this.#msps.get(identity.mspId);
    if (msp === undefined) return { code: 'UNKNOWN_MSP', message: `MSP ${identity.mspId} is not a member of this channel` };
    const chain = this.#chain(identity, msp);
    if (chain.error !== undefined) return chain.error;
    if (atTimeMs !== undefined && (atTimeMs < chain.notBeforeMs || atTimeMs > chain.notAfterMs)) {
      return {
        code: 'EXPIRED_CERTIFICATE',
        message: `certificate of ${identity.commonName} (or its CA) is valid only from ${new Date(chain.notBeforeMs).toISOString()} to ${new Date(chain.notAfterMs).toISOString()}`,
      };
    }
    return undefined;
  }

  #chain(identity: Identity, msp: Msp): ChainResult {
    let result = this.#chainCache.get(identity);
    if (result === undefined) {
      result = computeChain(identity, msp);
      this.#chainCache.set(identity, result);
    }
    return result;
  }
}

function computeChain(identity: Identity, msp: Msp): ChainResult {
  const cert = identity.certificate;
  let notBeforeMs = identity.notBeforeMs;
  let notAfterMs = identity.notAfterMs;
  const fail = (code: IdentityErrorCode, message: string): ChainResult => ({ error: { code, message }, notBeforeMs, notAfterMs });
  if (cert.ca) return fail('UNTRUSTED_CERTIFICATE', `a CA certificate cannot be used as an identity (${identity.commonName})`);

  let current = cert;
  let anchored = false;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH && !anchored; depth++) {
    const root = msp.roots.find((ca) => issuedBy(current, ca));
    if (root !== undefined) {
      anchored = true;
      notBeforeMs = Math.max(notBeforeMs, Date.parse(root.validFrom));
      notAfterMs = Math.min(notAfterMs, Date.parse(root.validTo));
      break;
    }
    const parent = msp.intermediates.find((ca) => ca !== current && issuedBy(current, ca));
    if (parent === undefined) break;
    notBeforeMs = Math.max(notBeforeMs, Date.parse(parent.validFrom));
    notAfterMs = Math.min(notAfterMs, Date.parse(parent.validTo));
    current = parent;
  }
  if (!anchored) return fail('UNTRUSTED_CERTIFICATE', `certificate of ${identity.commonName} is not issued by a CA of ${identity.mspId}`);

  let role: NodeRole | undefined;
  if (msp.ouRoles.size > 0) {
    let count = 0;
    for (const ou of identity.ous) {
      const r = msp.ouRoles.get(ou);
      if (r !== undefined) {
        role = r;
        count++;
      }
    }
    if (count !== 1) {
      return fail(
        'INVALID_NODE_OU',
        `with NodeOUs enabled an identity must carry exactly one of the node OUs; ${identity.commonName} has ${count}`,
      );
    }
  }
  return role === undefined ? { notBeforeMs, notAfterMs } : { role, notBeforeMs, notAfterMs };
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}
