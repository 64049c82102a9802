// SPDX-License-Identifier: Apache-2.0
// The audit of a devnet ledger with private data: blocks hold only the hashes of the private writes
// (Fabric's collection_hashed_rwset), and the audit validates them like any other write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';
import { DEFAULT_NETWORK, startDevnet, type NetworkConfig } from '@metroledger/devnet';
import { EVIDENCE_CHAINCODE_MODULE } from '@metroledger/evidence';
import { ledgerDirectorySource, runAudit } from './index';

const POLICY = "AND('CETSPMSP.peer')";
const NETWORK: NetworkConfig = {
  ...DEFAULT_NETWORK,
  organizations: DEFAULT_NETWORK.organizations.map((o) => (o.mspId === 'CETSPMSP' ? { ...o, peers: ['peer0'] } : o)),
  chaincodes: [
    {
      name: 'evidence',
      version: '1.0',
      module: EVIDENCE_CHAINCODE_MODULE,
      endorsementPolicy: POLICY,
      installedOn: ['CETSPMSP', 'LaSIGEMSP'],
    },
  ],
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-audit-pdc-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a ledger with private writes (hashes only) passes the audit', async () => {
  const devnet = await startDevnet({ dataDir: dir, port: 0, network: NETWORK, batch: { batchTimeoutMs: 10 } });
  try {
    const u = devnet.users['CETSPMSP']![0]!;
    const [tlsCa, cert, key] = await Promise.all([readFile(devnet.tlsCaCertPath), readFile(u.certPath), readFile(u.keyPath)]);
    const client = new grpc.Client(devnet.endpoint, grpc.credentials.createSsl(tlsCa), {
      'grpc.ssl_target_name_override': devnet.tlsServerName,
    });
    const gateway = connect({
      client,
      identity: { mspId: 'CETSPMSP', credentials: cert },
      signer: signers.newPrivateKeySigner(createPrivateKey(key)),
      hash: hash.sha256,
    });
    try {
      const evidence = gateway.getNetwork(devnet.channelId).getContract('evidence');
      for (let i = 0; i < 3; i++) await evidence.submit('storeImage', { transientData: { image: randomBytes(256) } });
    } finally {
      gateway.close();
      client.close();
    }
  } finally {
    await devnet.stop();
  }
  const { report } = await runAudit(ledgerDirectorySource(dir), { policies: { evidence: POLICY } });
  assert.deepEqual(report.findings, [], JSON.stringify(report.findings, null, 1));
  assert.equal(report.verdict, 'PASS');
  assert.ok(report.counts.transactions >= 3, JSON.stringify(report.counts));
  assert.equal(report.counts.invalidTransactions, 0);
});
