// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { common } from '@hyperledger/fabric-protos';
import { IdentityDeserializer, MspRegistry, verifySignature } from '@metroledger/identity';
import { blockHeaderHash, blockSignatures, newGenesisBlock, type BatchConfig } from '@metroledger/protocol';
import { buildTransaction, expiredIdentity, testNetwork, type TestNetwork } from '@metroledger/protocol/testing/validation';
import { BlockCutter } from './blockcutter.js';
import { ManualClock } from './clock.js';
import { OrderingError } from './errors.js';
import { SoloOrderer } from './solo.js';

const msg = (n: number) => new Uint8Array(n);
const sizes = (batches: Uint8Array[][]) => batches.map((b) => b.map((m) => m.length));

test('a batch is cut at maxMessageCount', () => {
  const c = new BlockCutter({ maxMessageCount: 3, preferredMaxBytes: 1000, absoluteMaxBytes: 2000, batchTimeoutMs: 100 });
  assert.deepEqual(c.ordered(msg(1)), { batches: [], pending: true });
  assert.deepEqual(c.ordered(msg(2)).batches, []);
  const r = c.ordered(msg(3));
  assert.deepEqual(sizes(r.batches), [[1, 2, 3]]);
  assert.equal(r.pending, false);
});

test('a message that would overflow preferredMaxBytes cuts the pending batch first', () => {
  const c = new BlockCutter({ maxMessageCount: 10, preferredMaxBytes: 100, absoluteMaxBytes: 1000, batchTimeoutMs: 100 });
  c.ordered(msg(60));
  const r = c.ordered(msg(50));
  assert.deepEqual(sizes(r.batches), [[60]]);
  assert.equal(r.pending, true);
  assert.deepEqual(
    c.cut().map((m) => m.length),
    [50],
  );
});

test('a message larger than preferredMaxBytes goes alone, after the pending batch', () => {
  const c = new BlockCutter({ maxMessageCount: 10, preferredMaxBytes: 100, absoluteMaxBytes: 1000, batchTimeoutMs: 100 });
  c.ordered(msg(10));
  const r = c.ordered(msg(500));
  assert.deepEqual(sizes(r.batches), [[10], [500]]);
  assert.equal(r.pending, false);
  assert.deepEqual(
    sizes(
      new BlockCutter({ maxMessageCount: 10, preferredMaxBytes: 100, absoluteMaxBytes: 1000, batchTimeoutMs: 1 }).ordered(msg(101)).batches,
    ),
    [[101]],
  );
});

test('inconsistent batch sizes are refused', () => {
  assert.throws(
    () => new BlockCutter({ maxMessageCount: 10, preferredMaxBytes: 1000, absoluteMaxBytes: 100, batchTimeoutMs: 1 }),
    (e: unknown) => e instanceof OrderingError && e.code === 'BAD_CONFIG',
  );
});

const BATCH: BatchConfig = { maxMessageCount: 3, preferredMaxBytes: 512 * 1024, absoluteMaxBytes: 1024 * 1024, batchTimeoutMs: 200 };

function newOrderer(net: TestNetwork, opts: { clock?: ManualClock; batch?: BatchConfig; maxQueuedEnvelopes?: number } = {}) {
  const genesis = newGenesisBlock({
    channelId: 'mychannel',
    applicationOrgs: [net.org1.mspConfig(), net.org2.mspConfig()],
    ordererOrgs: [net.ordererOrg.mspConfig()],
    batch: opts.batch ?? BATCH,
    consensus: { type: 'solo' },
  });
  const orderer = new SoloOrderer({
    channelId: 'mychannel',
    signer: net.ordererOrg.signingIdentity('orderer0'),
    batch: opts.batch ?? BATCH,
    height: 1,
    lastHeaderHash: blockHeaderHash(genesis.getHeader()!),
    deserializer: new IdentityDeserializer(),
    msps: new MspRegistry([net.org1.mspConfig(), net.org2.mspConfig(), net.ordererOrg.mspConfig()]),
    clock: opts.clock ?? new ManualClock(),
    ...(opts.maxQueuedEnvelopes !== undefined ? { maxQueuedEnvelopes: opts.maxQueuedEnvelopes } : {}),
  });
  const blocks: common.Block[] = [];
  orderer.onBlock((b) => blocks.push(b));
  return { orderer, blocks, genesis };
}

const tick = () => new Promise((r) => setImmediate(r));

test('the solo orderer chains signed blocks and cuts a partial batch on the batch timeout', async () => {
  const net = await testNetwork();
  const clock = new ManualClock();
  const { orderer, blocks, genesis } = newOrderer(net, { clock });
  await orderer.start();
  const client = net.org1.signingIdentity('User1');
  const txs = Array.from({ length: 4 }, () => buildTransaction({ client, endorsers: [], rwsets: [] }).envelope);
  for (const t of txs) await orderer.broadcast(t);
  await tick();
  assert.equal(blocks.length, 1, 'three envelopes fill a block at once');
  assert.equal(blocks[0]!.getData()!.getDataList().length, 3);
  clock.advance(199);
  assert.equal(blocks.length, 1);
  clock.advance(1);
  assert.equal(blocks.length, 2, 'the fourth envelope is cut when the timeout fires');
  assert.deepEqual(blocks[1]!.getData()!.getDataList_asU8()[0], txs[3]);

  assert.deepEqual(blocks[0]!.getHeader()!.getPreviousHash_asU8(), blockHeaderHash(genesis.getHeader()!));
  assert.deepEqual(blocks[1]!.getHeader()!.getPreviousHash_asU8(), blockHeaderHash(blocks[0]!.getHeader()!));
  assert.deepEqual(
    blocks.map((b) => b.getHeader()!.getNumber()),
    [1, 2],
  );
  const ordererKey = new X509Certificate(net.ordererOrg.signingIdentity('orderer0').certPem).publicKey;
  for (const b of blocks) {
    const [sig] = blockSignatures(b);
    assert.ok(verifySignature(ordererKey, sig!.message, sig!.signature));
  }
  assert.equal(clock.pending, 0);
  await orderer.stop();
});

test('the timer is not restarted by later envelopes of the same batch', async () => {
  const net = await testNetwork();
  const clock = new ManualClock();
  const { orderer, blocks } = newOrderer(net, { clock, batch: { ...BATCH, maxMessageCount: 10 } });
  await orderer.start();
  const client = net.org1.signingIdentity('User1');
  await orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [] }).envelope);
  await tick();
  clock.advance(150);
  await orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [] }).envelope);
  await tick();
  clock.advance(50);
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0]!.getData()!.getDataList().length, 2);
});

test('broadcast refuses oversized, foreign-channel, unknown-creator and badly signed envelopes; BUSY when the queue is full', async () => {
  const net = await testNetwork();
  const { orderer } = newOrderer(net, {
    batch: { ...BATCH, absoluteMaxBytes: 8 * 1024, preferredMaxBytes: 4 * 1024 },
    maxQueuedEnvelopes: 2,
  });
  const client = net.org1.signingIdentity('User1');
  const rejects = (p: Promise<void>, code: string) => assert.rejects(p, (e: unknown) => e instanceof OrderingError && e.code === code);
  await rejects(orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [] }).envelope), 'SERVICE_UNAVAILABLE');
  await orderer.start();
  await rejects(orderer.broadcast(Buffer.from('not an envelope')), 'BAD_REQUEST');
  await rejects(orderer.broadcast(new Uint8Array(9000)), 'BAD_REQUEST');
  await rejects(orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [], channelId: 'other' }).envelope), 'BAD_REQUEST');
  await rejects(
    orderer.broadcast(buildTransaction({ client: net.outsider.signingIdentity('User1'), endorsers: [], rwsets: [] }).envelope),
    'BAD_REQUEST',
  );
  await rejects(
    orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [], envelopeSigner: net.org2.signingIdentity('User1') }).envelope),
    'BAD_REQUEST',
  );
  // an expired certificate is refused at broadcast (Fabric's ExpirationRejectRule)
  await rejects(
    orderer.broadcast(
      buildTransaction({ client: await expiredIdentity(net.org1, 'Gone@org1.example.com', 'client'), endorsers: [], rwsets: [] }).envelope,
    ),
    'BAD_REQUEST',
  );
  const ok = () => orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [] }).envelope);
  const results = await Promise.allSettled([ok(), ok(), ok()]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  const busy = (results[2] as PromiseRejectedResult).reason as OrderingError;
  assert.equal(busy.code, 'BUSY');
  assert.equal(busy.retryable, true);
  await tick();
  await ok(); // the queue drained
  await orderer.stop();
  await rejects(ok(), 'SERVICE_UNAVAILABLE');
});

test('stop orders the pending batch and a restarted orderer continues the chain', async () => {
  const net = await testNetwork();
  const { orderer, blocks } = newOrderer(net);
  await orderer.start();
  await orderer.broadcast(buildTransaction({ client: net.org1.signingIdentity('User1'), endorsers: [], rwsets: [] }).envelope);
  await orderer.stop();
  assert.equal(blocks.length, 1);
  const again = new SoloOrderer({
    channelId: 'mychannel',
    signer: net.ordererOrg.signingIdentity('orderer0'),
    batch: BATCH,
    height: orderer.height,
    lastHeaderHash: orderer.lastHeaderHash,
    deserializer: new IdentityDeserializer(),
    msps: new MspRegistry([net.org1.mspConfig()]),
    clock: new ManualClock(),
  });
  const next: common.Block[] = [];
  again.onBlock((b) => next.push(b));
  await again.start();
  await again.broadcast(buildTransaction({ client: net.org1.signingIdentity('User1'), endorsers: [], rwsets: [] }).envelope);
  await again.stop();
  assert.equal(next[0]!.getHeader()!.getNumber(), 2);
  assert.deepEqual(next[0]!.getHeader()!.getPreviousHash_asU8(), blockHeaderHash(blocks[0]!.getHeader()!));
});
