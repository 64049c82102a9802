// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { generateOrganization, type OrgMaterial } from './ca.js';
import { IdentityDeserializer } from './deserializer.js';
import { loadOrganization, nodePaths, orgDirectory, writeCryptogenLayout } from './layout.js';
import { MspRegistry } from './msp.js';
import { serializeIdentity, verifySignature } from './signing.js';
import { INMETRO, ORDERERS, testOrgs } from './testorgs.test.js';

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ml-layout-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function localMsp(prefix: string, cert: string): string[] {
  const d = 'inmetro.example.com';
  return [
    `${prefix}/msp/cacerts/ca.${d}-cert.pem`,
    `${prefix}/msp/config.yaml`,
    `${prefix}/msp/keystore/priv_sk`,
    `${prefix}/msp/signcerts/${cert}-cert.pem`,
    `${prefix}/msp/tlscacerts/tlsca.${d}-cert.pem`,
  ];
}

test('writeCryptogenLayout writes exactly the cryptogen / test-network files of a peer organization', async () => {
  const { inmetro } = await testOrgs();
  await withTempDir(async (dir) => {
    await writeCryptogenLayout(dir, inmetro);
    const root = orgDirectory(dir, INMETRO);
    assert.equal(root, join(dir, 'organizations', 'peerOrganizations', 'inmetro.example.com'));
    const d = 'inmetro.example.com';
    const expected = [
      `ca/ca.${d}-cert.pem`,
      'ca/priv_sk',
      `msp/cacerts/ca.${d}-cert.pem`,
      'msp/config.yaml',
      `msp/tlscacerts/tlsca.${d}-cert.pem`,
      ...localMsp(`peers/peer0.${d}`, `peer0.${d}`),
      `peers/peer0.${d}/tls/ca.crt`,
      `peers/peer0.${d}/tls/server.crt`,
      `peers/peer0.${d}/tls/server.key`,
      `tlsca/tlsca.${d}-cert.pem`,
      'tlsca/priv_sk',
      ...localMsp(`users/Admin@${d}`, `Admin@${d}`),
      `users/Admin@${d}/tls/ca.crt`,
      `users/Admin@${d}/tls/client.crt`,
      `users/Admin@${d}/tls/client.key`,
      ...localMsp(`users/User1@${d}`, `User1@${d}`),
      `users/User1@${d}/tls/ca.crt`,
      `users/User1@${d}/tls/client.crt`,
      `users/User1@${d}/tls/client.key`,
    ].sort();
    assert.deepEqual(await listFiles(root), expected);
    // empty admincerts folders exist, as cryptogen leaves them
    assert.ok((await stat(join(root, 'msp', 'admincerts'))).isDirectory());

    const config = await readFile(join(root, 'msp', 'config.yaml'), 'utf8');
    assert.match(config, /NodeOUs:\n {2}Enable: true\n/);
    for (const ou of ['client', 'peer', 'admin', 'orderer']) {
      assert.match(
        config,
        new RegExp(`Certificate: cacerts/ca\\.${d.replace(/\./g, '\\.')}-cert\\.pem\\n {4}OrganizationalUnitIdentifier: ${ou}\\n`),
      );
    }
    const keyStat = await stat(join(root, 'users', `User1@${d}`, 'msp', 'keystore', 'priv_sk'));
    assert.equal(keyStat.mode & 0o777, 0o600);
    assert.match(await readFile(join(root, 'ca', 'priv_sk'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  });
});

test('an orderer organization goes under ordererOrganizations/<domain>/orderers with server TLS pairs', async () => {
  const { orderers } = await testOrgs();
  await withTempDir(async (dir) => {
    await writeCryptogenLayout(dir, orderers);
    const root = join(dir, 'organizations', 'ordererOrganizations', 'example.com');
    const files = await listFiles(root);
    for (const f of [
      'orderers/orderer0.example.com/msp/signcerts/orderer0.example.com-cert.pem',
      'orderers/orderer1.example.com/tls/server.crt',
      'orderers/orderer1.example.com/tls/server.key',
      'users/Admin@example.com/msp/keystore/priv_sk',
    ]) {
      assert.ok(files.includes(f), f);
    }
  });
});

function sameMaterial(a: OrgMaterial, b: OrgMaterial): void {
  assert.deepEqual(b.ca, a.ca);
  assert.deepEqual(b.tlsCa, a.tlsCa);
  assert.deepEqual([...b.peers], [...a.peers]);
  assert.deepEqual([...b.orderers], [...a.orderers]);
  assert.deepEqual([...b.users], [...a.users]);
}

test('loadOrganization reads back exactly what was written', async () => {
  const { inmetro, orderers } = await testOrgs();
  await withTempDir(async (dir) => {
    await Promise.all([writeCryptogenLayout(dir, inmetro), writeCryptogenLayout(dir, orderers)]);
    sameMaterial(inmetro, await loadOrganization(dir, INMETRO));
    sameMaterial(orderers, await loadOrganization(dir, ORDERERS));
    await assert.rejects(loadOrganization(dir, { ...INMETRO, users: ['User1', 'User2'] }), { name: 'IdentityError', code: 'IO' });
    // a keystore holding somebody else's key is caught on load, not at the first failed signature
    const user = nodePaths(dir, INMETRO, inmetro.node('User1'));
    await writeFile(user.keystoreKey, inmetro.node('Admin').sign.keyPem);
    await assert.rejects(loadOrganization(dir, INMETRO), { name: 'IdentityError', code: 'MALFORMED_KEY' });
  });
});

test('a Fabric Gateway application configured on the layout signs with an identity the MSP accepts', async (t) => {
  let gateway: typeof import('@hyperledger/fabric-gateway');
  try {
    gateway = await import('@hyperledger/fabric-gateway');
  } catch {
    t.skip('@hyperledger/fabric-gateway is not resolvable from packages/identity');
    return;
  }
  const { inmetro } = await testOrgs();
  await withTempDir(async (dir) => {
    await writeCryptogenLayout(dir, inmetro);
    // what fabric-samples' application-gateway-typescript does: first file of signcerts and keystore
    const userDir = join(orgDirectory(dir, INMETRO), 'users', 'User1@inmetro.example.com', 'msp');
    const certFile = (await readdir(join(userDir, 'signcerts')))[0]!;
    const keyFile = (await readdir(join(userDir, 'keystore')))[0]!;
    const credentials = await readFile(join(userDir, 'signcerts', certFile));
    const identity: import('@hyperledger/fabric-gateway').Identity = { mspId: 'InmetroMSP', credentials };
    const signer = gateway.signers.newPrivateKeySigner(createPrivateKey(await readFile(join(userDir, 'keystore', keyFile))));

    const message = Buffer.from('proposal bytes');
    const signature = await signer(createHash('sha256').update(message).digest());

    const registry = new MspRegistry([
      {
        mspId: 'InmetroMSP',
        rootCertsPem: [await readFile(join(orgDirectory(dir, INMETRO), 'msp', 'cacerts', 'ca.inmetro.example.com-cert.pem'), 'utf8')],
      },
    ]);
    const id = new IdentityDeserializer().deserialize(
      serializeIdentity(identity.mspId, Buffer.from(identity.credentials).toString('utf8')),
    );
    registry.validate(id);
    assert.equal(registry.roleOf(id), 'client');
    assert.ok(verifySignature(id.publicKey, message, signature));
  });
});

test('TLS pairs from the layout complete a mutual TLS handshake for the peer host name and localhost', async () => {
  const org: OrgMaterial = await generateOrganization({ ...INMETRO, domain: 'inmetro.example.com' });
  await withTempDir(async (dir) => {
    await writeCryptogenLayout(dir, org);
    const peer = nodePaths(dir, org.spec, org.node('peer0'));
    const user = nodePaths(dir, org.spec, org.node('User1'));
    const [caCrt, serverCrt, serverKey, clientCrt, clientKey] = await Promise.all(
      [peer.tlsCa, peer.tlsCert, peer.tlsKey, user.tlsCert, user.tlsKey].map((p) => readFile(p)),
    );
    const server = createTlsServer(
      { cert: serverCrt, key: serverKey, ca: caCrt, requestCert: true, rejectUnauthorized: true },
      (socket) => {
        socket.end(`hello ${(socket.getPeerCertificate().subject as { CN?: string }).CN}`);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      for (const servername of ['peer0.inmetro.example.com', 'localhost']) {
        const reply = await new Promise<string>((resolve, reject) => {
          const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port, servername, ca: caCrt, cert: clientCrt, key: clientKey }, () => {
            if (!socket.authorized) reject(socket.authorizationError);
          });
          let data = '';
          socket.on('data', (c) => (data += c));
          socket.on('end', () => resolve(data));
          socket.on('error', reject);
        });
        assert.equal(reply, 'hello User1@inmetro.example.com', servername);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
