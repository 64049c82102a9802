// SPDX-License-Identifier: Apache-2.0
// The dashboard of an embedded devnet (what `metroledger devnet up` serves): the same dashboard as
// against any Fabric network, connected through the devnet's gateway as the notified body's user,
// plus what only the devnet can tell (its health, each peer's packages, each BFT replica's state).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Devnet } from '@metroledger/devnet';
import { MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { channelOfClient } from './channel.js';
import { startDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
import { DashboardError } from './errors.js';
import { functionProbe } from './health.js';
import type { NetworkExtras } from './model.js';

/** The parts of a running devnet the dashboard uses. */
export type DevnetView = Pick<
  Devnet,
  | 'endpoint'
  | 'tlsCaCertPath'
  | 'tlsServerName'
  | 'tlsClientAuth'
  | 'channelId'
  | 'dataDir'
  | 'users'
  | 'health'
  | 'bft'
  | 'installedPackages'
>;

export interface DevnetDashboardOptions extends Pick<DashboardOptions, 'host' | 'port' | 'limits' | 'follow' | 'backfillBlocks' | 'title'> {
  /** Default `<dataDir>/audit-report.json`. */
  readonly auditReportPath?: string;
  /** The channel identity. Default InmetroMSP's User1 (the notified body reads every registry). */
  readonly mspId?: string;
}

/** The file the devnet's dashboard reads the last audit from: `metroledger audit --json > <data>/audit-report.json`. */
export const DEVNET_AUDIT_REPORT = 'audit-report.json';

export async function startDevnetDashboard(devnet: DevnetView, opts: DevnetDashboardOptions = {}): Promise<Dashboard> {
  const mspId = opts.mspId ?? 'InmetroMSP';
  const user = devnet.users[mspId]?.find((u) => u.name.startsWith('User1@')) ?? devnet.users[mspId]?.[0];
  if (user === undefined) throw new DashboardError('BAD_OPTION', `the devnet has no user of ${mspId}`);
  const [tlsCa, cert, key] = await Promise.all([readFile(devnet.tlsCaCertPath), readFile(user.certPath), readFile(user.keyPath)]);
  const clientTls = devnet.tlsClientAuth
    ? { clientCertPem: await readFile(user.tlsCertPath), clientKeyPem: await readFile(user.tlsKeyPath) }
    : {};
  const connection = newGrpcConnection(devnet.endpoint, tlsCa, { serverName: devnet.tlsServerName, ...clientTls });
  const client = new MetroledgerClient({
    connection,
    mspId,
    certificatePem: cert,
    privateKeyPem: key,
    channel: devnet.channelId,
    commitNotification: 'commitStatus',
    retry: { maxAttempts: 2 },
    callTimeoutMs: 15_000,
  });
  const extras = async (): Promise<NetworkExtras> => {
    const bft = devnet.bft;
    if (bft === undefined) return { peers: devnet.installedPackages };
    const [heights, views, running] = await Promise.all([
      bft.replicaHeights(),
      bft.replicaViews(),
      Promise.all(Array.from({ length: bft.replicas }, (_, i) => bft.isReplicaRunning(i))),
    ]);
    return {
      peers: devnet.installedPackages,
      replicas: Array.from({ length: bft.replicas }, (_, i) => ({
        running: running[i]!,
        ...(heights[i] !== undefined && { height: heights[i] }),
        ...(views[i] !== undefined && { view: views[i] }),
      })),
    };
  };
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({
      ...opts,
      channel: channelOfClient(client, { endpoint: devnet.endpoint, mspId, height: async () => devnet.health().height }),
      health: [
        functionProbe('devnet', () => {
          const h = devnet.health();
          if (h.status === 'SERVING') return { status: 'OK', detail: `serving, ledger height ${h.height}` };
          if (h.status === 'HALTED') return { status: 'HALTED', detail: h.halt?.message ?? 'halted' };
          return { status: 'FAILED', detail: h.status.toLowerCase() };
        }),
      ],
      extras,
      auditReportPath: opts.auditReportPath ?? join(devnet.dataDir, DEVNET_AUDIT_REPORT),
    });
  } catch (err) {
    client.close();
    connection.close();
    throw err;
  }
  return {
    url: dashboard.url,
    port: dashboard.port,
    follow: () => dashboard.follow(),
    async stop() {
      await dashboard.stop();
      client.close();
      connection.close();
    },
  };
}
