// SPDX-License-Identifier: Apache-2.0
// A Fabric developer's chaincode on the devnet from the CLI alone: an asset-transfer chaincode
// built in its own folder with its own node_modules (a separate fabric-contract-api copy), deployed
// with `devnet up --chaincode` under Fabric's default endorsement policy, then another with
// `devnet deploy` on the running devnet, both driven with the unmodified fabric-gateway client,
// and still deployed after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAssetTransferChaincode } from '@metroledger/chaincode-host/testing/foreign';
import {
  DEFAULT_NETWORK,
  deployedChaincode,
  readDeployedChaincodes,
  readRunFile,
  recordDeployedChaincodes,
  startDevnetProcess,
  type DevnetProcess,
} from '@metroledger/devnet';
import { connectClient, type ClientConnection } from '@metroledger/devnet/testing/client';

const MAIN = join(__dirname, '..', 'main.js');
const utf8 = new TextDecoder();

function user(dataDir: string, domain: string, name = 'User1'): { certPath: string; keyPath: string } {
  const msp = join(dataDir, 'organizations', 'peerOrganizations', domain, 'users', `${name}@${domain}`, 'msp');
  return { certPath: join(msp, 'signcerts', `${name}@${domain}-cert.pem`), keyPath: join(msp, 'keystore', 'priv_sk') };
}

async function connect(devnet: DevnetProcess, mspId: string, domain: string): Promise<ClientConnection> {
  return connectClient({
    endpoint: devnet.endpoint,
    tlsCaCertPath: devnet.tlsCaCertPath,
    tlsServerName: devnet.tlsServerName,
    mspId,
    ...user(devnet.dataDir, domain),
  });
}

test(
  'a chaincode from its own folder deploys from the CLI (up --chaincode, deploy) and serves the unmodified fabric-gateway client',
  { timeout: 300_000 },
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'metroledger-anycc-'));
    const chaincodeDir = writeAssetTransferChaincode(join(root, 'asset-transfer-basic'));
    const dataDir = join(root, 'devnet');
    let devnet = await startDevnetProcess({ cliMain: MAIN, dataDir, upArgs: ['--chaincode', `basic=${chaincodeDir}`] });
    try {
      // Fabric's default policy, /Channel/Application/Endorsement = MAJORITY Endorsement over the four
      // application organizations: 3 of them, and the meter owner CETSP has no peer, so all three peers.
      const info = await readRunFile(dataDir);
      const basic = info?.chaincodes?.find((c) => c.name === 'basic');
      assert.equal(basic?.endorsementPolicy, '/Channel/Application/Endorsement');
      assert.equal(
        basic?.resolvedPolicy,
        "OutOf(3, AND('CETSPMSP.peer'), AND('InmetroMSP.peer'), AND('LaSIGEMSP.peer'), AND('PUCPRMSP.peer'))",
      );

      let conn = await connect(devnet, 'CETSPMSP', 'cetsp.example.com');
      try {
        const contract = conn.gateway.getNetwork('metrology').getContract('basic');
        await contract.submitTransaction('InitLedger');
        const created = JSON.parse(utf8.decode(await contract.submitTransaction('CreateAsset', 'asset7', 'purple', '3', 'Ana', '700'))) as {
          Owner: string;
        };
        assert.equal(created.Owner, 'Ana');
        assert.equal(utf8.decode(await contract.submitTransaction('TransferAsset', 'asset7', 'Bruno')), 'Ana');
        assert.equal(
          (JSON.parse(utf8.decode(await contract.evaluateTransaction('ReadAsset', 'asset7'))) as { Owner: string }).Owner,
          'Bruno',
        );
        assert.equal((JSON.parse(utf8.decode(await contract.evaluateTransaction('GetAllAssets'))) as unknown[]).length, 4);
        // stub.getMspID() answers the endorsing peer's MSP (the gateway's organization evaluates)
        assert.deepEqual(JSON.parse(utf8.decode(await contract.evaluateTransaction('WhoAmI'))), {
          peerMspId: 'LaSIGEMSP',
          clientMspId: 'CETSPMSP',
        });
        await assert.rejects(
          contract.submitTransaction('CreateAsset', 'asset7', 'red', '1', 'X', '1'),
          (err: Error & { details?: { message: string }[] }) => {
            assert.match(JSON.stringify(err.details ?? err.message), /The asset asset7 already exists/);
            return true;
          },
        );
      } finally {
        conn.close();
      }

      // another chaincode on the running devnet, with a signature policy of two organizations
      const deploy = spawnSync(
        process.execPath,
        [MAIN, 'devnet', 'deploy', `basic2=${chaincodeDir}:AND('InmetroMSP.peer','PUCPRMSP.peer')`, '--data', dataDir],
        { encoding: 'utf8', timeout: 90_000 },
      );
      assert.equal(deploy.status, 0, deploy.stderr);
      assert.match(deploy.stdout, /deployed basic2 1\.0\.0 on InmetroMSP, LaSIGEMSP, PUCPRMSP/);
      conn = await connect(devnet, 'InmetroMSP', 'inmetro.example.com');
      try {
        const basic2 = conn.gateway.getNetwork('metrology').getContract('basic2');
        await basic2.submitTransaction('CreateAsset', 'only-in-basic2', 'grey', '1', 'Carla', '10');
        assert.equal(
          (JSON.parse(utf8.decode(await basic2.evaluateTransaction('GetAllAssets'))) as unknown[]).length,
          1,
          'a chaincode has its own namespace',
        );
      } finally {
        conn.close();
      }

      // a bad deployment is refused before anything is recorded
      const bad = spawnSync(process.execPath, [MAIN, 'devnet', 'deploy', `lr=${chaincodeDir}`, '--data', dataDir], { encoding: 'utf8' });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /BAD_CONFIG: chaincode name lr is taken/);
      // one the running devnet refuses (a policy its channel cannot resolve) is not kept in the record
      const refused = spawnSync(
        process.execPath,
        [MAIN, 'devnet', 'deploy', `basic3=${chaincodeDir}:/Channel/Application/Nope`, '--data', dataDir],
        { encoding: 'utf8', timeout: 90_000 },
      );
      assert.equal(refused.status, 1);
      assert.match(
        refused.stderr,
        /CHAINCODE_LOAD: the devnet could not deploy: BAD_CONFIG: endorsement policy of basic3: UNKNOWN_REFERENCE/,
      );
      assert.deepEqual(
        (await readDeployedChaincodes(dataDir)).chaincodes.map((c) => c.name),
        ['basic', 'basic2'],
      );

      // deployed chaincodes stay deployed across a restart, with their state; a recorded one that no
      // longer deploys (its folder is gone) is left out and said so, the rest runs
      await devnet.stop();
      await recordDeployedChaincodes(dataDir, [
        deployedChaincode({ name: 'gone', dir: writeAssetTransferChaincode(join(root, 'gone')) }, DEFAULT_NETWORK),
      ]);
      await rm(join(root, 'gone'), { recursive: true });
      devnet = await startDevnetProcess({ cliMain: MAIN, dataDir });
      assert.match((await readRunFile(dataDir))?.deployError?.message ?? '', /^gone: CHAINCODE_LOAD/);
      conn = await connect(devnet, 'PUCPRMSP', 'pucpr.example.com');
      try {
        const network = conn.gateway.getNetwork('metrology');
        assert.equal(
          (JSON.parse(utf8.decode(await network.getContract('basic').evaluateTransaction('ReadAsset', 'asset7'))) as { Owner: string })
            .Owner,
          'Bruno',
        );
        assert.equal(
          (
            JSON.parse(utf8.decode(await network.getContract('basic2').evaluateTransaction('ReadAsset', 'only-in-basic2'))) as {
              Owner: string;
            }
          ).Owner,
          'Carla',
        );
      } finally {
        conn.close();
      }
    } finally {
      await devnet.stop();
      await rm(root, { recursive: true, force: true });
    }
  },
);
