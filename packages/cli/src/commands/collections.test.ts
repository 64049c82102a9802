// SPDX-License-Identifier: Apache-2.0
// `metroledger devnet deploy NAME=DIR --collections-config FILE`: the chaincode definition takes
// Fabric's collections_config.json; a file Fabric would refuse is refused with its reason and
// nothing is recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAssetTransferChaincode } from '@metroledger/chaincode-host/testing/foreign';
import { readDeployedChaincodes } from '@metroledger/devnet';

const MAIN = join(__dirname, '..', 'main.js');

test(
  'devnet deploy --collections-config records the collections with the chaincode; a bad file is refused with the reason and records nothing',
  { timeout: 120_000 },
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'metroledger-cli-collections-'));
    try {
      const chaincodeDir = writeAssetTransferChaincode(join(root, 'asset-transfer-basic'));
      const dataDir = join(root, 'devnet');
      const good = join(root, 'collections_config.json');
      await writeFile(
        good,
        JSON.stringify([
          {
            name: 'images',
            policy: "OR('CETSPMSP.member', 'InmetroMSP.member')",
            requiredPeerCount: 0,
            maxPeerCount: 1,
            blockToLive: 100,
            memberOnlyRead: true,
            memberOnlyWrite: true,
          },
        ]),
      );
      const bad = join(root, 'bad.json');
      await writeFile(bad, JSON.stringify([{ name: 'images', policy: "AND('CETSPMSP.member', 'InmetroMSP.member')" }]));

      const refused = spawnSync(
        process.execPath,
        [MAIN, 'devnet', 'deploy', `basic=${chaincodeDir}`, '--collections-config', bad, '--data', dataDir],
        { encoding: 'utf8', timeout: 90_000 },
      );
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /not an OR concatenation/);
      assert.deepEqual((await readDeployedChaincodes(dataDir)).chaincodes, []);

      const ok = spawnSync(
        process.execPath,
        [MAIN, 'devnet', 'deploy', `basic=${chaincodeDir}`, '--collections-config', `basic=${good}`, '--data', dataDir],
        { encoding: 'utf8', timeout: 90_000 },
      );
      assert.equal(ok.status, 0, ok.stderr);
      const [basic] = (await readDeployedChaincodes(dataDir)).chaincodes;
      assert.deepEqual(
        basic?.collections?.map((c) => [c.name, c.blockToLive, c.memberOnlyRead]),
        [['images', 100, true]],
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
);
