// SPDX-License-Identifier: Apache-2.0
// The ordering thread (bft-thread.ts, bft-worker.ts) around a replica crash: an envelope it
// acknowledges has been forwarded by a running replica, even when the crash and the envelope reach
// the thread in one batch of messages (the thread runs broadcasts at once, control calls a phase
// later, so the crashed replica may have taken it first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { generateOrganization } from '@metroledger/identity';
import { blockHeaderHash, newGenesisBlock, type BatchConfig, type ConsenterConfig } from '@metroledger/protocol';
import { buildTransaction, testNetwork } from '@metroledger/protocol/testing/validation';
import { ThreadedBftOrderer } from './bft-thread.js';

const BATCH: BatchConfig = { maxMessageCount: 10, preferredMaxBytes: 512 * 1024, absoluteMaxBytes: 1024 * 1024, batchTimeoutMs: 20 };

/** Waits for a condition (the replicas run on real timers); the limit is a hang guard, not a speed target. */
async function until(what: string, cond: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function txIdsOf(block: common.Block): string[] {
  return block
    .getData()!
    .getDataList_asU8()
    .map((e) => {
      const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(e).getPayload_asU8());
      return common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getTxId();
    });
}

test('envelopes broadcast in the turn their entry replica is stopped go to a running replica and are ordered', async () => {
  const net = await testNetwork();
  const orgs = await Promise.all(
    [1, 2, 3, 4].map((i) =>
      generateOrganization({
        name: `Orderer${i}`,
        mspId: `Orderer${i}MSP`,
        domain: `orderer${i}.example.com`,
        kind: 'orderer',
        orderers: ['orderer0'],
      }),
    ),
  );
  const consenters: ConsenterConfig[] = orgs.map((o, i) => ({
    id: i + 1,
    mspId: o.spec.mspId,
    host: o.orderers[0]!.fqdn,
    port: 7050,
    identityPem: o.orderers[0]!.sign.certPem,
  }));
  const genesis = newGenesisBlock({
    channelId: 'mychannel',
    applicationOrgs: [net.org1.mspConfig(), net.org2.mspConfig()],
    ordererOrgs: orgs.map((o) => o.mspConfig()),
    batch: BATCH,
    consensus: { type: 'BFT', consenters },
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'metroledger-bft-thread-'));
  const orderer = new ThreadedBftOrderer({
    channelId: 'mychannel',
    batch: BATCH,
    consenters: consenters.map((config, i) => ({
      config,
      mspId: config.mspId,
      certPem: orgs[i]!.orderers[0]!.sign.certPem,
      keyPem: orgs[i]!.orderers[0]!.sign.keyPem,
    })),
    dataDir,
    genesisHeaderHash: blockHeaderHash(genesis.getHeader()!),
    deliverFrom: 1,
    msps: [net.org1.mspConfig(), net.org2.mspConfig(), ...orgs.map((o) => o.mspConfig())],
    timings: { leaderTimeoutMs: 400, heartbeatMs: 100, requestTimeoutMs: 1500, viewChangeTimeoutMs: 500, retransmitMs: 200 },
    verifyThreads: 0,
  });
  const ordered = new Set<string>();
  orderer.onBlock((b) => txIdsOf(b).forEach((id) => ordered.add(id)));
  const client = net.org1.signingIdentity('User1');
  try {
    await orderer.start();
    // Replica 0 is the entry replica (it takes the envelopes while it runs). Each round crashes it
    // and, in the same turn, broadcasts. The thread is busy checking earlier envelopes meanwhile,
    // so the stop and the envelopes after it reach it in one batch of messages.
    for (let round = 0; round < 3; round++) {
      const busy = Array.from({ length: 40 }, () => buildTransaction({ client, endorsers: [], rwsets: [] }));
      const txs = Array.from({ length: 5 }, () => buildTransaction({ client, endorsers: [], rwsets: [] }));
      const earlier = busy.map((t) => orderer.broadcast(t.envelope));
      await Promise.resolve(); // they are posted (one message)
      const stopped = orderer.stopReplica(0);
      const acks = txs.map((t) => orderer.broadcast(t.envelope));
      await stopped;
      assert.equal(await orderer.isReplicaRunning(0), false);
      await Promise.all([...earlier, ...acks]); // every one acknowledged: it must be ordered
      await until(`round ${round}: the acknowledged envelopes ordered`, () => [...busy, ...txs].every((t) => ordered.has(t.txId)));
      await orderer.startReplica(0);
    }
  } finally {
    await orderer.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
