// SPDX-License-Identifier: Apache-2.0
// `metroledger audit --data <devnet dir>` on a devnet with a chaincode deployed with
// `--collections-config` and its default endorsement policy (Fabric's channel reference): a devnet
// ledger carries neither (no `_lifecycle`), so the audit takes both from the devnet's record of its
// deployed chaincodes, and agrees with the peers' verdicts under a collection's own policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordDeployedChaincodes, startDevnet, DEFAULT_ENDORSEMENT_POLICY } from '@metroledger/devnet';
import { prepareDataDir } from '@metroledger/devnet/datadir';
import { connectDevnetUser } from '@metroledger/devnet/testing/client';
import { NOTARIZED_COLLECTIONS } from '@metroledger/devnet/testing/collections';

const MAIN = join(__dirname, '..', 'main.js');

test(
  "audit --data of a devnet: a deployed chaincode's default policy and its collection's own policy come from the devnet's record, and the audit agrees with the peers",
  { timeout: 240_000 },
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'metroledger-cli-audit-collections-'));
    try {
      const dataDir = join(root, 'devnet');
      await prepareDataDir(dataDir); // as `devnet deploy` does before recording
      await recordDeployedChaincodes(dataDir, [
        {
          name: 'pdc',
          version: '1.0',
          path: require.resolve('@metroledger/devnet/testing/pdc'),
          endorsementPolicy: DEFAULT_ENDORSEMENT_POLICY,
          installedOn: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
          collections: NOTARIZED_COLLECTIONS,
        },
      ]);
      const devnet = await startDevnet({ dataDir, port: 0, batch: { batchTimeoutMs: 50 } });
      const verdicts: boolean[] = [];
      try {
        const client = await connectDevnetUser(devnet, 'CETSPMSP');
        try {
          const pdc = client.gateway.getNetwork(devnet.channelId).getContract('pdc');
          for (const [key, endorsingOrganizations] of [
            ['n1', ['InmetroMSP']], // the collection's policy alone: valid
            ['n2', ['LaSIGEMSP', 'PUCPRMSP']], // a majority, the chaincode's policy, but not the collection's: invalid
          ] as const) {
            const commit = await pdc.submitAsync('putPrivate', {
              arguments: ['notarized', key],
              transientData: { value: `value of ${key}` },
              endorsingOrganizations: [...endorsingOrganizations],
            });
            verdicts.push((await commit.getStatus()).successful);
          }
        } finally {
          client.close();
        }
      } finally {
        await devnet.stop();
      }
      assert.deepEqual(verdicts, [true, false]);

      const audit = spawnSync(process.execPath, [MAIN, 'audit', '--data', dataDir, '--json', '--workers', '0'], {
        encoding: 'utf8',
        timeout: 180_000,
      });
      assert.equal(audit.status, 0, audit.stdout.slice(0, 4000) + audit.stderr);
      const report = JSON.parse(audit.stdout) as {
        verdict: string;
        findings: unknown[];
        policies: Record<string, { text?: string; source?: string; from?: string }>;
      };
      assert.equal(report.verdict, 'PASS');
      assert.deepEqual(report.findings, []);
      // The chaincode's policy was resolved from the channel configuration the ledger holds.
      assert.match(JSON.stringify(report.policies['pdc']), /\/Channel\/Application\/Endorsement/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
);
