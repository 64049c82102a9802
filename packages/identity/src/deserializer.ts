// SPDX-License-Identifier: Apache-2.0
import { X509Certificate, type KeyObject } from 'node:crypto';
import { msp } from '@hyperledger/fabric-protos';
import { IdentityError } from './errors.js';
import { serializeIdentity } from './signing.js';

/** A deserialized (not yet validated) X.509 identity. Instances are shared: treat them as immutable. */
export interface Identity {
  readonly mspId: string;
  readonly certPem: string;
  readonly publicKey: KeyObject;
  /** The subject's OU values (NodeOUs: peer | client | admin | orderer), in certificate order. */
  readonly ous: readonly string[];
  /** The subject's common name (e.g. 'peer0.lasige.example.com', 'User1@lasige.example.com'). */
  readonly commonName: string;
  /** The subject DN as Node prints it, one `KEY=value` per line. */
  readonly subject: string;
  readonly issuer: string;
  /** Validity period, epoch milliseconds. */
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** The parsed certificate, for chain checks. */
  readonly certificate: X509Certificate;
  /** The msp.SerializedIdentity bytes this identity was built from (or would serialize to). */
  readonly serialized: Uint8Array;
}

function subjectValues(dn: string, key: string): string[] {
  const out: string[] = [];
  const prefix = key + '=';
  for (const line of dn.split('\n')) if (line.startsWith(prefix)) out.push(line.slice(prefix.length));
  return out;
}

/** Builds an Identity from an MSP id and a PEM (or DER) certificate; throws IdentityError('MALFORMED_IDENTITY'). */
export function identityFromCertificate(mspId: string, cert: string | Uint8Array, serialized?: Uint8Array): Identity {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength));
  } catch (err) {
    throw new IdentityError('MALFORMED_IDENTITY', `certificate of ${JSON.stringify(mspId)} does not parse`, { mspId }, { cause: err });
  }
  const certPem = x509.toString();
  const subject = x509.subject;
  const notBeforeMs = Date.parse(x509.validFrom);
  const notAfterMs = Date.parse(x509.validTo);
  return Object.freeze({
    mspId,
    certPem,
    publicKey: x509.publicKey,
    ous: Object.freeze(subjectValues(subject, 'OU')),
    commonName: subjectValues(subject, 'CN')[0] ?? '',
    subject,
    issuer: x509.issuer,
    notBeforeMs,
    notAfterMs,
    certificate: x509,
    serialized: serialized ?? serializeIdentity(mspId, certPem),
  });
}

const PEM_BEGIN = Buffer.from('-----BEGIN CERTIFICATE-----');

export interface IdentityDeserializerOptions {
  /** Most distinct identities kept (least recently used evicted). Default 1024. */
  maxEntries?: number;
}

/**
 * Turns msp.SerializedIdentity bytes into Identity objects, caching by the exact bytes: the hot
 * path sees a handful of creators and endorsers millions of times, and parsing costs ~130 µs.
 */
export class IdentityDeserializer {
  readonly #cache = new Map<string, Identity>();
  readonly #maxEntries: number;

  constructor(options: IdentityDeserializerOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 1024);
  }

  /** @throws {@link IdentityError} MALFORMED_IDENTITY when the bytes are not a SerializedIdentity with a PEM certificate. */
  deserialize(serialized: Uint8Array): Identity {
    const key = Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength).toString('latin1');
    const cache = this.#cache;
    const hit = cache.get(key);
    if (hit !== undefined) {
      // refresh recency only when it could matter, keeping hits cheap for small working sets
      if (cache.size >= this.#maxEntries) {
        cache.delete(key);
        cache.set(key, hit);
      }
      return hit;
    }
    const identity = parseSerializedIdentity(serialized);
    if (cache.size >= this.#maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(key, identity);
    return identity;
  }

  /** Number of cached identities (for tests and metrics). */
  get size(): number {
    return this.#cache.size;
  }
}

/** Uncached parse of msp.SerializedIdentity bytes. */
export function parseSerializedIdentity(serialized: Uint8Array): Identity {
  let mspId: string;
  let idBytes: Uint8Array;
  try {
    const si = msp.SerializedIdentity.deserializeBinary(serialized);
    mspId = si.getMspid();
    idBytes = si.getIdBytes_asU8();
  } catch (err) {
    throw new IdentityError('MALFORMED_IDENTITY', 'bytes are not an msp.SerializedIdentity', undefined, { cause: err });
  }
  if (mspId === '') throw new IdentityError('MALFORMED_IDENTITY', 'SerializedIdentity has an empty mspid');
  // Fabric's X.509 MSP accepts only PEM here; Node would also accept DER, so check first.
  if (Buffer.from(idBytes.buffer, idBytes.byteOffset, idBytes.byteLength).indexOf(PEM_BEGIN) < 0) {
    throw new IdentityError('MALFORMED_IDENTITY', `id_bytes of ${JSON.stringify(mspId)} is not a PEM certificate`, { mspId });
  }
  return identityFromCertificate(mspId, idBytes, serialized.slice());
}
