// SPDX-License-Identifier: Apache-2.0
// Who is calling: the MSP id the peer validated, and the Fabric NodeOU role in the certificate
// subject (OU=admin|client|peer|orderer). The governance chaincode has the same reading of
// identities; it is repeated here so that the LR chaincode package carries no code of another
// chaincode (its fingerprint covers the LR code only).
import { X509Certificate } from 'node:crypto';
import type { Context } from 'fabric-contract-api';

export interface Caller {
  readonly mspId: string;
  /** undefined when the certificate carries no NodeOU (such an identity is only a `member`). */
  readonly role: 'admin' | 'client' | 'peer' | 'orderer' | undefined;
}

const ROLES = new Set<string>(['admin', 'client', 'peer', 'orderer']);
const CACHE_LIMIT = 4096;
// Parsing a certificate costs more than a small transaction: cache the role by certificate bytes.
const roles = new Map<string, Caller['role']>();

export function callerOf(ctx: Context): Caller {
  const bytes = ctx.clientIdentity.getIDBytes();
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let role = roles.get(key);
  if (role === undefined && !roles.has(key)) {
    const subject = new X509Certificate(Buffer.from(bytes)).subject;
    role = subject
      .split('\n')
      .filter((line) => line.startsWith('OU='))
      .map((line) => line.slice(3))
      .find((ou) => ROLES.has(ou)) as Caller['role'];
    if (roles.size >= CACHE_LIMIT) roles.clear();
    roles.set(key, role);
  }
  return { mspId: ctx.clientIdentity.getMSPID(), role };
}
