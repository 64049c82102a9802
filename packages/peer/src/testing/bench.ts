// SPDX-License-Identifier: Apache-2.0
// Committer benchmark: node packages/peer/dist/testing/bench.js [blocks=4] [txPerBlock=500]
// Validation and commit throughput of full blocks (each transaction: creator and two endorsement
// signatures, the endorsement policy, MVCC, one write), checked inline on this thread, fsync'd
// ledger. A figure, not a test: the machine's load decides it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { peer, type common } from '@hyperledger/fabric-protos';
import { IdentityDeserializer, MspRegistry } from '@metroledger/identity';
import { Ledger } from '@metroledger/ledger';
import { parsePolicy } from '@metroledger/policy';
import { blockHeaderHash, newBlock, newGenesisBlock, signBlock } from '@metroledger/protocol';
import { buildTransaction, rw, testNetwork } from '@metroledger/protocol/testing/validation';
import { Committer } from '../committer/committer.js';
import { soloBlockVerifier } from '../committer/verifier.js';

/** The rate this committer path was designed to sustain on one core. */
const TARGET_TX_PER_S = 500;

async function main(): Promise<void> {
  const blocks = Number(process.argv[2] ?? 4);
  const txPerBlock = Number(process.argv[3] ?? 500);
  const net = await testNetwork();
  const dir = await mkdtemp(join(tmpdir(), 'committer-bench-'));
  const ledger = await Ledger.open(dir);
  try {
    const deserializer = new IdentityDeserializer();
    const msps = new MspRegistry([net.org1.mspConfig(), net.org2.mspConfig(), net.ordererOrg.mspConfig()]);
    const policy = parsePolicy("AND('Org1MSP.peer','Org2MSP.peer')");
    const committer = new Committer({
      channelId: 'mychannel',
      ledger,
      blockVerifier: soloBlockVerifier({ deserializer, msps, ordererMspIds: ['OrdererMSP'] }),
      deserializer,
      msps,
      endorsementPolicy: (cc) => (cc === 'lr' ? policy : undefined),
    });
    const genesis = newGenesisBlock({
      channelId: 'mychannel',
      applicationOrgs: [net.org1.mspConfig(), net.org2.mspConfig()],
      ordererOrgs: [net.ordererOrg.mspConfig()],
      batch: { maxMessageCount: txPerBlock, preferredMaxBytes: 1 << 21, absoluteMaxBytes: 1 << 23, batchTimeoutMs: 100 },
      consensus: { type: 'solo' },
    });
    await committer.deliver(genesis);
    const client = net.org1.signingIdentity('User1');
    const endorsers = [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')];
    const built: common.Block[] = [];
    let prev = blockHeaderHash(genesis.getHeader()!);
    for (let b = 1; b <= blocks; b++) {
      const envs = Array.from(
        { length: txPerBlock },
        (_, i) =>
          buildTransaction({ client, endorsers, rwsets: [rw('lr', { [`m${b}-${i}`]: null }, { [`m${b}-${i}`]: 'x'.repeat(300) })] })
            .envelope,
      );
      const block = newBlock(b, prev, envs);
      signBlock(block, net.ordererOrg.signingIdentity('orderer0'), { lastConfigIndex: 0 });
      prev = blockHeaderHash(block.getHeader()!);
      built.push(block);
    }
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const b of built) {
      const n = await committer.deliver(b);
      if (!n.txs.every((x) => x.code === peer.TxValidationCode.VALID)) throw new Error(`block ${n.blockNum}: not every transaction VALID`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const txs = blocks * txPerBlock;
    const rate = Math.round(txs / seconds);
    console.log(
      `committer: ${txs} transactions in ${blocks} blocks of ${txPerBlock} (3 signatures each, inline checks): ${rate} tx/s wall, ${Math.round(txs / ((cpu.user + cpu.system) / 1e6))} per CPU second`,
    );
    console.log(
      `  target > ${TARGET_TX_PER_S} tx/s: ${rate > TARGET_TX_PER_S ? 'met' : 'NOT met on this run (a loaded machine lowers the wall-clock rate; see the per CPU second figure)'}`,
    );
    committer.close();
  } finally {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
