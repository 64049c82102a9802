// SPDX-License-Identifier: Apache-2.0
// Connecting to the network under load and preparing it: the notified body admits the
// organizations, approves the LR software by its package fingerprint and the meter model (each step
// only when the ledger does not show it done, as `metroledger start` does), then registers the
// bench's meters.
import { generateKeyPairSync } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { MetroledgerClient, newGrpcConnection, NotifiedBodyClient } from '@metroledger/client';
import { bootstrapRegistry, gatewayTls, mainJobRegistry, METER_MODEL, planMeters, type NetworkAccess } from '@metroledger/scenario';
import { BenchError } from './errors';
import type { BenchMeter } from './readings';

export interface BenchNetwork {
  readonly connection: grpc.Client;
  /** A client of the meter owner: submits every reading. */
  readonly owner: MetroledgerClient;
  /** The first block of this bench's meter registrations: older blocks are not the bench's. */
  readonly firstBlock: number;
  close(): void;
}

/** The bench's meters: São Paulo's plan (geometries, limits, places), each with a fresh P-256 key. */
export function benchMeters(count: number, seed: string, meterIdPrefix = 'SP'): BenchMeter[] {
  return planMeters({ meters: count, seed, meterIdPrefix }).map((plan) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return {
      plan,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  });
}

/**
 * Type approval and meter registration, then a meter-owner client for the load. `retry` is the
 * owner's retry policy (overload refusals, lagging peers and lost answers are retried with backoff).
 */
export async function prepareNetwork(
  access: NetworkAccess,
  meters: readonly BenchMeter[],
  opts: { callTimeoutMs?: number; maxAttempts?: number } = {},
): Promise<BenchNetwork> {
  const connection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, gatewayTls(access));
  const common = { connection, channel: access.channel, chaincode: access.chaincode };
  const inmetro = new MetroledgerClient({ ...common, ...access.notifiedBody });
  const admin = new MetroledgerClient({ ...common, ...access.notifiedBodyAdmin });
  const owner = new MetroledgerClient({
    ...common,
    ...access.meterOwner,
    callTimeoutMs: opts.callTimeoutMs ?? 120_000,
    retry: { maxAttempts: opts.maxAttempts ?? 20, initialDelayMs: 50, maxDelayMs: 3000 },
  });
  let firstBlock = Number.MAX_SAFE_INTEGER;
  try {
    await bootstrapRegistry(admin, new NotifiedBodyClient(admin, access.notifiedBodyAdmin), mainJobRegistry(access));
    let next = 0;
    const register = async () => {
      for (let i = next++; i < meters.length; i = next++) {
        const m = meters[i]!;
        const out = await inmetro.submit('registerMeter', [
          JSON.stringify({
            meterId: m.plan.meterId,
            ownerMspId: access.meterOwner.mspId,
            publicKeyPem: m.publicKeyPem,
            geometry: m.plan.geometry,
            location: m.plan.location,
            speedLimitKmh: m.plan.speedLimitKmh,
            model: METER_MODEL,
          }),
        ]);
        if (out.blockNumber >= 0n) firstBlock = Math.min(firstBlock, Number(out.blockNumber));
      }
    };
    await Promise.all(Array.from({ length: Math.min(100, meters.length) }, register));
  } catch (err) {
    owner.close();
    connection.close();
    throw new BenchError('SETUP_FAILED', `preparing the network failed: ${(err as Error).message}`, { cause: err });
  } finally {
    inmetro.close();
    admin.close();
  }
  return {
    connection,
    owner,
    firstBlock: firstBlock === Number.MAX_SAFE_INTEGER ? 0 : firstBlock,
    close: () => {
      owner.close();
      connection.close();
    },
  };
}
