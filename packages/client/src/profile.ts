// SPDX-License-Identifier: Apache-2.0
// Fabric's common connection profile (JSON or YAML), the part a gateway client needs: the client's
// organization, organizations (MSP id, peers, where their identities are), and peers (URL, TLS CA,
// TLS server name). Pure: paths are resolved against the profile's folder, never read here.
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ClientError } from './errors';

/** PEM text given inline, or the file that holds it. */
export type PemSource = { readonly pem: string } | { readonly path: string };

export interface ProfilePeer {
  readonly name: string;
  /** host:port */
  readonly endpoint: string;
  readonly tlsCaCert?: PemSource;
  /** `grpcOptions.ssl-target-name-override` (or `hostnameOverride`). */
  readonly serverNameOverride?: string;
}

export interface ProfileOrganization {
  readonly name: string;
  readonly mspId: string;
  readonly peers: readonly string[];
  /** The organization's admin (`signedCert` and `adminPrivateKey`, as in Fabric's Node SDK profiles). */
  readonly admin?: { readonly certificate: PemSource; readonly privateKey: PemSource };
  /** An MSP folder per user, `{username}` standing for the user (`cryptoPath`, as in Fabric's Go SDK profiles). */
  readonly cryptoPath?: string;
}

export interface ConnectionProfile {
  readonly name?: string;
  /** `client.organization`: the organization this client acts for. */
  readonly clientOrganization?: string;
  readonly organizations: ReadonlyMap<string, ProfileOrganization>;
  readonly peers: ReadonlyMap<string, ProfilePeer>;
}

const bad = (message: string): ClientError => new ClientError('BAD_CONFIG', `connection profile: ${message}`);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw bad(`${where}.${key} must be a non-empty string`);
  return v;
}

function pemSource(v: unknown, where: string, baseDir: string): PemSource | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw bad(`${where} must be an object with pem or path`);
  const pem = str(v, 'pem', where);
  if (pem !== undefined) return { pem };
  const path = str(v, 'path', where);
  if (path !== undefined) return { path: isAbsolute(path) ? path : resolve(baseDir, path) };
  throw bad(`${where} has neither pem nor path`);
}

/** `grpcs://host:port`, or `host:port` (TLS assumed). Plain-text gRPC is refused: Fabric's gateway runs over TLS. */
function endpointOf(url: string, where: string): string {
  const m = /^(?:(grpcs?):\/\/)?([^/:\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(url);
  if (m === null) throw bad(`${where}.url ${url} is not grpcs://host:port`);
  if (m[1] === 'grpc') throw bad(`${where}.url ${url}: plain-text gRPC is not supported, use grpcs://`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad(`${where}.url ${url} has no valid port`);
  return `${m[2]}:${port}`;
}

/**
 * Parses a connection profile. `text` is JSON or YAML; `baseDir` resolves relative paths (the
 * profile's folder). Unknown sections (channels, certificateAuthorities, orderers) are ignored.
 * @throws {@link ClientError} BAD_CONFIG naming the offending field.
 */
export function parseConnectionProfile(text: string, baseDir: string): ConnectionProfile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw bad(`not JSON or YAML: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw bad('the document is not a mapping');
  const name = str(doc, 'name', 'profile');
  const client = doc['client'];
  if (client !== undefined && client !== null && !isObj(client)) throw bad('client must be a mapping');
  const clientOrganization = isObj(client) ? str(client, 'organization', 'client') : undefined;
  const cryptoConfig =
    isObj(client) && isObj(client['cryptoconfig']) ? str(client['cryptoconfig'], 'path', 'client.cryptoconfig') : undefined;
  const cryptoBase = cryptoConfig === undefined ? baseDir : resolve(baseDir, cryptoConfig);

  const peers = new Map<string, ProfilePeer>();
  const peersDoc = doc['peers'] ?? {};
  if (!isObj(peersDoc)) throw bad('peers must be a mapping');
  for (const [peerName, p] of Object.entries(peersDoc)) {
    const where = `peers.${peerName}`;
    if (!isObj(p)) throw bad(`${where} must be a mapping`);
    const url = str(p, 'url', where);
    if (url === undefined) throw bad(`${where} has no url`);
    const grpcOptions = p['grpcOptions'];
    if (grpcOptions !== undefined && !isObj(grpcOptions)) throw bad(`${where}.grpcOptions must be a mapping`);
    const override = isObj(grpcOptions)
      ? (str(grpcOptions, 'ssl-target-name-override', `${where}.grpcOptions`) ??
        str(grpcOptions, 'hostnameOverride', `${where}.grpcOptions`))
      : undefined;
    const tlsCaCert = pemSource(p['tlsCACerts'], `${where}.tlsCACerts`, baseDir);
    peers.set(peerName, {
      name: peerName,
      endpoint: endpointOf(url, where),
      ...(tlsCaCert && { tlsCaCert }),
      ...(override && { serverNameOverride: override }),
    });
  }

  const organizations = new Map<string, ProfileOrganization>();
  const orgsDoc = doc['organizations'] ?? {};
  if (!isObj(orgsDoc)) throw bad('organizations must be a mapping');
  for (const [orgName, o] of Object.entries(orgsDoc)) {
    const where = `organizations.${orgName}`;
    if (!isObj(o)) throw bad(`${where} must be a mapping`);
    const mspId = str(o, 'mspid', where) ?? str(o, 'mspId', where);
    if (mspId === undefined) throw bad(`${where} has no mspid`);
    const orgPeers = o['peers'] ?? [];
    if (!Array.isArray(orgPeers) || orgPeers.some((x) => typeof x !== 'string')) throw bad(`${where}.peers must be a list of peer names`);
    for (const peerName of orgPeers as string[])
      if (!peers.has(peerName)) throw bad(`${where} lists peer ${peerName}, which peers does not define`);
    const certificate = pemSource(o['signedCert'], `${where}.signedCert`, baseDir);
    const privateKey = pemSource(o['adminPrivateKey'], `${where}.adminPrivateKey`, baseDir);
    if ((certificate === undefined) !== (privateKey === undefined)) throw bad(`${where}: signedCert and adminPrivateKey go together`);
    const cryptoPath = str(o, 'cryptoPath', where);
    organizations.set(orgName, {
      name: orgName,
      mspId,
      peers: orgPeers as string[],
      ...(certificate && privateKey && { admin: { certificate, privateKey } }),
      ...(cryptoPath !== undefined && { cryptoPath: isAbsolute(cryptoPath) ? cryptoPath : resolve(cryptoBase, cryptoPath) }),
    });
  }
  if (clientOrganization !== undefined && !organizations.has(clientOrganization))
    throw bad(`client.organization ${clientOrganization} is not among the organizations`);
  return { ...(name !== undefined && { name }), ...(clientOrganization !== undefined && { clientOrganization }), organizations, peers };
}
