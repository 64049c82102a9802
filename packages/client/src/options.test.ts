// SPDX-License-Identifier: Apache-2.0
// Connection options: Fabric's common connection profile (YAML and JSON) and flags, resolved into
// a gateway target and identities read from a real cryptogen layout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOrganization, nodePaths, writeCryptogenLayout, type OrgMaterial } from '@metroledger/identity';
import { ClientError } from './errors';
import { parseConnectionProfile } from './profile';
import { loadConnectionProfile, resolveGatewayTarget, resolveIdentity } from './options';

let dir: string;
let cetsp: OrgMaterial;
let inmetro: OrgMaterial;

// As fabric-samples' test network writes it (connection-org1.yaml), with our organizations.
const YAML_PROFILE = `---
name: metrology-cetsp
version: 1.0.0
client:
  organization: CETSP
  connection:
    timeout:
      peer:
        endorser: '300'
organizations:
  CETSP:
    mspid: CETSPMSP
    peers:
    - peer0.cetsp.example.com
    cryptoPath: organizations/peerOrganizations/cetsp.example.com/users/{username}@cetsp.example.com/msp
  Inmetro:
    mspid: InmetroMSP
    peers:
    - peer0.inmetro.example.com
    signedCert:
      path: organizations/peerOrganizations/inmetro.example.com/users/Admin@inmetro.example.com/msp/signcerts/Admin@inmetro.example.com-cert.pem
    adminPrivateKey:
      path: organizations/peerOrganizations/inmetro.example.com/users/Admin@inmetro.example.com/msp/keystore/priv_sk
peers:
  peer0.cetsp.example.com:
    url: grpcs://localhost:9051
    tlsCACerts:
      path: organizations/peerOrganizations/cetsp.example.com/tlsca/tlsca.cetsp.example.com-cert.pem
    grpcOptions:
      ssl-target-name-override: peer0.cetsp.example.com
      hostnameOverride: peer0.cetsp.example.com
  peer0.inmetro.example.com:
    url: grpcs://127.0.0.1:7051
    tlsCACerts:
      pem: |
        -----BEGIN CERTIFICATE-----
        MIIB
        -----END CERTIFICATE-----
certificateAuthorities:
  ca.cetsp.example.com:
    url: https://localhost:9054
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-profile-'));
  [cetsp, inmetro] = await Promise.all([
    generateOrganization({
      name: 'CETSP',
      mspId: 'CETSPMSP',
      domain: 'cetsp.example.com',
      kind: 'peer',
      peers: ['peer0'],
      users: ['User1'],
    }),
    generateOrganization({
      name: 'Inmetro',
      mspId: 'InmetroMSP',
      domain: 'inmetro.example.com',
      kind: 'peer',
      peers: ['peer0'],
      users: ['User1'],
    }),
  ]);
  await writeCryptogenLayout(dir, cetsp);
  await writeCryptogenLayout(dir, inmetro);
  await writeFile(join(dir, 'connection.yaml'), YAML_PROFILE);
});
after(() => rm(dir, { recursive: true, force: true }));

const user = (org: OrgMaterial, name: string) => org.users.find((u) => u.name === name)!;

test('a YAML profile gives the gateway peer, its TLS CA and server name, and identities from cryptoPath and the admin entries', async () => {
  const profile = join(dir, 'connection.yaml');
  const target = await resolveGatewayTarget({ profile });
  assert.equal(target.endpoint, 'localhost:9051', "the client organization's first peer");
  assert.equal(target.serverNameOverride, 'peer0.cetsp.example.com');
  assert.equal(Buffer.from(target.tlsRootCertPem).toString(), cetsp.tlsCa.certPem);

  const owner = await resolveIdentity({ profile });
  assert.equal(owner.mspId, 'CETSPMSP');
  assert.equal(Buffer.from(owner.certificatePem).toString(), user(cetsp, 'User1').sign.certPem);
  const ownerAdmin = await resolveIdentity({ profile, user: 'Admin' });
  assert.equal(Buffer.from(ownerAdmin.certificatePem).toString(), user(cetsp, 'Admin').sign.certPem);

  const nb = await resolveIdentity({ profile, mspId: 'InmetroMSP', user: 'Admin' });
  assert.equal(nb.mspId, 'InmetroMSP');
  assert.equal(Buffer.from(nb.certificatePem).toString(), user(inmetro, 'Admin').sign.certPem);
  const adminPaths = nodePaths(dir, inmetro.spec, user(inmetro, 'Admin'));
  assert.deepEqual(Buffer.from(nb.privateKeyPem), await readFile(adminPaths.keystoreKey));

  const other = await resolveGatewayTarget({ profile, peer: 'peer0.inmetro.example.com' });
  assert.equal(other.endpoint, '127.0.0.1:7051');
  assert.match(Buffer.from(other.tlsRootCertPem).toString(), /^-----BEGIN CERTIFICATE-----\nMIIB\n/, 'inline pem');
});

test('the same profile as JSON parses the same; flags win over it piece by piece', async () => {
  const yaml = parseConnectionProfile(YAML_PROFILE, dir);
  const { parse } = await import('yaml');
  const json = JSON.stringify(parse(YAML_PROFILE));
  await writeFile(join(dir, 'connection.json'), json);
  const fromJson = await loadConnectionProfile(join(dir, 'connection.json'));
  assert.deepEqual(fromJson, yaml);

  const tlsCa = nodePaths(dir, inmetro.spec, inmetro.peers[0]!).tlsCa;
  const target = await resolveGatewayTarget({
    profile: join(dir, 'connection.json'),
    endpoint: 'gw.example.com:443',
    tlsCaPath: tlsCa,
    serverName: 'gw',
  });
  assert.deepEqual(
    { ...target, tlsRootCertPem: undefined },
    { endpoint: 'gw.example.com:443', tlsRootCertPem: undefined, serverNameOverride: 'gw' },
  );
  const paths = nodePaths(dir, inmetro.spec, user(inmetro, 'User1'));
  const id = await resolveIdentity({
    profile: join(dir, 'connection.json'),
    mspId: 'InmetroMSP',
    certPath: paths.signcert,
    keyPath: paths.keystoreKey,
  });
  assert.equal(Buffer.from(id.certificatePem).toString(), user(inmetro, 'User1').sign.certPem);
});

test('flags alone work without a profile', async () => {
  const paths = nodePaths(dir, cetsp.spec, user(cetsp, 'User1'));
  const tlsCa = nodePaths(dir, cetsp.spec, cetsp.peers[0]!).tlsCa;
  const target = await resolveGatewayTarget({ endpoint: '127.0.0.1:7051', tlsCaPath: tlsCa });
  assert.equal(target.endpoint, '127.0.0.1:7051');
  assert.equal(target.serverNameOverride, undefined);
  const id = await resolveIdentity({ mspId: 'CETSPMSP', certPath: paths.signcert, keyPath: paths.keystoreKey });
  assert.equal(id.mspId, 'CETSPMSP');
});

test('missing or malformed options are refused with BAD_CONFIG naming what is wrong', async () => {
  const refused = async (p: Promise<unknown>, re: RegExp) =>
    assert.rejects(p, (e: unknown) => e instanceof ClientError && e.code === 'BAD_CONFIG' && re.test(e.message));
  await refused(resolveGatewayTarget({ endpoint: 'h:1' }), /missing --tls-ca/);
  await refused(resolveGatewayTarget({}), /missing --endpoint and --tls-ca \(or give --profile\)/);
  await refused(resolveIdentity({ certPath: 'c.pem', keyPath: 'k.pem' }), /missing --msp-id/);
  await refused(resolveIdentity({ profile: join(dir, 'connection.yaml'), mspId: 'NobodyMSP' }), /no organization with mspid NobodyMSP/);
  await refused(
    resolveIdentity({ profile: join(dir, 'connection.yaml'), mspId: 'InmetroMSP', user: 'User1' }),
    /gives no identity for User1/,
  );
  await refused(resolveGatewayTarget({ profile: join(dir, 'connection.yaml'), peer: 'peer9' }), /no peer peer9/);
  await refused(resolveGatewayTarget({ profile: join(dir, 'absent.yaml') }), /connection profile .*absent\.yaml/);
  const parseRefused = (text: string, re: RegExp) =>
    assert.throws(
      () => parseConnectionProfile(text, dir),
      (e: unknown) => e instanceof ClientError && e.code === 'BAD_CONFIG' && re.test(e.message),
    );
  parseRefused('peers: [unclosed', /not JSON or YAML/);
  parseRefused('peers:\n  p0:\n    url: grpc://h:7051\n', /plain-text gRPC is not supported/);
  parseRefused('peers:\n  p0:\n    url: h\n', /is not grpcs:\/\/host:port/);
  parseRefused('organizations:\n  A:\n    peers: [p0]\n', /organizations\.A has no mspid/);
  parseRefused('organizations:\n  A:\n    mspid: AMSP\n    peers: [p0]\n', /lists peer p0, which peers does not define/);
  parseRefused('client:\n  organization: B\norganizations: {}\n', /client\.organization B is not among the organizations/);
  parseRefused('organizations:\n  A:\n    mspid: AMSP\n    signedCert: {path: c.pem}\n', /signedCert and adminPrivateKey go together/);
});
