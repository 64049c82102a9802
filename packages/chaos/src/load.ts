// SPDX-License-Identifier: Apache-2.0
// The load: the notified body bootstraps the registry (scenario's bootstrapRegistry) and registers the meters once; then meters submit
// signed readings through @hyperledger/fabric-gateway (via MetroledgerClient) until told to stop,
// and every reading a client saw committed is recorded with the block it was told.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadMspIdentity, MetroledgerClient, NotifiedBodyClient, newGrpcConnection } from '@metroledger/client';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { encodeSignedReading } from '@metroledger/lr';
import { bootstrapRegistry } from '@metroledger/scenario';
import { generateEvent, Meter, type Rng } from '@metroledger/meter';
import type { ChaosNode } from './process';

/** txId → the block number the client was told its reading committed in. */
export type Acknowledged = Map<string, number>;

export const userMsp = (dataDir: string, domain: string, name = 'User1') =>
  join(dataDir, 'organizations', 'peerOrganizations', domain, 'users', `${name}@${domain}`, 'msp');

export function newMeters(prefix: string, count: number): Meter[] {
  return Array.from({ length: count }, (_, i) => Meter.create({ meterId: `${prefix}-${i}`, geometry: { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 } }));
}

/** What the notified body does before any reading can be accepted. */
export async function setUpGovernance(node: ChaosNode, dataDir: string, meters: readonly Meter[]): Promise<void> {
  const connection = newGrpcConnection(node.endpoint, await readFile(node.tlsCaCertPath), node.tlsServerName);
  const adminId = { mspId: 'InmetroMSP', ...(await loadMspIdentity(userMsp(dataDir, 'inmetro.example.com', 'Admin'))) };
  const admin = new MetroledgerClient({ connection, ...adminId, callTimeoutMs: 120_000 });
  const inmetro = new MetroledgerClient({ connection, mspId: 'InmetroMSP', ...(await loadMspIdentity(userMsp(dataDir, 'inmetro.example.com'))), callTimeoutMs: 120_000 });
  try {
    const lr = await packageLrChaincode();
    await bootstrapRegistry(admin, new NotifiedBodyClient(admin, adminId), {
      organizations: [
        { mspId: 'LaSIGEMSP', name: 'LaSIGE', roles: ['COMPUTING_PROVIDER'] },
        { mspId: 'PUCPRMSP', name: 'PUCPR', roles: ['COMPUTING_PROVIDER'] },
        { mspId: 'CETSPMSP', name: 'CET-SP', roles: ['METER_OWNER'] },
      ],
      lrSoftware: { chaincodeName: 'lr', version: '1.0', packageId: lr.packageId, sourceSha256: lr.codeDigest, endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')" },
      meterModel: { model: 'DL-2', manufacturer: 'chaos', chaincodeName: 'lr', approvedLrVersions: ['1.0'], certificateRef: 'chaos' },
    });
    for (const m of meters) {
      await inmetro.registerMeter({
        meterId: m.meterId, ownerMspId: 'CETSPMSP', publicKeyPem: m.publicKeyPem, geometry: m.geometry,
        location: { text: 'chaos', lat: -23.5, lon: -46.6 }, speedLimitKmh: 60, model: 'DL-2',
      });
    }
  } finally {
    admin.close();
    inmetro.close();
    connection.close();
  }
}

export interface LoadRun {
  /** Stops the meters (after the node died or was killed) and resolves once they all returned. */
  stop(): Promise<void>;
  /** Calls that failed (refused or cut off): not acknowledged, so not owed. */
  readonly failures: () => number;
}

/** Meters submit readings to `node` until stop(); acknowledgements go into `acknowledged`. */
export async function startLoad(node: ChaosNode, dataDir: string, meters: readonly Meter[], rng: Rng, acknowledged: Acknowledged): Promise<LoadRun> {
  const connection = newGrpcConnection(node.endpoint, await readFile(node.tlsCaCertPath), node.tlsServerName);
  const owner = { mspId: 'CETSPMSP', ...(await loadMspIdentity(userMsp(dataDir, 'cetsp.example.com'))) };
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
    if (acknowledged.size > seen) { seen = acknowledged.size; progressAt = Date.now(); }
    if (Date.now() - progressAt > STALL_LIMIT_MS) throw new Error(`no reading acknowledged for ${STALL_LIMIT_MS / 1000} s (${acknowledged.size} of ${count}):\n${node.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A hang guard, not a speed target: no acknowledgement for this long means the network is stuck. */
const STALL_LIMIT_MS = 300_000;
