// SPDX-License-Identifier: Apache-2.0
// Connecting to the devnet process and preparing it for load: the notified body admits the
// organizations, approves the LR software by its package fingerprint and the meter model, then
// registers the bench's meters (as `metroledger start` does for São Paulo).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { loadMspIdentity, MetroledgerClient, newGrpcConnection, NotifiedBodyClient } from '@metroledger/client';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { generateKeyPairSync } from 'node:crypto';
import { METER_MODEL, planMeters } from '@metroledger/scenario';
import type { DevnetProcess } from '@metroledger/devnet';
import { BenchError } from './errors';
import type { BenchMeter } from './readings';

export interface BenchNetwork {
  readonly connection: grpc.Client;
  /** A client of the meter owner (CET-SP): submits every reading. */
  readonly owner: MetroledgerClient;
  close(): void;
}

/** Identities in the devnet's cryptogen layout. */
async function identity(dataDir: string, domain: string, user: 'User1' | 'Admin') {
  return loadMspIdentity(join(dataDir, 'organizations', 'peerOrganizations', domain, 'users', `${user}@${domain}`, 'msp'));
}

/** The bench's meters: São Paulo's plan (geometries, limits, places), each with a fresh P-256 key. */
export function benchMeters(count: number, seed: string): BenchMeter[] {
  return planMeters({ meters: count, seed }).map((plan) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return {
      plan,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  });
}

/**
 * Type approval and meter registration on a fresh devnet, then a meter-owner client for the load.
 * `retry` is the owner's retry policy (overload refusals are retried with backoff).
 */
export async function prepareNetwork(devnet: DevnetProcess, meters: readonly BenchMeter[], opts: { callTimeoutMs?: number; maxAttempts?: number } = {}): Promise<BenchNetwork> {
  const connection = newGrpcConnection(devnet.endpoint, await readFile(devnet.tlsCaCertPath), devnet.tlsServerName);
  const common = { connection };
  const inmetroUser = await identity(devnet.dataDir, 'inmetro.example.com', 'User1');
  const inmetroAdminId = await identity(devnet.dataDir, 'inmetro.example.com', 'Admin');
  const cetsp = await identity(devnet.dataDir, 'cetsp.example.com', 'User1');
  const inmetro = new MetroledgerClient({ ...common, mspId: 'InmetroMSP', ...inmetroUser });
  const admin = new MetroledgerClient({ ...common, mspId: 'InmetroMSP', ...inmetroAdminId });
  const owner = new MetroledgerClient({
    ...common, mspId: 'CETSPMSP', ...cetsp,
    callTimeoutMs: opts.callTimeoutMs ?? 120_000,
    retry: { maxAttempts: opts.maxAttempts ?? 20, initialDelayMs: 50, maxDelayMs: 3000 },
  });
  try {
    const notifiedBody = new NotifiedBodyClient(admin, { mspId: 'InmetroMSP', ...inmetroAdminId });
    for (const [mspId, name, role] of [['LaSIGEMSP', 'LaSIGE', 'COMPUTING_PROVIDER'], ['PUCPRMSP', 'PUCPR', 'COMPUTING_PROVIDER'], ['CETSPMSP', 'CET-SP', 'METER_OWNER']] as const) {
      await notifiedBody.registerOrganization(mspId, name, [role]);
    }
    const lrPackage = await packageLrChaincode();
    await notifiedBody.approveLrSoftware({
      chaincodeName: 'lr', version: '1.0', packageId: lrPackage.packageId, sourceSha256: lrPackage.codeDigest,
      endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    });
    await notifiedBody.approveMeterModel({
      model: METER_MODEL, manufacturer: 'metroledger reference design', chaincodeName: 'lr',
      approvedLrVersions: ['1.0'], certificateRef: 'Inmetro type-approval certificate (simulated) DL-2',
    });
    let next = 0;
    const register = async () => {
      for (let i = next++; i < meters.length; i = next++) {
        const m = meters[i]!;
        await inmetro.registerMeter({
          meterId: m.plan.meterId, ownerMspId: 'CETSPMSP', publicKeyPem: m.publicKeyPem, geometry: m.plan.geometry,
          location: m.plan.location, speedLimitKmh: m.plan.speedLimitKmh, model: METER_MODEL,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(100, meters.length) }, register));
  } catch (err) {
    owner.close();
    connection.close();
    throw new BenchError('SETUP_FAILED', `preparing the devnet failed: ${(err as Error).message}`, { cause: err });
  } finally {
    inmetro.close();
    admin.close();
  }
  return { connection, owner, close: () => { owner.close(); connection.close(); } };
}
