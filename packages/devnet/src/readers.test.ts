// SPDX-License-Identifier: Apache-2.0
// Who may use the devnet's gateway: the channel's application organizations read and propose; an
// orderer organization's identity is a valid channel identity but neither a Reader nor a Writer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
import { nodePaths } from '@metroledger/identity';
import { startDevnet, type Devnet } from './index.js';
import { connectClient, type ClientConnection } from './testing/client.js';
import { connectAs } from './testing/governance.js';

let dir: string;
let devnet: Devnet;
let member: ClientConnection;
let orderer: ClientConnection;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-readers-'));
  devnet = await startDevnet({ dataDir: dir, port: 0, ordering: 'solo' });
  member = await connectAs(devnet, 'InmetroMSP');
  const admin = nodePaths(dir, { kind: 'orderer', domain: 'orderer.example.com' }, { fqdn: 'Admin@orderer.example.com', role: 'admin' });
  orderer = await connectClient({
    endpoint: devnet.endpoint,
    tlsCaCertPath: devnet.tlsCaCertPath,
    tlsServerName: devnet.tlsServerName,
    mspId: 'OrdererMSP',
    certPath: admin.signcert,
    keyPath: admin.keystoreKey,
  });
});

after(async () => {
  member?.close();
  orderer?.close();
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a member of an application organization reads blocks and evaluates', async () => {
  const network = member.gateway.getNetwork(devnet.channelId);
  const blocks = await network.getBlockEvents({ startBlock: 0n });
  try {
    assert.equal((await blocks[Symbol.asyncIterator]().next()).value?.getHeader()?.getNumber(), 0);
  } finally {
    blocks.close();
  }
  const orgs = JSON.parse(
    Buffer.from(await network.getContract('governance').evaluateTransaction('listOrganizations')).toString(),
  ) as unknown[];
  assert.deepEqual(orgs, []);
});

test("an orderer organization's identity reads no block (FORBIDDEN) and may not propose (Writers)", async () => {
  const network = orderer.gateway.getNetwork(devnet.channelId);
  const blocks = await network.getBlockEvents({ startBlock: 0n });
  try {
    await assert.rejects(blocks[Symbol.asyncIterator]().next(), /status response: 403/);
  } finally {
    blocks.close();
  }
  await assert.rejects(network.getContract('governance').evaluateTransaction('listOrganizations'), (err: unknown) => {
    assert.ok(err instanceof GatewayError, String(err));
    assert.ok(
      err.details.length === 1 && err.details[0]!.message.startsWith('access denied: channel [metrology] creator org [OrdererMSP]'),
      JSON.stringify(err.details),
    );
    return true;
  });
  await assert.rejects(
    network.getContract('governance').submitTransaction('listOrganizations'),
    (err: unknown) => err instanceof EndorseError && /access denied/.test(err.details[0]?.message ?? ''),
  );
});
