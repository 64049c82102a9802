// SPDX-License-Identifier: Apache-2.0
// BFT ordering on the devnet, driven through the unmodified @hyperledger/fabric-gateway client:
// four consenters of four orderer organizations, one of them crashed and restarted mid-workload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { IdentityDeserializer, MspRegistry, verifySignature } from '@metroledger/identity';
import { Ledger } from '@metroledger/ledger';
import { decisionOfBlock } from '@metroledger/ordering';
import { Committer, PeerError, quorumBlockVerifier } from '@metroledger/peer';
import { blockSignatures, decodeBlock, parseChannelConfig, setBlockSignatures, type ConsenterConfig } from '@metroledger/protocol';
import { startDevnet, type Devnet } from './index.js';
import { connectDevnetUser, type ClientConnection } from './testing/client.js';

let dir: string;
let devnet: Devnet;
let client: ClientConnection;

const KV = {
  name: 'kv',
  version: '1.0',
  module: join(__dirname, 'testing', 'kv.js'),
  endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
  installedOn: ['LaSIGEMSP', 'PUCPRMSP'],
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-bft-'));
  devnet = await startDevnet({
    dataDir: dir,
    port: 0,
    ordering: 'bft',
    chaincodes: [KV],
    batch: { batchTimeoutMs: 10, maxMessageCount: 50 },
  });
  client = await connectDevnetUser(devnet, 'CETSPMSP');
});

after(async () => {
  client?.close();
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
});

// Real time: the replicas, the gateway and the clients' calls run on real timers and sockets.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for a condition; the limit is a hang guard, not a speed target (a loaded machine is slow). */
async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 300_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function blocksFromDeliver(from: number, to: number): Promise<common.Block[]> {
  const events = await client.gateway.getNetwork('metrology').getBlockEvents({ startBlock: BigInt(from) });
  const out: common.Block[] = [];
  try {
    for await (const b of events) {
      out.push(decodeBlock(b.serializeBinary()));
      if (out.length === to - from + 1) break;
    }
  } finally {
    events.close();
  }
  return out;
}

function consentersOf(genesis: common.Block): ConsenterConfig[] {
  const cs = parseChannelConfig(genesis).consensus;
  assert.equal(cs.type, 'BFT');
  return cs.type === 'BFT' ? [...cs.consenters] : [];
}

test('commits continue while one of four consenters is down; restarted, it catches up with an identical log; peers got 2f+1 signatures per block', async () => {
  const bft = devnet.bft!;
  assert.equal(bft.replicas, 4);
  const kv = client.gateway.getNetwork('metrology').getContract('kv');
  let committed = 0;
  let stopping = false;
  const failures: unknown[] = [];
  const worker = async (w: number) => {
    for (let i = 0; !stopping; i++) {
      try {
        await kv.submitTransaction('put', `w${w}-${i}`, `value ${i}`);
        committed++;
      } catch (err) {
        failures.push(err);
        await sleep(50);
      }
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  try {
    await until('commits before the crash', () => committed >= 60);
    const leader = (await bft.replicaViews())[0]! % 4;
    await bft.stopReplica(leader); // the leader: the others must change view
    const atCrash = committed;
    await until('commits with a replica down', () => committed >= atCrash + 120);
    assert.ok(
      (await bft.replicaViews()).every((v, i) => i === leader || (v !== undefined && v > 0)),
      'the surviving replicas installed a new view',
    );
    await bft.startReplica(leader);
    const atRestart = committed;
    await until('commits after the restart', () => committed >= atRestart + 60);
  } finally {
    stopping = true;
    await Promise.all(workers);
  }
  assert.deepEqual(failures, [], 'no transaction failed');

  const height = devnet.height() - 1; // last block number
  await until('every replica at the ledger height', async () => (await bft.replicaHeights()).every((h) => h === height));
  const consenters = consentersOf((await blocksFromDeliver(0, 0))[0]!);
  assert.deepEqual(
    consenters.map((c) => c.mspId),
    ['Orderer1MSP', 'Orderer2MSP', 'Orderer3MSP', 'Orderer4MSP'],
  );
  const keys = new Map(consenters.map((c) => [c.id, new X509Certificate(c.identityPem).publicKey]));

  // the restarted replica's log (WAL) holds the same blocks as the others', each certified by 2f+1
  for (let seq = 1; seq <= height; seq++) {
    const payloads = await Promise.all(
      [0, 1, 2, 3].map(async (r) => Buffer.from(decisionOfBlock(await bft.replicaBlock(r, seq)).payload).toString('base64')),
    );
    assert.equal(new Set(payloads).size, 1, `replicas agree on block ${seq}`);
  }
  // the peer's ledger: every block carries at least 2f+1 = 3 valid consenter signatures
  const blocks = await blocksFromDeliver(1, height);
  assert.equal(blocks.length, height);
  for (const b of blocks) {
    const valid = new Set(
      blockSignatures(b)
        .filter((e) => e.consenterId !== undefined && verifySignature(keys.get(e.consenterId)!, e.message, e.signature))
        .map((e) => e.consenterId),
    );
    assert.ok(valid.size >= 3, `block ${b.getHeader()!.getNumber()} has ${valid.size} valid consenter signatures`);
  }
});

test('a committing peer refuses a block with only f+1 consenter signatures', async () => {
  const [genesis, block1] = await blocksFromDeliver(0, 1);
  const config = parseChannelConfig(genesis!);
  const msps = new MspRegistry([...config.applicationOrgs, ...config.ordererOrgs]);
  const deserializer = new IdentityDeserializer();
  const ledgerDir = await mkdtemp(join(tmpdir(), 'metroledger-bft-peer-'));
  const ledger = await Ledger.open(ledgerDir);
  const committer = new Committer({
    channelId: config.channelId,
    ledger,
    blockVerifier: quorumBlockVerifier({ deserializer, msps, consenters: consentersOf(genesis!) }),
    deserializer,
    msps,
    endorsementPolicy: () => undefined,
  });
  try {
    await committer.deliver(genesis!);
    const md = common.Metadata.deserializeBinary(block1!.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES]!);
    const forged = decodeBlock(block1!.serializeBinary());
    setBlockSignatures(forged, md.getValue_asU8(), md.getSignaturesList().slice(0, 2)); // f+1 = 2 genuine signatures
    await assert.rejects(committer.deliver(forged), (e: unknown) => e instanceof PeerError && (e.code as string) === 'BAD_BLOCK_SIGNATURE');
    assert.equal(ledger.height, 1);
    const notice = await committer.deliver(decodeBlock(block1!.serializeBinary()));
    assert.equal(notice.blockNum, 1);
  } finally {
    committer.close();
    await ledger.close();
    await rm(ledgerDir, { recursive: true, force: true });
  }
});

test('a ledger keeps the ordering of its genesis block', async () => {
  const soloDir = await mkdtemp(join(tmpdir(), 'metroledger-solo-'));
  try {
    const solo = await startDevnet({ dataDir: soloDir, port: 0, ordering: 'solo', chaincodes: [KV] });
    await solo.stop();
    await assert.rejects(
      startDevnet({ dataDir: soloDir, port: 0, ordering: 'bft', chaincodes: [KV] }),
      /created with solo ordering, not bft with 4 replicas/,
    );
    await assert.rejects(
      startDevnet({ dataDir: soloDir, port: 0, ordering: 'bft', bftReplicas: 5, bftReplicasDown: [1, 2], chaincodes: [KV] }),
      /at most f = 1/,
    );
  } finally {
    await rm(soloDir, { recursive: true, force: true });
  }
});
