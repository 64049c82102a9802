// SPDX-License-Identifier: Apache-2.0
// A devnet's gateway and its default network's identities as a NetworkAccess: the one place that
// knows the devnet's cryptogen layout, its organizations and the LR software's endorsement policy,
// for every suite and benchmark that runs on a devnet process; and the notified body's set-up of a
// registry for a few test meters, which those suites share.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadMspIdentity, MetroledgerClient, NotifiedBodyClient, newGrpcConnection } from '@metroledger/client';
import type { MeterGeometry } from '@metroledger/meter';
import { bootstrapRegistry } from './bootstrap';
import { CASE_STUDY_ORGANIZATIONS, gatewayTls, mainJobRegistry, METER_MODEL, type NetworkAccess } from './saopaulo';

/** Where a devnet listens and keeps its data (a DevnetProcess, or the run file's fields). */
export interface DevnetLocation {
  readonly dataDir: string;
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  readonly tlsServerName: string;
}

/** The LR chaincode package the notified body approves (lifecycle's packageLrChaincode gives it). */
export interface LrPackage {
  readonly packageId: string;
  readonly codeDigest: string;
}

/** The identity files of `user` of the organization with `domain` in a devnet's data directory. */
export function devnetUserMsp(dataDir: string, domain: string, user = 'User1'): string {
  return join(dataDir, 'organizations', 'peerOrganizations', domain, 'users', `${user}@${domain}`, 'msp');
}

/** The devnet's gateway and the default network's identities (its cryptogen layout), approving `lr` as `lrPackage`. */
export async function devnetAccess(devnet: DevnetLocation, lrPackage: LrPackage): Promise<NetworkAccess> {
  const identity = (domain: string, user: 'User1' | 'Admin') => loadMspIdentity(devnetUserMsp(devnet.dataDir, domain, user));
  return {
    endpoint: devnet.endpoint,
    tlsRootCertPem: await readFile(devnet.tlsCaCertPath),
    serverNameOverride: devnet.tlsServerName,
    notifiedBody: { mspId: 'InmetroMSP', ...(await identity('inmetro.example.com', 'User1')) },
    notifiedBodyAdmin: { mspId: 'InmetroMSP', ...(await identity('inmetro.example.com', 'Admin')) },
    meterOwner: { mspId: 'CETSPMSP', ...(await identity('cetsp.example.com', 'User1')) },
    organizations: CASE_STUDY_ORGANIZATIONS,
    lrSoftware: {
      chaincodeName: 'lr',
      version: '1.0',
      packageId: lrPackage.packageId,
      sourceSha256: lrPackage.codeDigest,
      endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    },
  };
}

/** A meter the notified body registers for a suite: its id, public key and loop geometry. */
export interface SuiteMeter {
  readonly meterId: string;
  readonly publicKeyPem: string;
  readonly geometry: MeterGeometry;
}

/** Where the suites' meters stand and the speed limit they enforce (readings above 60 km/h are violations). */
export const SUITE_METER_SITE = Object.freeze({ location: { text: 'test site', lat: -23.5, lon: -46.6 }, speedLimitKmh: 60 });

/**
 * As the notified body: brings the registry to what meters need ({@link mainJobRegistry}, skipping
 * what is in place) and registers `meters` ({@link METER_MODEL}, owned by the meter owner, at
 * {@link SUITE_METER_SITE}).
 */
export async function setUpSuiteRegistry(
  access: NetworkAccess,
  meters: readonly SuiteMeter[],
  opts: { readonly callTimeoutMs?: number } = {},
): Promise<void> {
  const connection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, gatewayTls(access));
  const common = {
    connection,
    channel: access.channel,
    chaincode: access.chaincode,
    ...(opts.callTimeoutMs !== undefined && { callTimeoutMs: opts.callTimeoutMs }),
  };
  const admin = new MetroledgerClient({ ...common, ...access.notifiedBodyAdmin });
  const inmetro = new MetroledgerClient({ ...common, ...access.notifiedBody });
  try {
    await bootstrapRegistry(admin, new NotifiedBodyClient(admin, access.notifiedBodyAdmin), mainJobRegistry(access));
    for (const m of meters) {
      await inmetro.registerMeter({
        meterId: m.meterId,
        ownerMspId: access.meterOwner.mspId,
        publicKeyPem: m.publicKeyPem,
        geometry: m.geometry,
        ...SUITE_METER_SITE,
        model: METER_MODEL,
      });
    }
  } finally {
    admin.close();
    inmetro.close();
    connection.close();
  }
}
