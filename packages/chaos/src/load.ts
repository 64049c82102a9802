// SPDX-License-Identifier: Apache-2.0
// The load: the notified body sets up the registry and the meters once (scenario's setUpSuiteRegistry); then meters submit
// signed readings through @hyperledger/fabric-gateway (via MetroledgerClient) until told to stop,
// and every reading a client saw committed is recorded with the block it was told.
import { readFile } from 'node:fs/promises';
import { loadMspIdentity, MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { encodeSignedReading } from '@metroledger/lr';
import { devnetAccess, devnetUserMsp, setUpSuiteRegistry } from '@metroledger/scenario';
import { generateEvent, Meter, type Rng } from '@metroledger/meter';
import type { ChaosNode } from './process';

/** txId → the block number the client was told its reading committed in. */
export type Acknowledged = Map<string, number>;

export function newMeters(prefix: string, count: number): Meter[] {
  return Array.from({ length: count }, (_, i) =>
    Meter.create({ meterId: `${prefix}-${i}`, geometry: { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 } }),
  );
}

/** What the notified body does before any reading can be accepted (scenario's suite set-up). */
export async function setUpGovernance(node: ChaosNode, dataDir: string, meters: readonly Meter[]): Promise<void> {
  const access = await devnetAccess(
    { endpoint: node.endpoint, tlsCaCertPath: node.tlsCaCertPath, tlsServerName: node.tlsServerName, dataDir },
    await packageLrChaincode(),
  );
  await setUpSuiteRegistry(access, meters, { callTimeoutMs: 120_000 });
}

export interface LoadRun {
  /** Stops the meters (after the node died or was killed) and resolves once they all returned. */
  stop(): Promise<void>;
  /** Calls that failed (refused or cut off): not acknowledged, so not owed. */
  readonly failures: () => number;
}

/** Meters submit readings to `node` until stop(); acknowledgements go into `acknowledged`. */
export async function startLoad(
  node: ChaosNode,
  dataDir: string,
  meters: readonly Meter[],
  rng: Rng,
  acknowledged: Acknowledged,
): Promise<LoadRun> {
  const connection = newGrpcConnection(node.endpoint, await readFile(node.tlsCaCertPath), node.tlsServerName);
  const owner = { mspId: 'CETSPMSP', ...(await loadMspIdentity(devnetUserMsp(dataDir, 'cetsp.example.com'))) };
  // Few retries: once the node is gone a meter must notice and stop.
  const client = new MetroledgerClient({ connection, ...owner, retry: { maxAttempts: 2, initialDelayMs: 10 }, callTimeoutMs: 120_000 });
  let stopping = false;
  let failures = 0;
  const workers = meters.map(async (m) => {
    while (!stopping) {
      const e = generateEvent(rng, { geometry: m.geometry, vehicleClass: 'car', speedKmh: rng.uniform(30, 90), invalidShare: 0 });
      const reading = encodeSignedReading(m.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: Date.now() }));
      try {
        const out = await client.submitReading(reading);
        acknowledged.set(out.transactionId, Number(out.blockNumber));
      } catch {
        failures++;
        if (!node.alive()) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    failures: () => failures,
    stop: async () => {
      stopping = true;
      await Promise.all(workers);
      client.close();
      connection.close();
    },
  };
}

/** Resolves once `acknowledged` holds `count` readings, or rejects when the node exits first. */
export async function untilAcknowledged(node: ChaosNode, acknowledged: Acknowledged, count: number): Promise<void> {
  let seen = acknowledged.size;
  let progressAt = Date.now();
  while (acknowledged.size < count) {
    if (!node.alive()) throw new Error(`the node exited with ${acknowledged.size} of ${count} readings acknowledged:\n${node.stderr()}`);
    if (acknowledged.size > seen) {
      seen = acknowledged.size;
      progressAt = Date.now();
    }
    if (Date.now() - progressAt > STALL_LIMIT_MS)
      throw new Error(
        `no reading acknowledged for ${STALL_LIMIT_MS / 1000} s (${acknowledged.size} of ${count}):\n${node.stderr().slice(-2000)}`,
      );
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A hang guard, not a speed target: no acknowledgement for this long means the network is stuck. */
const STALL_LIMIT_MS = 300_000;
