// SPDX-License-Identifier: Apache-2.0
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IdentityError } from './errors.js';
import { newOrgMaterial, type CertKeyPem, type NodeMaterial, type OrgMaterial, type OrgSpec } from './ca.js';
import type { MspConfig, NodeRole } from './msp.js';

/**
 * The directory of one organization in the cryptogen / fabric-samples test-network layout:
 * `<baseDir>/organizations/{peer,orderer}Organizations/<domain>`.
 */
export function orgDirectory(baseDir: string, spec: Pick<OrgSpec, 'kind' | 'domain'>): string {
  return join(baseDir, 'organizations', spec.kind === 'peer' ? 'peerOrganizations' : 'ordererOrganizations', spec.domain);
}

/** Paths of one node or user inside its organization directory (what Fabric apps and peers read). */
export interface NodePaths {
  readonly dir: string;
  readonly mspDir: string;
  readonly signcert: string;
  readonly keystoreKey: string;
  readonly tlsCa: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
}

export function nodePaths(baseDir: string, spec: Pick<OrgSpec, 'kind' | 'domain'>, node: Pick<NodeMaterial, 'fqdn' | 'role'>): NodePaths {
  const group = node.role === 'peer' ? 'peers' : node.role === 'orderer' ? 'orderers' : 'users';
  const dir = join(orgDirectory(baseDir, spec), group, node.fqdn);
  const mspDir = join(dir, 'msp');
  const tlsPrefix = node.role === 'client' || node.role === 'admin' ? 'client' : 'server';
  return {
    dir,
    mspDir,
    signcert: join(mspDir, 'signcerts', `${node.fqdn}-cert.pem`),
    keystoreKey: join(mspDir, 'keystore', 'priv_sk'),
    tlsCa: join(dir, 'tls', 'ca.crt'),
    tlsCert: join(dir, 'tls', `${tlsPrefix}.crt`),
    tlsKey: join(dir, 'tls', `${tlsPrefix}.key`),
  };
}

/** msp/config.yaml with NodeOUs, as cryptogen writes it. */
function nodeOUsConfigYaml(caCertFile: string): string {
  const ou = (key: string, value: string): string =>
    `  ${key}:\n    Certificate: ${caCertFile}\n    OrganizationalUnitIdentifier: ${value}\n`;
  return (
    'NodeOUs:\n  Enable: true\n' +
    ou('ClientOUIdentifier', 'client') +
    ou('PeerOUIdentifier', 'peer') +
    ou('AdminOUIdentifier', 'admin') +
    ou('OrdererOUIdentifier', 'orderer')
  );
}

async function put(path: string, content: string, mode = 0o644): Promise<void> {
  await writeFile(path, content, { mode });
}

async function writeMspDir(mspDir: string, org: OrgMaterial, local?: { fqdn: string; sign: CertKeyPem }): Promise<void> {
  const d = org.spec.domain;
  const dirs = ['admincerts', 'cacerts', 'tlscacerts', ...(local ? ['keystore', 'signcerts'] : [])];
  await Promise.all(dirs.map((sub) => mkdir(join(mspDir, sub), { recursive: true })));
  const writes = [
    put(join(mspDir, 'cacerts', `ca.${d}-cert.pem`), org.ca.certPem),
    put(join(mspDir, 'tlscacerts', `tlsca.${d}-cert.pem`), org.tlsCa.certPem),
    put(join(mspDir, 'config.yaml'), nodeOUsConfigYaml(`cacerts/ca.${d}-cert.pem`)),
  ];
  if (local) {
    writes.push(put(join(mspDir, 'signcerts', `${local.fqdn}-cert.pem`), local.sign.certPem));
    writes.push(put(join(mspDir, 'keystore', 'priv_sk'), local.sign.keyPem, 0o600));
  }
  await Promise.all(writes);
}

/**
 * Writes the organization exactly as `cryptogen generate --output=<baseDir>/organizations` would
 * (with NodeOUs), so an existing Fabric application finds its keys, certificates and TLS CA by
 * configuration alone. Private keys are PKCS#8 PEM files named priv_sk, mode 0600.
 * @throws {@link IdentityError} IO
 */
export async function writeCryptogenLayout(baseDir: string, org: OrgMaterial): Promise<void> {
  const root = orgDirectory(baseDir, org.spec);
  const d = org.spec.domain;
  try {
    await Promise.all([mkdir(join(root, 'ca'), { recursive: true }), mkdir(join(root, 'tlsca'), { recursive: true })]);
    const jobs: Promise<void>[] = [
      put(join(root, 'ca', `ca.${d}-cert.pem`), org.ca.certPem),
      put(join(root, 'ca', 'priv_sk'), org.ca.keyPem, 0o600),
      put(join(root, 'tlsca', `tlsca.${d}-cert.pem`), org.tlsCa.certPem),
      put(join(root, 'tlsca', 'priv_sk'), org.tlsCa.keyPem, 0o600),
      writeMspDir(join(root, 'msp'), org),
    ];
    for (const node of [...org.peers, ...org.orderers, ...org.users]) {
      const p = nodePaths(baseDir, org.spec, node);
      jobs.push(
        (async () => {
          await mkdir(join(p.dir, 'tls'), { recursive: true });
          await Promise.all([
            writeMspDir(p.mspDir, org, node),
            put(p.tlsCa, org.tlsCa.certPem),
            put(p.tlsCert, node.tls.certPem),
            put(p.tlsKey, node.tls.keyPem, 0o600),
          ]);
        })(),
      );
    }
    await Promise.all(jobs);
  } catch (err) {
    if (err instanceof IdentityError) throw err;
    throw new IdentityError('IO', `cannot write the crypto material of ${org.spec.mspId} under ${root}`, { dir: root }, { cause: err });
  }
}

async function read(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new IdentityError('IO', `cannot read ${path}`, { path }, { cause: err });
  }
}

/**
 * Reads back an organization written by writeCryptogenLayout (or by cryptogen with NodeOUs and
 * PKCS#8 keys), for the nodes and users named in `spec`.
 * @throws {@link IdentityError} IO when a file is missing or unreadable, MALFORMED_KEY when a key
 * does not parse or does not belong to its certificate
 */
export async function loadOrganization(baseDir: string, spec: OrgSpec): Promise<OrgMaterial> {
  const root = orgDirectory(baseDir, spec);
  const d = spec.domain;
  const pair = async (cert: string, key: string): Promise<CertKeyPem> => {
    const [certPem, keyPem] = await Promise.all([read(cert), read(key)]);
    let matches = false;
    try {
      matches = createPublicKey(createPrivateKey(keyPem)).equals(new X509Certificate(certPem).publicKey);
    } catch (err) {
      throw new IdentityError('MALFORMED_KEY', `${cert} or ${key} does not parse`, { cert, key }, { cause: err });
    }
    if (!matches) throw new IdentityError('MALFORMED_KEY', `${key} is not the private key of ${cert}`, { cert, key });
    return { certPem, keyPem };
  };
  const loadNode = async (name: string, role: NodeRole): Promise<NodeMaterial> => {
    const fqdn = role === 'client' || role === 'admin' ? `${name}@${d}` : `${name}.${d}`;
    const p = nodePaths(baseDir, spec, { fqdn, role });
    const [sign, tls] = await Promise.all([pair(p.signcert, p.keystoreKey), pair(p.tlsCert, p.tlsKey)]);
    return { name, fqdn, role, sign, tls };
  };
  const [ca, tlsCa, peers, orderers, users] = await Promise.all([
    pair(join(root, 'ca', `ca.${d}-cert.pem`), join(root, 'ca', 'priv_sk')),
    pair(join(root, 'tlsca', `tlsca.${d}-cert.pem`), join(root, 'tlsca', 'priv_sk')),
    Promise.all((spec.peers ?? []).map((n) => loadNode(n, 'peer'))),
    Promise.all((spec.orderers ?? []).map((n) => loadNode(n, 'orderer'))),
    Promise.all([loadNode('Admin', 'admin'), ...(spec.users ?? []).map((n) => loadNode(n, 'client'))]),
  ]);
  return newOrgMaterial(spec, ca, tlsCa, peers, orderers, users);
}

async function pemFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new IdentityError('IO', `cannot read ${dir}`, { path: dir }, { cause: err });
  }
  return Promise.all(names.map((n) => read(join(dir, n))));
}

/**
 * The channel view of an MSP from its msp directory (cacerts, intermediatecerts, tlscacerts,
 * admincerts, and NodeOUs from config.yaml), as a channel member's service needs it to validate
 * identities of that organization with MspRegistry.
 * @throws {@link IdentityError} IO when the directory has no CA certificate or cannot be read
 */
export async function loadMspConfig(mspId: string, mspDir: string): Promise<MspConfig> {
  const [rootCertsPem, intermediateCertsPem, tlsRootCertsPem, adminCertsPem] = await Promise.all(
    ['cacerts', 'intermediatecerts', 'tlscacerts', 'admincerts'].map((sub) => pemFiles(join(mspDir, sub))),
  );
  if (rootCertsPem!.length === 0) throw new IdentityError('IO', `${mspDir} has no CA certificate in cacerts/`, { path: mspDir });
  let configYaml = '';
  try {
    configYaml = await readFile(join(mspDir, 'config.yaml'), 'utf8');
  } catch {
    // no config.yaml: NodeOUs disabled, as in Fabric
  }
  const ou = (key: string): string | undefined =>
    new RegExp(`${key}:\\s*\\n(?:\\s+\\w+:.*\\n)*?\\s+OrganizationalUnitIdentifier:\\s*(\\S+)`).exec(configYaml)?.[1];
  const enable = /NodeOUs:\s*\n\s+Enable:\s*true/i.test(configYaml);
  const nodeOUs = {
    enable,
    ...(enable && {
      clientOU: ou('ClientOUIdentifier') ?? 'client',
      peerOU: ou('PeerOUIdentifier') ?? 'peer',
      adminOU: ou('AdminOUIdentifier') ?? 'admin',
      ordererOU: ou('OrdererOUIdentifier') ?? 'orderer',
    }),
  };
  return {
    mspId,
    rootCertsPem: rootCertsPem!,
    ...(intermediateCertsPem!.length > 0 && { intermediateCertsPem: intermediateCertsPem! }),
    ...(tlsRootCertsPem!.length > 0 && { tlsRootCertsPem: tlsRootCertsPem! }),
    ...(adminCertsPem!.length > 0 && { adminCertsPem: adminCertsPem! }),
    nodeOUs,
  };
}
