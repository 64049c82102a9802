// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  generateOrganization,
  IdentityDeserializer,
  MspRegistry,
  parseSerializedIdentity,
  serializeIdentity,
  type Identity,
} from '@metroledger/identity';
import { evaluatePolicy } from './evaluate.js';
import { parsePolicy } from './policy.js';

test('policies evaluate over deserialized identities with the MSP registry as principal check', async () => {
  const [lasige, inmetro] = await Promise.all([
    generateOrganization({
      name: 'LaSIGE',
      mspId: 'LaSIGEMSP',
      domain: 'lasige.example.com',
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
      users: [],
    }),
  ]);
  const registry = new MspRegistry([lasige.mspConfig(), inmetro.mspConfig()]);
  const des = new IdentityDeserializer();
  const lasigePeer = des.deserialize(lasige.signingIdentity('peer0').serialize());
  const inmetroPeer = des.deserialize(inmetro.signingIdentity('peer0').serialize());
  const lasigeUser = des.deserialize(lasige.signingIdentity('User1').serialize());
  const check = (id: Identity, p: { mspId: string; role: 'member' | 'admin' | 'client' | 'peer' | 'orderer' }) =>
    registry.satisfiesPrincipal(id, p);
  const policy = parsePolicy("AND('LaSIGEMSP.peer', 'InmetroMSP.peer')");

  assert.equal(evaluatePolicy(policy, [lasigePeer, inmetroPeer], check), true);
  assert.equal(evaluatePolicy(policy, [lasigeUser, inmetroPeer], check), false);
  // Identity is a PolicySigner as is: the default check reads the OU directly
  assert.equal(evaluatePolicy(policy, [inmetroPeer, lasigePeer]), true);

  // an Inmetro certificate presented as LaSIGE's passes the naive OU check but not the MSP
  const forged = parseSerializedIdentity(serializeIdentity('LaSIGEMSP', inmetro.node('peer0').sign.certPem));
  assert.equal(evaluatePolicy(policy, [forged, inmetroPeer]), true);
  assert.equal(evaluatePolicy(policy, [forged, inmetroPeer], check), false);
});
