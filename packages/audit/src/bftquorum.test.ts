// SPDX-License-Identifier: Apache-2.0
// The audit's consenter quorum is @metroledger/bft's: for n = 6 (f = 1) a block needs 4 signatures,
// since two sets of 2f+1 = 3 could be disjoint and sign two different blocks at one height.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateOrganization } from '@metroledger/identity';
import {
  blockHeaderHash,
  newBlock,
  newBlockSignature,
  newGenesisBlock,
  ordererBlockMetadata,
  setBlockSignatures,
  setTransactionFilter,
} from '@metroledger/protocol';
import { memorySource, runAudit } from './index';

test('BFT with 6 consenters: 4 signatures suffice, 3 (2f+1) do not', async () => {
  const names = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];
  const ord = await generateOrganization({
    name: 'Orderer',
    mspId: 'OrdererMSP',
    domain: 'orderer.example.com',
    kind: 'orderer',
    orderers: names,
  });
  const peerOrg = await generateOrganization({
    name: 'LaSIGE',
    mspId: 'LaSIGEMSP',
    domain: 'lasige.example.com',
    kind: 'peer',
    peers: ['peer0'],
  });
  const consenters = ord.orderers.map((o, i) => ({
    id: i + 1,
    mspId: 'OrdererMSP',
    host: o.fqdn,
    port: 7050,
    identityPem: o.sign.certPem,
  }));
  const genesis = newGenesisBlock({
    channelId: 'metrology',
    applicationOrgs: [peerOrg.mspConfig()],
    ordererOrgs: [ord.mspConfig()],
    batch: { maxMessageCount: 10, preferredMaxBytes: 1 << 20, absoluteMaxBytes: 1 << 21, batchTimeoutMs: 100 },
    consensus: { type: 'BFT', consenters },
  });
  const blocks = [genesis.serializeBinary()];
  let prev = blockHeaderHash(genesis.getHeader()!);
  const signers = names.map((n) => ord.signingIdentity(n));
  // block 1: consenters 1..4; block 2: consenters 4, 5, 6
  for (const [k, ids] of [
    [1, 2, 3, 4],
    [4, 5, 6],
  ].entries()) {
    const block = newBlock(k + 1, prev, []);
    setTransactionFilter(block, []);
    const value = ordererBlockMetadata(0);
    setBlockSignatures(
      block,
      value,
      ids.map((id) => newBlockSignature(block.getHeader()!, value, signers[id - 1]!, { consenterId: id })),
    );
    blocks.push(block.serializeBinary());
    prev = blockHeaderHash(block.getHeader()!);
  }
  const { report } = await runAudit(memorySource(blocks), { workers: 0 });
  assert.equal(report.consensus, 'BFT (6 consenters)');
  assert.deepEqual(
    report.findings.map((f) => [f.code, f.blockNum]),
    [['ORDERER_SIGNATURE', 2]],
  );
  assert.match(report.findings[0]!.message, /3 consenter\(s\); a quorum is 4 of 6/);
});
