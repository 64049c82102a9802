// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { msp } from '@hyperledger/fabric-protos';
import { issueIdentity } from './ca.js';
import { IdentityDeserializer, identityFromCertificate, parseSerializedIdentity } from './deserializer.js';
import { MspRegistry } from './msp.js';
import { serializeIdentity } from './signing.js';
import { testOrgs } from './testorgs.test.js';

function serialized(mspId: string, idBytes: Uint8Array | string): Uint8Array {
  const si = new msp.SerializedIdentity();
  si.setMspid(mspId);
  si.setIdBytes(typeof idBytes === 'string' ? Buffer.from(idBytes) : idBytes);
  return si.serializeBinary();
}

test('the deserializer returns the cached Identity for equal bytes and exposes OUs and subject', async () => {
  const { lasige } = await testOrgs();
  const des = new IdentityDeserializer();
  const bytes = lasige.signingIdentity('peer0').serialize();
  const a = des.deserialize(bytes);
  const b = des.deserialize(Uint8Array.from(bytes)); // a distinct array with the same content
  assert.equal(a, b);
  assert.equal(des.size, 1);
  assert.equal(a.mspId, 'LaSIGEMSP');
  assert.deepEqual(a.ous, ['peer']);
  assert.equal(a.commonName, 'peer0.lasige.example.com');
  assert.match(a.subject, /OU=peer/);
  assert.equal(a.publicKey.asymmetricKeyType, 'ec');
  assert.deepEqual(Buffer.from(a.serialized), Buffer.from(bytes));
});

test('the deserializer cache is bounded and evicts the least recently used identity', async () => {
  const { lasige } = await testOrgs();
  const des = new IdentityDeserializer({ maxEntries: 2 });
  const peer0 = lasige.signingIdentity('peer0').serialize();
  const peer1 = lasige.signingIdentity('peer1').serialize();
  const user = lasige.signingIdentity('User1').serialize();
  const first = des.deserialize(peer0);
  des.deserialize(peer1);
  assert.equal(des.deserialize(peer0), first); // peer0 is now the most recent
  des.deserialize(user); // evicts peer1
  assert.equal(des.size, 2);
  assert.equal(des.deserialize(peer0), first);
});

test('malformed serialized identities are rejected with MALFORMED_IDENTITY', async () => {
  const { lasige } = await testOrgs();
  const des = new IdentityDeserializer();
  const der = new (await import('node:crypto')).X509Certificate(lasige.node('User1').sign.certPem).raw;
  const cases: Uint8Array[] = [
    Buffer.from([0xff, 0xff, 0xff]),
    serialized('LaSIGEMSP', 'not a certificate'),
    serialized('LaSIGEMSP', der), // DER: Fabric's X.509 MSP wants PEM
    serialized('LaSIGEMSP', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    serialized('', lasige.node('User1').sign.certPem),
  ];
  for (const c of cases) assert.throws(() => des.deserialize(c), { name: 'IdentityError', code: 'MALFORMED_IDENTITY' });
  assert.equal(des.size, 0);
});

test('MspRegistry accepts identities issued by their MSP CA and rejects each failure with its code', async () => {
  const { lasige, inmetro } = await testOrgs();
  const registry = new MspRegistry([lasige.mspConfig(), inmetro.mspConfig()]);
  const des = new IdentityDeserializer();
  const user = des.deserialize(lasige.signingIdentity('User1').serialize());
  registry.validate(user);
  assert.ok(registry.isValid(user));

  // an MSP that is not on the channel
  const stranger = parseSerializedIdentity(serializeIdentity('StrangerMSP', lasige.node('User1').sign.certPem));
  assert.throws(() => registry.validate(stranger), { code: 'UNKNOWN_MSP' });

  // Inmetro's certificate claiming to be LaSIGE
  const impostor = parseSerializedIdentity(serializeIdentity('LaSIGEMSP', inmetro.node('User1').sign.certPem));
  assert.throws(() => registry.validate(impostor), { code: 'UNTRUSTED_CERTIFICATE' });

  // the CA certificate itself is no identity; neither is a TLS certificate from the TLS CA
  assert.throws(() => registry.validate(identityFromCertificate('LaSIGEMSP', lasige.ca.certPem)), { code: 'UNTRUSTED_CERTIFICATE' });
  assert.throws(() => registry.validate(identityFromCertificate('LaSIGEMSP', lasige.node('peer0').tls.certPem)), {
    code: 'UNTRUSTED_CERTIFICATE',
  });
});

test('MspRegistry rejects expired and not-yet-valid certificates at the given time', async () => {
  const { lasige } = await testOrgs();
  const registry = new MspRegistry([lasige.mspConfig()]);
  const now = Date.now();
  // the test CA exists since now − 5 min; this certificate lived inside that window and is over
  const expired = await issueIdentity(lasige, {
    commonName: 'Old@lasige.example.com',
    role: 'client',
    notBefore: new Date(now - 4 * 60_000),
    notAfter: new Date(now - 60_000),
  });
  const id = identityFromCertificate('LaSIGEMSP', expired.certPem);
  assert.throws(() => registry.validateAt(id, now), { name: 'IdentityError', code: 'EXPIRED_CERTIFICATE' });
  assert.equal(registry.isValidAt(id, now), false);
  // ... but it was valid two minutes ago, with the same cached chain result
  registry.validateAt(id, now - 2 * 60_000);
  // membership alone (what commit-time validation asks) does not depend on time
  registry.validate(id);
  assert.equal(registry.isValid(id), true);
  assert.equal(registry.satisfiesRole(id, 'client'), true);

  const shortLived = await issueIdentity(lasige, {
    commonName: 'Temp@lasige.example.com',
    role: 'client',
    notAfter: new Date(now + 3_600_000),
  });
  const temp = identityFromCertificate('LaSIGEMSP', shortLived.certPem);
  registry.validateAt(temp, now);
  assert.throws(() => registry.validateAt(temp, now + 2 * 3_600_000), { code: 'EXPIRED_CERTIFICATE' });

  const peer = identityFromCertificate('LaSIGEMSP', lasige.node('peer0').sign.certPem);
  assert.throws(() => registry.validateAt(peer, now + 20 * 365 * 86_400_000), { code: 'EXPIRED_CERTIFICATE' });
  assert.throws(() => registry.validateAt(peer, now - 86_400_000), { code: 'EXPIRED_CERTIFICATE' });
});

test('MspRegistry requires exactly one node OU when NodeOUs are enabled', async () => {
  const { lasige } = await testOrgs();
  const registry = new MspRegistry([lasige.mspConfig()]);
  const odd = await issueIdentity(lasige, { commonName: 'odd', role: 'nobody' as 'client' });
  assert.throws(() => registry.validate(identityFromCertificate('LaSIGEMSP', odd.certPem)), { code: 'INVALID_NODE_OU' });
  const withoutNodeOUs = new MspRegistry([{ ...lasige.mspConfig(), nodeOUs: { enable: false } }]);
  withoutNodeOUs.validate(identityFromCertificate('LaSIGEMSP', odd.certPem));
});

test('roles follow NodeOUs: member is any valid identity, peer/client/admin/orderer come from the OU', async () => {
  const { lasige, inmetro, orderers } = await testOrgs();
  const registry = new MspRegistry([lasige.mspConfig(), inmetro.mspConfig(), orderers.mspConfig()]);
  const des = new IdentityDeserializer();
  const get = (org: typeof lasige, name: string) => des.deserialize(org.signingIdentity(name).serialize());
  const peer = get(lasige, 'peer0');
  const user = get(lasige, 'User1');
  const admin = get(lasige, 'Admin');
  const orderer = get(orderers, 'orderer0');

  assert.equal(registry.roleOf(peer), 'peer');
  assert.equal(registry.roleOf(user), 'client');
  assert.equal(registry.roleOf(admin), 'admin');
  assert.equal(registry.roleOf(orderer), 'orderer');

  const table: [typeof peer, string, string, boolean][] = [
    [peer, 'LaSIGEMSP', 'member', true],
    [peer, 'LaSIGEMSP', 'peer', true],
    [peer, 'LaSIGEMSP', 'client', false],
    [peer, 'LaSIGEMSP', 'admin', false],
    [peer, 'InmetroMSP', 'member', false],
    [user, 'LaSIGEMSP', 'client', true],
    [user, 'LaSIGEMSP', 'peer', false],
    [admin, 'LaSIGEMSP', 'admin', true],
    [admin, 'LaSIGEMSP', 'client', false],
    [admin, 'LaSIGEMSP', 'member', true],
    [orderer, 'OrdererMSP', 'orderer', true],
    [orderer, 'OrdererMSP', 'peer', false],
  ];
  for (const [id, mspId, role, expected] of table) {
    assert.equal(registry.satisfiesPrincipal(id, { mspId, role: role as 'member' }), expected, `${id.commonName} as ${mspId}.${role}`);
  }
  // an impostor never satisfies anything, not even member
  const impostor = parseSerializedIdentity(serializeIdentity('LaSIGEMSP', inmetro.node('peer0').sign.certPem));
  assert.equal(registry.satisfiesRole(impostor, 'member'), false);
  assert.equal(registry.satisfiesRole(impostor, 'peer'), false);
});

test('without NodeOUs only member and admincerts-listed admins can be told apart', async () => {
  const { lasige } = await testOrgs();
  const registry = new MspRegistry([
    {
      mspId: 'LaSIGEMSP',
      rootCertsPem: [lasige.ca.certPem],
      nodeOUs: { enable: false },
      adminCertsPem: [lasige.node('Admin').sign.certPem],
    },
  ]);
  const admin = identityFromCertificate('LaSIGEMSP', lasige.node('Admin').sign.certPem);
  const peer = identityFromCertificate('LaSIGEMSP', lasige.node('peer0').sign.certPem);
  assert.equal(registry.satisfiesRole(admin, 'admin'), true);
  assert.equal(registry.satisfiesRole(peer, 'admin'), false);
  assert.equal(registry.satisfiesRole(peer, 'member'), true);
  assert.equal(registry.satisfiesRole(peer, 'peer'), false);
  assert.equal(registry.roleOf(peer), undefined);
});

test('MspRegistry refuses a configuration with a duplicate MSP or a non-CA root', async () => {
  const { lasige } = await testOrgs();
  assert.throws(() => new MspRegistry([lasige.mspConfig(), lasige.mspConfig()]), { code: 'INVALID_MSP_CONFIG' });
  assert.throws(() => new MspRegistry([{ mspId: 'X', rootCertsPem: [lasige.node('User1').sign.certPem] }]), { code: 'INVALID_MSP_CONFIG' });
  assert.throws(() => new MspRegistry([{ mspId: 'X', rootCertsPem: ['junk'] }]), { code: 'INVALID_MSP_CONFIG' });
});
