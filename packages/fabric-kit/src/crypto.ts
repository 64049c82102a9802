// SPDX-License-Identifier: Apache-2.0
// The network's crypto material: every organization's CAs, nodes and users, written in cryptogen's
// layout with NodeOUs by @metroledger/identity (the same code the devnet uses).
import { join } from 'node:path';
import { generateOrganization, nodePaths, orgDirectory, writeCryptogenLayout, type NodePaths, type OrgSpec } from '@metroledger/identity';
import { PEER_ORGS, ordererOrgs, type OrderingProfile } from './topology.js';

/** Organizations of a network with the given ordering profile. */
export function networkOrgs(profile: OrderingProfile): OrgSpec[] {
  return [...PEER_ORGS.map((o) => o.spec), ...ordererOrgs(profile)];
}

export async function writeNetworkCrypto(dir: string, profile: OrderingProfile): Promise<void> {
  for (const spec of networkOrgs(profile)) await writeCryptogenLayout(dir, await generateOrganization(spec));
}

function specOf(mspId: string, profile: OrderingProfile): OrgSpec {
  const spec = networkOrgs(profile).find((o) => o.mspId === mspId);
  if (spec === undefined) throw new Error(`no organization ${mspId} in a ${profile} network`);
  return spec;
}

/** Paths of a peer or orderer (`fqdn` = 'peer0.lasige.example.com'). */
export function nodeFiles(dir: string, profile: OrderingProfile, mspId: string, fqdn: string): NodePaths {
  const spec = specOf(mspId, profile);
  return nodePaths(dir, spec, { fqdn, role: spec.kind === 'peer' ? 'peer' : 'orderer' });
}

/** Paths of an organization's user: 'Admin' or 'User1'. */
export function userFiles(dir: string, profile: OrderingProfile, mspId: string, user: string): NodePaths {
  const spec = specOf(mspId, profile);
  return nodePaths(dir, spec, { fqdn: `${user}@${spec.domain}`, role: user === 'Admin' ? 'admin' : 'client' });
}

/** The organization's TLS CA certificate (what clients trust for its nodes). */
export function tlsCaFile(dir: string, profile: OrderingProfile, mspId: string): string {
  const spec = specOf(mspId, profile);
  return join(orgDirectory(dir, spec), 'tlsca', `tlsca.${spec.domain}-cert.pem`);
}
