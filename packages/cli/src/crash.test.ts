// SPDX-License-Identifier: Apache-2.0
// The devnet process is killed (SIGKILL) at random moments while meters submit readings through
// @hyperledger/fabric-gateway, and restarted each time. Afterwards every transaction a client saw
// committed must be on the ledger, the hash chain must be intact, and the world state must equal
// a replay of the blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { devnetAccess, setUpSuiteRegistry } from '@metroledger/scenario';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { Ledger } from '@metroledger/ledger';
import { startDevnetProcess, type DevnetProcess } from '@metroledger/devnet';
import { verifyLedger } from '@metroledger/ledger/testing/verify';

const MAIN = join(__dirname, 'main.js');
const METERS = 12;
const ROUNDS = 4;

/** Hang guards, not speed targets: a loaded machine makes the test slower, never weaker. */
const START_LIMIT_MS = 300_000;
const ROUND_LIMIT_MS = 300_000;

const startDevnet = (dataDir: string): Promise<DevnetProcess> =>
  startDevnetProcess({ cliMain: MAIN, dataDir, startTimeoutMs: START_LIMIT_MS });

test('a devnet killed with SIGKILL under load keeps every acknowledged transaction and a consistent ledger', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'metroledger-crash-'));
  const rng = newRng('crash-test');
  const acknowledged = new Map<string, number>(); // txId → block number the client was told
  const plans = Array.from({ length: METERS }, (_, i) => ({
    meter: Meter.create({ meterId: `CRASH-${i}`, geometry: { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 } }),
  }));
  let devnet = await startDevnet(dataDir);
  try {
    // Governance and meters, once.
    const access = await devnetAccess(devnet, await packageLrChaincode());
    await setUpSuiteRegistry(
      access,
      plans.map((p) => p.meter),
    );

    const owner = access.meterOwner;
    for (let round = 0; round < ROUNDS; round++) {
      const connection = newGrpcConnection(devnet.endpoint, await readFile(devnet.tlsCaCertPath), devnet.tlsServerName);
      // Few retries: once the process is killed, a worker must notice and stop.
      const client = new MetroledgerClient({ connection, ...owner, retry: { maxAttempts: 2, initialDelayMs: 10 }, callTimeoutMs: 60_000 });
      let stop = false;
      const workers = plans.map(async (p) => {
        while (!stop) {
          const e = generateEvent(rng, { geometry: p.meter.geometry, vehicleClass: 'car', speedKmh: rng.uniform(30, 90), invalidShare: 0 });
          const reading = encodeSignedReading(p.meter.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: Date.now() }));
          try {
            const out = await client.submitReading(reading);
            acknowledged.set(out.transactionId, Number(out.blockNumber));
          } catch {
            if (stop) return; // the network went away under us: expected
          }
        }
      });
      // Kill after a seeded number of acknowledged readings this round (5..24), then a seeded 0..50 ms more.
      const target = acknowledged.size + 5 + Math.floor(rng.next() * 20);
      const deadline = Date.now() + ROUND_LIMIT_MS;
      while (acknowledged.size < target) {
        assert.ok(
          Date.now() < deadline,
          `round ${round}: ${acknowledged.size} of ${target} readings acknowledged after ${ROUND_LIMIT_MS / 1000} s:\n${devnet.stderr()}`,
        );
        await new Promise((r) => setTimeout(r, 5)); // the devnet is a real process: poll the clients' acknowledgements
      }
      await new Promise((r) => setTimeout(r, Math.floor(rng.next() * 50))); // a seeded real delay: the kill lands mid-transaction in the devnet process
      await devnet.kill();
      stop = true;
      await Promise.all(workers);
      client.close();
      connection.close();
      devnet = await startDevnet(dataDir);
    }
    await devnet.stop();

    const ledger = await Ledger.open(join(dataDir, 'ledger'));
    t.diagnostic(
      `${acknowledged.size} acknowledged transactions over ${ROUNDS} kills; ledger height ${ledger.height}; recovery ${JSON.stringify(ledger.recovery)}`,
    );
    try {
      for (const [txId, blockNum] of acknowledged) {
        const tx = await ledger.getTx(txId);
        assert.ok(tx, `acknowledged transaction ${txId} is missing from the ledger`);
        assert.equal(tx.code, 0, `acknowledged transaction ${txId} is not VALID on the ledger`);
        assert.equal(tx.blockNum, blockNum, `transaction ${txId} moved from block ${blockNum} to ${tx.blockNum}`);
      }
      // hash chain, data hashes, tx index, and world state equal to a replay of every block
      await verifyLedger(ledger);
    } finally {
      await ledger.close();
    }
  } finally {
    await devnet.kill();
    await rm(dataDir, { recursive: true, force: true });
  }
});
