// SPDX-License-Identifier: Apache-2.0
// A write to an explicit private data collection with an endorsement policy of its own is held to
// that policy instead of the chaincode's (Fabric's validation; the devnet's too): the audit of a
// devnet ledger whose peers committed such writes agrees with each verdict the peers gave.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { startDevnet, type ChaincodeConfig } from '@metroledger/devnet';
import { connectDevnetUser } from '@metroledger/devnet/testing/client';
import { NOTARIZED_COLLECTIONS } from '@metroledger/devnet/testing/collections';
import { ledgerDirectorySource, runAudit } from './index';

const CHAINCODE_POLICY = "AND('LaSIGEMSP.peer','PUCPRMSP.peer')";

const PDC: ChaincodeConfig = {
  name: 'pdc',
  version: '1.0',
  module: require.resolve('@metroledger/devnet/testing/pdc'),
  endorsementPolicy: CHAINCODE_POLICY,
  installedOn: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
  collections: NOTARIZED_COLLECTIONS,
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-audit-collection-policy-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("writes to a collection with its own endorsement policy: the peers' verdicts under that policy, and the audit's, agree", async () => {
  const devnet = await startDevnet({ dataDir: dir, port: 0, chaincodes: [PDC], batch: { batchTimeoutMs: 50 } });
  const codes: number[] = [];
  try {
    const client = await connectDevnetUser(devnet, 'CETSPMSP');
    try {
      const pdc = client.gateway.getNetwork(devnet.channelId).getContract('pdc');
      const put = async (collection: string, key: string, endorsingOrganizations: string[]): Promise<void> => {
        const commit = await pdc.submitAsync('putPrivate', {
          arguments: [collection, key],
          transientData: { value: `value of ${key}` },
          endorsingOrganizations,
        });
        codes.push((await commit.getStatus()).code);
      };
      await put('notarized', 'n1', ['InmetroMSP']); // the collection's policy alone
      await put('notarized', 'n2', ['LaSIGEMSP', 'PUCPRMSP']); // the chaincode's, not the collection's
      await put('plain', 'p1', ['LaSIGEMSP', 'PUCPRMSP']); // no policy of its own: the chaincode's
      await put('plain', 'p2', ['InmetroMSP']);
    } finally {
      client.close();
    }
  } finally {
    await devnet.stop();
  }
  const F = StatusCode.ENDORSEMENT_POLICY_FAILURE;
  assert.deepEqual(codes, [StatusCode.VALID, F, StatusCode.VALID, F], 'the devnet validates as Fabric does');

  // The devnet's ledger carries no `_lifecycle` definitions: its configuration gives the chaincode's policy and collections.
  for (const workers of [0, 2]) {
    const { report } = await runAudit(ledgerDirectorySource(dir), {
      policies: { pdc: CHAINCODE_POLICY },
      collections: { pdc: NOTARIZED_COLLECTIONS },
      workers,
    });
    assert.deepEqual(report.findings, [], JSON.stringify(report.findings, null, 1));
    assert.equal(report.verdict, 'PASS');
    assert.equal(report.counts.invalidTransactions, 2);
  }
});
