// SPDX-License-Identifier: Apache-2.0
// The one place connection options become a gateway target and identities: flags (endpoint, TLS
// CA, server name, MSP id, certificate, key) and Fabric's connection profile (JSON or YAML). Flags
// given win over the profile, piece by piece.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ClientError } from './errors';
import { loadMspIdentity } from './files';
import { parseConnectionProfile, type ConnectionProfile, type PemSource, type ProfileOrganization } from './profile';

export interface ConnectionInput {
  /** Gateway peer, host:port. */
  readonly endpoint?: string;
  /** PEM file of the CA that issued the gateway's TLS certificate. */
  readonly tlsCaPath?: string;
  readonly serverName?: string;
  /** A connection profile file (JSON or YAML). */
  readonly profile?: string;
  /** The profile's peer to use as gateway (default: the first of the client organization's). */
  readonly peer?: string;
  readonly mspId?: string;
  readonly certPath?: string;
  readonly keyPath?: string;
  /** With a profile: the user whose MSP folder `cryptoPath` names (default User1; Admin uses the org's admin entries first). */
  readonly user?: string;
}

export interface GatewayTarget {
  readonly endpoint: string;
  readonly tlsRootCertPem: Uint8Array;
  readonly serverNameOverride?: string;
}

export interface ClientIdentity {
  readonly mspId: string;
  readonly certificatePem: Uint8Array;
  readonly privateKeyPem: Uint8Array;
}

const bad = (message: string): ClientError => new ClientError('BAD_CONFIG', message);

async function readPem(source: PemSource, what: string): Promise<Uint8Array> {
  if ('pem' in source) return Buffer.from(source.pem);
  try {
    return await readFile(source.path);
  } catch (err) {
    throw bad(`${what}: cannot read ${source.path}: ${(err as Error).message}`);
  }
}

async function readFlagFile(path: string, flag: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw bad(`${flag} ${path}: ${(err as Error).message}`);
  }
}

/** Reads and parses a connection profile file. @throws ClientError BAD_CONFIG */
export async function loadConnectionProfile(path: string): Promise<ConnectionProfile> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw bad(`connection profile ${path}: ${err.message}`);
  });
  return parseConnectionProfile(text, dirname(resolve(path)));
}

/** A profile's organization by MSP id (default: the client organization). */
export function profileOrganization(profile: ConnectionProfile, mspId?: string): ProfileOrganization | undefined {
  if (mspId === undefined)
    return profile.clientOrganization === undefined ? undefined : profile.organizations.get(profile.clientOrganization);
  return [...profile.organizations.values()].find((o) => o.mspId === mspId);
}

/**
 * The gateway to connect to: `endpoint` and `tlsCaPath` from the flags, or the profile's peer
 * (`peer`, else the client organization's first peer, else the profile's only peer).
 * @throws {@link ClientError} BAD_CONFIG naming what is missing.
 */
export async function resolveGatewayTarget(input: ConnectionInput, profile?: ConnectionProfile): Promise<GatewayTarget> {
  profile ??= input.profile === undefined ? undefined : await loadConnectionProfile(input.profile);
  let endpoint = input.endpoint;
  let tlsRootCertPem = input.tlsCaPath === undefined ? undefined : await readFlagFile(input.tlsCaPath, '--tls-ca');
  let serverNameOverride = input.serverName;
  if (profile !== undefined && (endpoint === undefined || tlsRootCertPem === undefined)) {
    const peerName =
      input.peer ?? profileOrganization(profile)?.peers[0] ?? (profile.peers.size === 1 ? [...profile.peers.keys()][0] : undefined);
    if (peerName === undefined)
      throw bad(`connection profile: name the gateway peer (--gateway-peer), one of ${[...profile.peers.keys()].join(', ') || '(none)'}`);
    const peer = profile.peers.get(peerName);
    if (peer === undefined) throw bad(`connection profile has no peer ${peerName}`);
    endpoint ??= peer.endpoint;
    if (tlsRootCertPem === undefined) {
      if (peer.tlsCaCert === undefined) throw bad(`connection profile: peer ${peerName} has no tlsCACerts (or give --tls-ca)`);
      tlsRootCertPem = await readPem(peer.tlsCaCert, `peers.${peerName}.tlsCACerts`);
    }
    serverNameOverride ??= peer.serverNameOverride;
  } else if (input.peer !== undefined && profile === undefined) {
    throw bad('--gateway-peer names a peer of a connection profile: give --profile');
  }
  const missing = [
    ['--endpoint', endpoint],
    ['--tls-ca', tlsRootCertPem],
  ]
    .filter(([, v]) => v === undefined)
    .map(([n]) => n);
  if (missing.length > 0) throw bad(`missing ${missing.join(' and ')} (or give --profile)`);
  return { endpoint: endpoint!, tlsRootCertPem: tlsRootCertPem!, ...(serverNameOverride !== undefined && { serverNameOverride }) };
}

/**
 * An identity: `certPath` and `keyPath` (with `mspId`) from the flags, or a profile organization's
 * (the one with `mspId`, else the client organization): its admin entries for Admin, its
 * `cryptoPath` MSP folder for any user.
 * @throws {@link ClientError} BAD_CONFIG naming what is missing.
 */
export async function resolveIdentity(input: ConnectionInput, profile?: ConnectionProfile): Promise<ClientIdentity> {
  profile ??= input.profile === undefined ? undefined : await loadConnectionProfile(input.profile);
  const org = profile === undefined ? undefined : profileOrganization(profile, input.mspId);
  const mspId = input.mspId ?? org?.mspId;
  if (input.certPath !== undefined || input.keyPath !== undefined) {
    const missing = [
      ['--msp-id', mspId],
      ['--cert', input.certPath],
      ['--key', input.keyPath],
    ]
      .filter(([, v]) => v === undefined)
      .map(([n]) => n);
    if (missing.length > 0) throw bad(`missing ${missing.join(', ')}`);
    return {
      mspId: mspId!,
      certificatePem: await readFlagFile(input.certPath!, '--cert'),
      privateKeyPem: await readFlagFile(input.keyPath!, '--key'),
    };
  }
  if (profile === undefined) throw bad(`missing ${mspId === undefined ? '--msp-id, ' : ''}--cert and --key (or give --profile)`);
  if (org === undefined) {
    throw bad(
      input.mspId === undefined
        ? 'connection profile has no client.organization: give --msp-id'
        : `connection profile has no organization with mspid ${input.mspId}`,
    );
  }
  const user = input.user ?? 'User1';
  if (user === 'Admin' && org.admin !== undefined) {
    return {
      mspId: org.mspId,
      certificatePem: await readPem(org.admin.certificate, `organizations.${org.name}.signedCert`),
      privateKeyPem: await readPem(org.admin.privateKey, `organizations.${org.name}.adminPrivateKey`),
    };
  }
  if (org.cryptoPath === undefined) {
    throw bad(
      `connection profile: organization ${org.name} gives no identity for ${user} (cryptoPath${user === 'Admin' ? ', or signedCert and adminPrivateKey' : ''}); give --cert and --key`,
    );
  }
  const dir = org.cryptoPath.replaceAll('{username}', user).replaceAll('{userName}', user);
  try {
    return { mspId: org.mspId, ...(await loadMspIdentity(dir)) };
  } catch (err) {
    throw bad(`connection profile: no identity of ${user} in ${dir}: ${(err as Error).message}`);
  }
}
