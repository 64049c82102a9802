// SPDX-License-Identifier: Apache-2.0
// The devnet's worker threads: how many of each, and endorsement in threads that read the world
// state through a cache the event loop keeps current.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { DevnetError } from './errors.js';
import { startDevnet, type Devnet, type StartDevnetOptions } from './index.js';
import { bootstrapGovernance, connectAs, TEST_MODEL } from './testing/governance.js';
import { threadPlan, threadsFromEnv } from './threads.js';

test('thread counts follow the cores, and each can be overridden', () => {
  assert.deepEqual(threadPlan({ cores: 1 }), {
    cores: 1,
    verifyThreads: 1,
    endorseThreads: 0,
    orderingThread: false,
    orderingVerifyThreads: 0,
  });
  assert.deepEqual(threadPlan({ cores: 2 }), {
    cores: 2,
    verifyThreads: 1,
    endorseThreads: 1,
    orderingThread: false,
    orderingVerifyThreads: 0,
  });
  assert.deepEqual(threadPlan({ cores: 16 }), {
    cores: 16,
    verifyThreads: 4,
    endorseThreads: 4,
    orderingThread: false,
    orderingVerifyThreads: 4,
  });
  assert.deepEqual(threadPlan({ cores: 16, orderingThread: true }), {
    cores: 16,
    verifyThreads: 4,
    endorseThreads: 4,
    orderingThread: true,
    orderingVerifyThreads: 4,
  });
  assert.deepEqual(threadPlan({ cores: 16, endorseThreads: 0, orderingThread: false }), {
    cores: 16,
    verifyThreads: 4,
    endorseThreads: 0,
    orderingThread: false,
    orderingVerifyThreads: 4,
  });
  assert.deepEqual(threadsFromEnv('cores=8, endorse=3,ordering=off'), { cores: 8, endorseThreads: 3, orderingThread: false });
  assert.deepEqual(threadsFromEnv(''), {});
  assert.throws(
    () => threadsFromEnv('threads=3'),
    (e: unknown) => e instanceof DevnetError && e.code === 'BAD_CONFIG',
  );
  assert.throws(
    () => threadsFromEnv('endorse=two'),
    (e: unknown) => e instanceof DevnetError && e.code === 'BAD_CONFIG',
  );
  assert.throws(
    () => threadPlan({ endorseThreads: -1 }),
    (e: unknown) => e instanceof DevnetError && e.code === 'BAD_CONFIG',
  );
});

/**
 * Registers a meter and submits `count` readings one after the other, each read-modify-writing the
 * meter's last sequence: simulated on a state without the previous reading's write, a reading
 * would commit as MVCC_READ_CONFLICT and submitTransaction throw.
 */
async function submitInSequence(devnet: Devnet, meterId: string, count: number): Promise<void> {
  await bootstrapGovernance(devnet);
  const geometry = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 10_000 };
  const meter = Meter.create({ meterId, geometry });
  const inmetro = await connectAs(devnet, 'InmetroMSP');
  const cetsp = await connectAs(devnet, 'CETSPMSP');
  try {
    await inmetro.gateway
      .getNetwork('metrology')
      .getContract('lr')
      .submitTransaction(
        'registerMeter',
        JSON.stringify({
          meterId,
          ownerMspId: 'CETSPMSP',
          publicKeyPem: meter.publicKeyPem,
          geometry,
          location: { text: 'Av. Paulista', lat: -23.56, lon: -46.65 },
          speedLimitKmh: 60,
          model: TEST_MODEL,
        }),
      );
    const lr = cetsp.gateway.getNetwork('metrology').getContract('lr');
    const rng = newRng(`threads-test-${meterId}`);
    for (let i = 1; i <= count; i++) {
      const event = generateEvent(rng, { geometry, vehicleClass: 'car', speedKmh: 50 + i, scenario: 'valid' });
      const reading = Buffer.from(
        encodeSignedReading(meter.capture({ loopA: event.loopA, loopB: event.loopB, captureTimeMs: 1_750_000_000_000 + i })),
      ).toString('base64');
      const record = JSON.parse(Buffer.from(await lr.submitTransaction('submitReading', reading)).toString()) as { sequence: number };
      assert.equal(record.sequence, i);
    }
  } finally {
    inmetro.close();
    cetsp.close();
  }
}

async function withDevnet(options: Omit<StartDevnetOptions, 'dataDir' | 'port'>, run: (devnet: Devnet) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-threads-'));
  const devnet = await startDevnet({ dataDir: dir, port: 0, ...options });
  try {
    await run(devnet);
  } finally {
    await devnet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('endorsement threads simulate on the committed state: a meter reading sent right after the previous one committed never conflicts', async () => {
  // two endorsement threads: the two endorsers of a proposal often run in different ones
  await withDevnet({ batch: { batchTimeoutMs: 5 }, threads: { endorseThreads: 2, orderingThread: false } }, async (devnet) => {
    assert.equal(devnet.threads.endorseThreads, 2);
    await submitInSequence(devnet, 'SP-THREADS', 25);
  });
});

test('single-threaded (endorse=0, ordering=off): endorsers and BFT replicas on the event loop commit the same way', async () => {
  await withDevnet({ ordering: 'bft', threads: threadsFromEnv('endorse=0,ordering=off') }, async (devnet) => {
    assert.equal(devnet.threads.endorseThreads, 0);
    assert.equal(devnet.bft?.threaded, false);
    await submitInSequence(devnet, 'SP-SINGLE', 8);
  });
});
