// SPDX-License-Identifier: Apache-2.0
// Who is calling: the MSP id the peer validated, and the Fabric NodeOU role in the certificate
// subject (OU=admin|client|peer|orderer), as the channel MSP's NodeOUs classify identities.
import { X509Certificate } from 'node:crypto';
import type { Context } from 'fabric-contract-api';

export type NodeRole = 'admin' | 'client' | 'peer' | 'orderer';

export interface Caller {
  readonly mspId: string;
  /** undefined when the certificate carries no NodeOU (such an identity is only a `member`). */
  readonly role: NodeRole | undefined;
  /** The certificate's subject common name (a peer's CN is its host name, e.g. peer0.lasige.example.com). */
  readonly commonName: string;
  /** The certificate, DER (for comparing with a certificate in a signed record). */
  readonly certDer: Buffer;
}

const ROLES = new Set<string>(['admin', 'client', 'peer', 'orderer']);
const CACHE_LIMIT = 4096;
// Parsing a certificate costs more than a small transaction: cache by certificate bytes.
const cache = new Map<string, Omit<Caller, 'mspId'>>();

function subjectField(subject: string, field: string): string[] {
  const out: string[] = [];
  for (const line of subject.split('\n')) if (line.startsWith(field + '=')) out.push(line.slice(field.length + 1));
  return out;
}

/** Parses a PEM certificate's NodeOU role and common name. Throws on a malformed certificate. */
export function certificateRole(certPem: Uint8Array | string): Omit<Caller, 'mspId'> {
  const key =
    typeof certPem === 'string' ? certPem : Buffer.from(certPem.buffer, certPem.byteOffset, certPem.byteLength).toString('latin1');
  let parsed = cache.get(key);
  if (parsed === undefined) {
    const cert = new X509Certificate(typeof certPem === 'string' ? certPem : Buffer.from(certPem));
    const role = subjectField(cert.subject, 'OU').find((ou) => ROLES.has(ou)) as NodeRole | undefined;
    parsed = { role, commonName: subjectField(cert.subject, 'CN')[0] ?? '', certDer: cert.raw };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, parsed);
  }
  return parsed;
}

export function callerOf(ctx: Context): Caller {
  return { mspId: ctx.clientIdentity.getMSPID(), ...certificateRole(ctx.clientIdentity.getIDBytes()) };
}

export function describeCaller(c: Caller): string {
  return `${c.mspId} ${c.role ?? 'member'}`;
}
