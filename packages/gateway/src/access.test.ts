// SPDX-License-Identifier: Apache-2.0
// The gateway is where requests enter: it refuses an expired certificate by its clock, while
// commit-time validation (which never reads a clock) still accepts the same identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityDeserializer, MspRegistry } from '@metroledger/identity';
import { parsePolicy } from '@metroledger/policy';
import { expiredIdentity, testNetwork } from '@metroledger/protocol/testing/validation';
import { Authenticator } from './access.js';

test('a request signed with an expired certificate is refused at the gateway; a current one passes', async () => {
  const net = await testNetwork();
  const msps = new MspRegistry([net.org1.mspConfig(), net.org2.mspConfig()]);
  const readers = parsePolicy("OR('Org1MSP.member', 'Org2MSP.member')");
  const auth = new Authenticator(msps, new IdentityDeserializer(), readers);
  const data = Buffer.from('a proposal');
  const gone = await expiredIdentity(net.org1, 'Gone@org1.example.com', 'client');
  assert.match(String(auth.check(gone.serialize(), data, gone.sign(data))), /is not valid in this channel/);
  const user = net.org1.signingIdentity('User1');
  assert.equal(typeof auth.check(user.serialize(), data, user.sign(data)), 'object');
  // the clock is the gateway's: at a time inside the certificate's life the same request passes
  const then = new Authenticator(msps, new IdentityDeserializer(), readers, () => Date.now() - 2 * 60_000);
  assert.equal(typeof then.check(gone.serialize(), data, gone.sign(data)), 'object');
});
