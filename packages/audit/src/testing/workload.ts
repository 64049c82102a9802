// SPDX-License-Identifier: Apache-2.0
// Test kit: a devnet with a short, honest workload run through the unmodified
// @hyperledger/fabric-gateway client: the notified body's registry, meters, their readings (and one
// transaction the peers rightly refuse).
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Gateway } from '@hyperledger/fabric-gateway';
import { encodeSignedReading, type LoopGeometry } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { DEFAULT_NETWORK, startDevnet, type Devnet } from '@metroledger/devnet';
// The devnet's own bootstrap of the registry (organizations, the LR package's real fingerprint, the model).
import { bootstrapGovernance } from '@metroledger/devnet/testing/governance';

export const WORKLOAD_GEOMETRY: LoopGeometry = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 2000 };

export interface Connection {
  readonly gateway: Gateway;
  close(): void;
}

export async function connectAs(d: Devnet, mspId: string, user: 'User1' | 'Admin' = 'User1'): Promise<Connection> {
  const u = d.users[mspId]!.find((x) => x.name.startsWith(`${user}@`))!;
  const [tlsCa, cert, key] = await Promise.all([readFile(d.tlsCaCertPath), readFile(u.certPath), readFile(u.keyPath)]);
  const client = new grpc.Client(d.endpoint, grpc.credentials.createSsl(tlsCa));
  const gateway = connect({
    client,
    identity: { mspId, credentials: cert },
    signer: signers.newPrivateKeySigner(createPrivateKey(key)),
    hash: hash.sha256,
  });
  return {
    gateway,
    close: () => {
      gateway.close();
      client.close();
    },
  };
}

export function userPaths(d: Devnet, mspId: string): { certPath: string; keyPath: string } {
  const u = d.users[mspId]!.find((x) => x.name.startsWith('User1@'))!;
  return { certPath: u.certPath, keyPath: u.keyPath };
}

/** Endorsement policies of the devnet's chaincodes (what its configuration says). */
export function devnetPolicies(): Record<string, string> {
  return Object.fromEntries(DEFAULT_NETWORK.chaincodes.map((c) => [c.name, c.endorsementPolicy]));
}

export interface Workload {
  readonly meters: number;
  readonly readingsPerMeter: number;
}

/** Starts a devnet on `dir` and runs the workload; returns the running devnet and the readings submitted. */
export async function devnetWithWorkload(dir: string, w: Workload): Promise<{ devnet: Devnet; readings: number; refusedTxId: string }> {
  const devnet = await startDevnet({ dataDir: dir, port: 0, batch: { batchTimeoutMs: 10 } });
  try {
    await bootstrapGovernance(devnet);
    const rng = newRng('audit-workload');
    const inmetro = await connectAs(devnet, 'InmetroMSP');
    const cetsp = await connectAs(devnet, 'CETSPMSP');
    try {
      const registry = inmetro.gateway.getNetwork(devnet.channelId).getContract('lr');
      const lr = cetsp.gateway.getNetwork(devnet.channelId).getContract('lr');
      const meters: Meter[] = [];
      for (let i = 0; i < w.meters; i++) {
        const meter = Meter.create({ meterId: `SP-${String(i + 1).padStart(4, '0')}`, geometry: WORKLOAD_GEOMETRY });
        meters.push(meter);
        await registry.submitTransaction(
          'registerMeter',
          JSON.stringify({
            meterId: meter.meterId,
            ownerMspId: 'CETSPMSP',
            publicKeyPem: meter.publicKeyPem,
            geometry: WORKLOAD_GEOMETRY,
            location: { text: `Av. Paulista ${100 * (i + 1)}`, lat: -23.56 + i * 0.001, lon: -46.65 + i * 0.001 },
            speedLimitKmh: 60,
            model: 'ML-1',
          }),
        );
      }
      let readings = 0;
      const t0 = Date.now();
      // Each meter submits in order (its sequence must rise); meters run concurrently.
      await Promise.all(
        meters.map(async (meter, i) => {
          for (let k = 0; k < w.readingsPerMeter; k++) {
            const ev = generateEvent(rng, { geometry: WORKLOAD_GEOMETRY, ...(k % 10 === 9 ? {} : { scenario: 'valid' as const }) });
            const signed = meter.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: t0 + k * 1000 + i });
            await lr.submitTransaction('submitReading', Buffer.from(encodeSignedReading(signed)).toString('base64'));
            readings++;
          }
        }),
      );
      // One transaction the peers must refuse: endorsed by one computing provider only.
      const meter = meters[0]!;
      const ev = generateEvent(rng, { geometry: WORKLOAD_GEOMETRY, scenario: 'valid' });
      const signed = meter.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: Date.now() });
      const tx = await lr
        .newProposal('submitReading', {
          arguments: [Buffer.from(encodeSignedReading(signed)).toString('base64')],
          endorsingOrganizations: ['LaSIGEMSP'],
        })
        .endorse();
      const commit = await tx.submit();
      await commit.getStatus();
      return { devnet, readings, refusedTxId: commit.getTransactionId() };
    } finally {
      inmetro.close();
      cetsp.close();
    }
  } catch (err) {
    await devnet.stop();
    throw err;
  }
}
