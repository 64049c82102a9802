// SPDX-License-Identifier: Apache-2.0
// The audit judges a block as the committer did: certificate expiry is checked at endorsement and
// broadcast, never at commit, so the verdict must not depend on when the audit runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { generateOrganization, issueIdentity, SigningIdentity } from '@metroledger/identity';
import { blockHeaderHash, newBlock, newGenesisBlock, setTransactionFilter, signBlock } from '@metroledger/protocol';
import { memorySource, runAudit } from './index';

test('blocks signed by an orderer whose certificate has expired since pass the audit as they passed the committer', async () => {
  const ord = await generateOrganization({
    name: 'Orderer',
    mspId: 'OrdererMSP',
    domain: 'orderer.example.com',
    kind: 'orderer',
    orderers: ['orderer0'],
  });
  const peerOrg = await generateOrganization({
    name: 'LaSIGE',
    mspId: 'LaSIGEMSP',
    domain: 'lasige.example.com',
    kind: 'peer',
    peers: ['peer0'],
  });
  const now = Date.now();
  // the CA exists since 5 minutes ago; this orderer certificate lived from 4 to 1 minutes ago
  const pem = await issueIdentity(ord, {
    commonName: 'orderer9.orderer.example.com',
    role: 'orderer',
    notBefore: new Date(now - 4 * 60_000),
    notAfter: new Date(now - 60_000),
  });
  const orderer = new SigningIdentity('OrdererMSP', pem.certPem, createPrivateKey(pem.keyPem));
  const genesis = newGenesisBlock(
    {
      channelId: 'metrology',
      applicationOrgs: [peerOrg.mspConfig()],
      ordererOrgs: [ord.mspConfig()],
      batch: { maxMessageCount: 10, preferredMaxBytes: 1 << 20, absoluteMaxBytes: 1 << 21, batchTimeoutMs: 100 },
      consensus: { type: 'solo' },
    },
    { timestampMs: now - 3 * 60_000 },
  );
  const blocks = [genesis.serializeBinary()];
  let prev = blockHeaderHash(genesis.getHeader()!);
  for (let k = 1; k <= 2; k++) {
    const block = newBlock(k, prev, []);
    setTransactionFilter(block, []);
    signBlock(block, orderer, { lastConfigIndex: 0 });
    blocks.push(block.serializeBinary());
    prev = blockHeaderHash(block.getHeader()!);
  }
  const { report } = await runAudit(memorySource(blocks), { workers: 0 });
  assert.deepEqual(
    report.findings.map((f) => [f.code, f.blockNum]),
    [],
  );
});
