// SPDX-License-Identifier: Apache-2.0
// The evidence store's native Fabric form on the devnet: plate images in the traffic authority's
// implicit collection, with the traffic authority's peer as the only endorser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, hash, signers, type Contract, type Gateway } from '@hyperledger/fabric-gateway';
import * as grpc from '@grpc/grpc-js';
import { createPrivateKey } from 'node:crypto';
import { DEFAULT_NETWORK, startDevnet, type Devnet, type NetworkConfig } from '@metroledger/devnet';
import { refusal } from '@metroledger/devnet/testing/client';
import { EVIDENCE_CHAINCODE_MODULE, sha256 } from './index';

/** The default network with a peer for the traffic authority, which alone endorses the evidence chaincode. */
const NETWORK: NetworkConfig = {
  ...DEFAULT_NETWORK,
  organizations: DEFAULT_NETWORK.organizations.map((o) => (o.mspId === 'CETSPMSP' ? { ...o, peers: ['peer0'] } : o)),
  chaincodes: [
    {
      name: 'evidence',
      version: '1.0',
      module: EVIDENCE_CHAINCODE_MODULE,
      endorsementPolicy: "AND('CETSPMSP.peer')",
      installedOn: ['CETSPMSP', 'InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
    },
  ],
};

let dir: string;
let devnet: Devnet;
const gateways: { gateway: Gateway; client: grpc.Client }[] = [];

async function contractAs(mspId: string): Promise<Contract> {
  const u = devnet.users[mspId]![0]!;
  const [tlsCa, cert, key] = await Promise.all([readFile(devnet.tlsCaCertPath), readFile(u.certPath), readFile(u.keyPath)]);
  const client = new grpc.Client(devnet.endpoint, grpc.credentials.createSsl(tlsCa), {
    'grpc.ssl_target_name_override': devnet.tlsServerName,
  });
  const gateway = connect({
    client,
    identity: { mspId, credentials: cert },
    signer: signers.newPrivateKeySigner(createPrivateKey(key)),
    hash: hash.sha256,
  });
  gateways.push({ gateway, client });
  return gateway.getNetwork(devnet.channelId).getContract('evidence');
}

async function filesUnder(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true }))
    out.push(...(e.isDirectory() ? await filesUnder(join(d, e.name)) : [join(d, e.name)]));
  return out;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-evidence-pdc-'));
  devnet = await startDevnet({ dataDir: dir, port: 0, network: NETWORK, batch: { batchTimeoutMs: 10 } });
});

after(async () => {
  for (const g of gateways) {
    g.gateway.close();
    g.client.close();
  }
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('plate images in the traffic authority’s implicit collection', () => {
  test('stored by the traffic authority, retrieved by it only, proven by its hash from any peer, never in a block', async () => {
    const cetsp = await contractAs('CETSPMSP');
    const lasige = await contractAs('LaSIGEMSP');
    const image = Buffer.concat([Buffer.from('\xff\xd8\xff\xe0JFIF plate ABC1D23 ', 'latin1'), randomBytes(4096)]);
    const digest = sha256(image).toString('hex');

    assert.equal(Buffer.from(await cetsp.submit('storeImage', { transientData: { image } })).toString(), digest);
    assert.deepEqual(
      Buffer.from(
        Buffer.from(await cetsp.evaluate('getImage', { arguments: ['CETSPMSP', digest], endorsingOrganizations: ['CETSPMSP'] })).toString(),
        'base64',
      ),
      image,
    );
    // every peer answers the hash: the plate-image digest the meter signed into its reading
    for (const org of ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP', 'CETSPMSP']) {
      assert.equal(
        Buffer.from(await lasige.evaluate('imageHash', { arguments: ['CETSPMSP', digest], endorsingOrganizations: [org] })).toString(),
        digest,
        org,
      );
    }
    // another organization's client is refused by the chaincode; the traffic authority's client on another organization's peer finds no image there
    assert.match(
      await refusal(lasige.evaluate('getImage', { arguments: ['CETSPMSP', digest], endorsingOrganizations: ['LaSIGEMSP'] })),
      /FORBIDDEN/,
    );
    assert.match(
      await refusal(cetsp.evaluate('getImage', { arguments: ['CETSPMSP', digest], endorsingOrganizations: ['LaSIGEMSP'] })),
      /private data matching public hash version is not available/,
    );
    assert.match(await refusal(cetsp.submit('storeImage')), /MISSING_IMAGE/);
    // storing it again writes nothing new
    assert.equal(Buffer.from(await cetsp.submit('storeImage', { transientData: { image } })).toString(), digest);

    const tail = image.subarray(image.length - 64);
    for (const file of await filesUnder(join(dir, 'ledger', 'chains')))
      assert.equal((await readFile(file)).indexOf(tail), -1, `${file} holds image bytes`);
  });
});
