// SPDX-License-Identifier: Apache-2.0
// BFT ordering: a block needs valid signatures of 2f+1 distinct consenters named in the genesis block.
import { describe, test } from 'node:test';
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
import { AuditError, memorySource, parseCheckpoint, runAudit } from './index';

describe('orderer signatures', () => {
  test('BFT: 3 of 4 consenters (by id or by identity) suffice, 2 do not, a forged one does not count', async () => {
    const ord = await generateOrganization({
      name: 'Orderer',
      mspId: 'OrdererMSP',
      domain: 'orderer.example.com',
      kind: 'orderer',
      orderers: ['o1', 'o2', 'o3', 'o4'],
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
    const signers = ['o1', 'o2', 'o3', 'o4'].map((n) => ord.signingIdentity(n));
    // block 1: ids 1, 2, 3; block 2: ids 1, 2 and a peer's signature claiming id 3; block 3: id 4 + identities of o1, o2
    const plans: { id?: number; signer: (typeof signers)[number] | ReturnType<typeof peerOrg.signingIdentity> }[][] = [
      [
        { id: 1, signer: signers[0]! },
        { id: 2, signer: signers[1]! },
        { id: 3, signer: signers[2]! },
      ],
      [
        { id: 1, signer: signers[0]! },
        { id: 2, signer: signers[1]! },
        { id: 3, signer: peerOrg.signingIdentity('peer0') },
      ],
      [{ id: 4, signer: signers[3]! }, { signer: signers[0]! }, { signer: signers[1]! }],
    ];
    for (const [k, plan] of plans.entries()) {
      const block = newBlock(k + 1, prev, []);
      setTransactionFilter(block, []);
      const value = ordererBlockMetadata(0);
      setBlockSignatures(
        block,
        value,
        plan.map((p) => newBlockSignature(block.getHeader()!, value, p.signer, p.id === undefined ? {} : { consenterId: p.id })),
      );
      blocks.push(block.serializeBinary());
      prev = blockHeaderHash(block.getHeader()!);
    }
    for (const workers of [0, 1]) {
      const { report } = await runAudit(memorySource(blocks), { workers });
      assert.equal(report.consensus, 'BFT (4 consenters)');
      assert.deepEqual(
        report.findings.map((f) => [f.code, f.blockNum]),
        [['ORDERER_SIGNATURE', 2]],
      );
      assert.match(report.findings[0]!.message, /2 consenter\(s\); a quorum is 3 of 4/);
    }
  });

  test('no genesis block, or a checkpoint that is not one, is unusable input', async () => {
    await assert.rejects(runAudit(memorySource([])), (e: unknown) => e instanceof AuditError && e.code === 'NO_GENESIS');
    assert.throws(
      () => parseCheckpoint({ format: 'x' }),
      (e: unknown) => e instanceof AuditError && e.code === 'BAD_CHECKPOINT',
    );
  });
});
