// SPDX-License-Identifier: Apache-2.0
import 'reflect-metadata'; // @peculiar/x509's tsyringe throws at require time without it
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { IdentityError } from './errors.js';
import type { MspConfig, NodeRole } from './msp.js';
import { SigningIdentity } from './signing.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SIGNING_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A PEM certificate and its PKCS#8 PEM private key. */
export interface CertKeyPem {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What to generate for one organization, in cryptogen's terms. */
export interface OrgSpec {
  /** Display name, e.g. 'LaSIGE'. */
  name: string;
  /** e.g. 'LaSIGEMSP'. */
  mspId: string;
  /** e.g. 'lasige.example.com'; node names are `<node>.<domain>`, users `<user>@<domain>`. */
  domain: string;
  /** peerOrganizations or ordererOrganizations. */
  kind: 'peer' | 'orderer';
  /** Peer node names, e.g. ['peer0']. */
  peers?: string[];
  /** Orderer node names, e.g. ['orderer0']. */
  orderers?: string[];
  /** Client users, e.g. ['User1']; an 'Admin' user is always generated. */
  users?: string[];
}

/** One node or user of an organization: its enrollment (MSP) pair and its TLS pair. */
export interface NodeMaterial {
  /** Short name: 'peer0', 'orderer0', 'User1', 'Admin'. */
  readonly name: string;
  /** Certificate common name and directory name: 'peer0.lasige.example.com' or 'User1@lasige.example.com'. */
  readonly fqdn: string;
  readonly role: NodeRole;
  readonly sign: CertKeyPem;
  /** TLS server certificate for peers and orderers, TLS client certificate for users. */
  readonly tls: CertKeyPem;
}

/** All key material of one organization, in memory. */
export interface OrgMaterial {
  readonly spec: OrgSpec;
  readonly ca: CertKeyPem;
  readonly tlsCa: CertKeyPem;
  readonly peers: readonly NodeMaterial[];
  readonly orderers: readonly NodeMaterial[];
  /** 'Admin' first, then the spec's users. */
  readonly users: readonly NodeMaterial[];
  /** The node or user by short name ('peer0', 'User1', 'Admin') or fqdn; throws INVALID_SPEC if absent. */
  node(name: string): NodeMaterial;
  /** A SigningIdentity for the node or user (cached per name). */
  signingIdentity(name: string): SigningIdentity;
  /** The organization's Admin. */
  admin(): SigningIdentity;
  /** The channel-MSP view of this organization, for MspRegistry. */
  mspConfig(): MspConfig;
}

export interface IssueOptions {
  /** Certificate common name. */
  commonName: string;
  /** Node OU: peer | client | admin | orderer. */
  role: NodeRole;
  /** Default: now − 5 min. */
  notBefore?: Date;
  /** Default: notBefore + 10 years, as cryptogen. */
  notAfter?: Date;
}

interface Authority {
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
  readonly pem: CertKeyPem;
}

const subtle = webcrypto.subtle;

function subjectName(parts: { o?: string; ou?: string[]; cn: string }): x509.JsonName {
  // cryptogen's subject template: C=US, ST=California, L=San Francisco, then O (CAs only), OU, CN
  const name: x509.JsonName = [{ C: ['US'] }, { ST: ['California'] }, { L: ['San Francisco'] }];
  if (parts.o !== undefined) name.push({ O: [parts.o] });
  for (const ou of parts.ou ?? []) name.push({ OU: [ou] });
  name.push({ CN: [parts.cn] });
  return name;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

function randomSerial(): string {
  // 128-bit positive serial, as cryptogen
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return Buffer.from(bytes).toString('hex');
}

function defaultValidity(notBefore?: Date, notAfter?: Date): { notBefore: Date; notAfter: Date } {
  const nb = notBefore ?? new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
  return { notBefore: nb, notAfter: notAfter ?? new Date(nb.getTime() + 3650 * DAY_MS) };
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', await subtle.exportKey('pkcs8', key));
}

/** RFC 7093 method 4 key identifier (SHA-256 of the EC point), as cryptogen uses for CAs. */
async function keyIdentifier(publicKey: CryptoKey): Promise<string> {
  const raw = await subtle.exportKey('raw', publicKey);
  return Buffer.from(await subtle.digest('SHA-256', raw)).toString('hex');
}

async function newAuthority(commonName: string, domain: string): Promise<Authority> {
  const keys = await newKeyPair();
  const { notBefore, notAfter } = defaultValidity();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subjectName({ o: domain, cn: commonName }),
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALG,
    keys,
    extensions: [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.SubjectKeyIdentifierExtension(await keyIdentifier(keys.publicKey)),
    ],
  });
  return { cert, privateKey: keys.privateKey, pem: { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) } };
}

async function authorityFromPem(pem: CertKeyPem): Promise<Authority> {
  const cert = new x509.X509Certificate(pem.certPem);
  const pkcs8 = createPrivateKey(pem.keyPem).export({ format: 'der', type: 'pkcs8' });
  const privateKey = await subtle.importKey('pkcs8', pkcs8, EC_ALG, false, ['sign']);
  return { cert, privateKey, pem };
}

interface LeafOptions {
  commonName: string;
  ous: string[];
  sans?: string[];
  tls: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

async function issueLeaf(ca: Authority, opts: LeafOptions): Promise<CertKeyPem> {
  const keys = await newKeyPair();
  const { notBefore, notAfter } = defaultValidity(opts.notBefore, opts.notAfter);
  const caSki = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(
      opts.tls ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    new x509.BasicConstraintsExtension(false, undefined, true),
  ];
  if (opts.tls) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
  if (caSki !== null) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSki.keyId));
  if (opts.sans !== undefined && opts.sans.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        opts.sans.map((v) => (IPV4.test(v) || v.includes(':') ? { type: 'ip', value: v } : { type: 'dns', value: v })),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName({ ou: opts.ous, cn: opts.commonName }),
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALG,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

function checkSpec(spec: OrgSpec): void {
  const bad = (msg: string): never => {
    throw new IdentityError('INVALID_SPEC', `${spec.name}: ${msg}`, { mspId: spec.mspId });
  };
  if (!/^[A-Za-z0-9.-]+$/.test(spec.mspId)) bad(`MSP id ${JSON.stringify(spec.mspId)} must match [A-Za-z0-9.-]+ (Fabric policy syntax)`);
  if (!NAME_RE.test(spec.domain)) bad(`domain ${JSON.stringify(spec.domain)} is not a DNS name`);
  if (spec.kind !== 'peer' && spec.kind !== 'orderer') bad(`kind must be 'peer' or 'orderer'`);
  const names = [...(spec.peers ?? []), ...(spec.orderers ?? []), ...(spec.users ?? []), 'Admin'];
  for (const n of names) if (!NAME_RE.test(n)) bad(`node or user name ${JSON.stringify(n)} is not [A-Za-z0-9.-]+`);
  if (new Set(names).size !== names.length) bad('node and user names must be unique (Admin is implicit)');
}

function nodeSans(name: string, fqdn: string): string[] {
  return [...new Set([fqdn, name, 'localhost', '127.0.0.1'])];
}

/** Generates an organization's CAs, nodes and users in memory (well under 100 ms per organization). */
export async function generateOrganization(spec: OrgSpec): Promise<OrgMaterial> {
  checkSpec(spec);
  const d = spec.domain;
  const [ca, tlsCa] = await Promise.all([newAuthority(`ca.${d}`, d), newAuthority(`tlsca.${d}`, d)]);
  const makeNode = async (name: string, role: NodeRole): Promise<NodeMaterial> => {
    const isUser = role === 'client' || role === 'admin';
    const fqdn = isUser ? `${name}@${d}` : `${name}.${d}`;
    const [sign, tls] = await Promise.all([
      issueLeaf(ca, { commonName: fqdn, ous: [role], tls: false }),
      issueLeaf(tlsCa, { commonName: fqdn, ous: [], tls: true, sans: isUser ? [fqdn] : nodeSans(name, fqdn) }),
    ]);
    return { name, fqdn, role, sign, tls };
  };
  const [peers, orderers, users] = await Promise.all([
    Promise.all((spec.peers ?? []).map((n) => makeNode(n, 'peer'))),
    Promise.all((spec.orderers ?? []).map((n) => makeNode(n, 'orderer'))),
    Promise.all([makeNode('Admin', 'admin'), ...(spec.users ?? []).map((n) => makeNode(n, 'client'))]),
  ]);
  return newOrgMaterial(spec, ca.pem, tlsCa.pem, peers, orderers, users);
}

/** Assembles an OrgMaterial from its parts (used by generation and by loading from disk). */
export function newOrgMaterial(
  spec: OrgSpec,
  ca: CertKeyPem,
  tlsCa: CertKeyPem,
  peers: NodeMaterial[],
  orderers: NodeMaterial[],
  users: NodeMaterial[],
): OrgMaterial {
  const all = [...peers, ...orderers, ...users];
  const identities = new Map<string, SigningIdentity>();
  const node = (name: string): NodeMaterial => {
    const found = all.find((n) => n.name === name || n.fqdn === name);
    if (found === undefined)
      throw new IdentityError('INVALID_SPEC', `${spec.name} has no node or user ${JSON.stringify(name)}`, { mspId: spec.mspId });
    return found;
  };
  const signingIdentity = (name: string): SigningIdentity => {
    const n = node(name);
    let id = identities.get(n.fqdn);
    if (id === undefined) {
      id = new SigningIdentity(spec.mspId, n.sign.certPem, createPrivateKey(n.sign.keyPem));
      identities.set(n.fqdn, id);
    }
    return id;
  };
  return Object.freeze({
    spec,
    ca,
    tlsCa,
    peers: Object.freeze(peers),
    orderers: Object.freeze(orderers),
    users: Object.freeze(users),
    node,
    signingIdentity,
    admin: () => signingIdentity('Admin'),
    mspConfig: (): MspConfig => ({
      mspId: spec.mspId,
      rootCertsPem: [ca.certPem],
      tlsRootCertsPem: [tlsCa.certPem],
      nodeOUs: { enable: true },
    }),
  });
}

/**
 * Issues one more enrollment certificate from the organization's signing CA, e.g. with a past
 * validity period for tests, or for an extra client. Returns the PEM pair; wrap it in a
 * SigningIdentity with createPrivateKey(keyPem).
 */
export async function issueIdentity(org: OrgMaterial, opts: IssueOptions): Promise<CertKeyPem> {
  const ca = await authorityFromPem(org.ca);
  const leaf: LeafOptions = { commonName: opts.commonName, ous: [opts.role], tls: false };
  if (opts.notBefore !== undefined) leaf.notBefore = opts.notBefore;
  if (opts.notAfter !== undefined) leaf.notAfter = opts.notAfter;
  return issueLeaf(ca, leaf);
}

/**
 * Issues a TLS server certificate from the organization's TLS CA (as cryptogen does for its peers),
 * for another service of that organization, e.g. the traffic authority's evidence store. `sans`
 * are DNS names or IP addresses; the common name is always among them.
 */
export async function issueTlsCertificate(
  org: OrgMaterial,
  opts: { commonName: string; sans?: readonly string[]; notBefore?: Date; notAfter?: Date },
): Promise<CertKeyPem> {
  const ca = await authorityFromPem(org.tlsCa);
  const leaf: LeafOptions = {
    commonName: opts.commonName,
    ous: [],
    tls: true,
    sans: [...new Set([opts.commonName, ...(opts.sans ?? [])])],
  };
  if (opts.notBefore !== undefined) leaf.notBefore = opts.notBefore;
  if (opts.notAfter !== undefined) leaf.notAfter = opts.notAfter;
  return issueLeaf(ca, leaf);
}
