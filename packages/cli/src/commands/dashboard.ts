// SPDX-License-Identifier: Apache-2.0
// `metroledger dashboard`: the live web view of a channel of any Fabric network (or a devnet),
// through the gateway (evaluate queries) and Deliver (blocks), with a channel member's identity.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fetchHealth, readRunFile } from '@metroledger/devnet';
import type { HealthProbe } from '@metroledger/dashboard';
import { devnetDirOf, openClient, withConnectionOptions, type ConnectionOptions } from './connection';

interface DashboardCliOptions extends ConnectionOptions {
  host: string;
  port: string;
  operations: string[];
  auditReport?: string;
  backfill: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

async function run(opts: DashboardCliOptions): Promise<void> {
  // Loaded here, not with the CLI: every other command (devnet up included) starts without it.
  const { channelOfClient, DEVNET_AUDIT_REPORT, healthzProbe, startDashboard } =
    require('@metroledger/dashboard') as typeof import('@metroledger/dashboard');
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, not ${opts.port}`);
  const backfill = Number(opts.backfill);
  if (!Number.isInteger(backfill) || backfill < 0) throw new Error(`--backfill must be a non-negative integer, not ${opts.backfill}`);
  const health: HealthProbe[] = opts.operations.map((url) => healthzProbe(url.replace(/^https?:\/\//, ''), url));
  let auditReportPath = opts.auditReport;
  let endpoint = opts.endpoint;
  let height: (() => Promise<number | undefined>) | undefined;
  const devnetDir = devnetDirOf(opts); // --devnet, or the default data directory when no option names another network
  if (devnetDir !== undefined) {
    const dir = resolve(devnetDir);
    const info = await readRunFile(dir);
    endpoint ??= info?.endpoint;
    auditReportPath ??= join(dir, DEVNET_AUDIT_REPORT);
    const ops = info?.operationsEndpoint;
    if (ops !== undefined) {
      health.push(healthzProbe('devnet', ops));
      height = async () => (await fetchHealth(ops))?.health.height;
    }
  }
  const mspId = opts.mspId ?? 'InmetroMSP';
  const client = await openClient(opts, 'InmetroMSP');
  let dashboard;
  try {
    dashboard = await startDashboard({
      channel: channelOfClient(client, { ...(endpoint !== undefined && { endpoint }), mspId, ...(height !== undefined && { height }) }),
      host: opts.host,
      port,
      health,
      backfillBlocks: backfill,
      follow: 'start',
      ...(auditReportPath !== undefined && { auditReportPath }),
    });
  } catch (err) {
    client.close();
    throw err;
  }
  console.log(`dashboard: ${dashboard.url}  (channel ${opts.channel} through ${endpoint ?? 'the gateway'} as ${mspId})`);
  if (!LOOPBACK.has(opts.host)) console.log(`warning: listening on ${opts.host}: anyone who can reach it sees the dashboard (read-only)`);
  if (auditReportPath !== undefined)
    console.log(`last audit: ${auditReportPath} (write it with \`metroledger audit --json > ${auditReportPath}\`)`);
  console.log('stop with Ctrl-C');
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await dashboard.stop();
  client.close();
}

/** `metroledger dashboard`. */
export function registerDashboardCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('dashboard')
      .description(
        'serve a live web view of a channel: network, throughput and latency, blocks and measurements down to the raw signals, meters and their statistics, the registry, the last audit',
      )
      .option('--host <address>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
      .option('--port <n>', 'port to listen on (0: any free port; the URL is printed)', '0')
      .option('--operations <url>', "a node's operations service (http://host:port) whose /healthz to show (repeatable)", collect, [])
      .option(
        '--audit-report <file>',
        'JSON report of `metroledger audit --json` to show as the last audit (default with --devnet: <dir>/audit-report.json)',
      )
      .option('--backfill <blocks>', 'blocks read back from before the start', '50'),
    { mspId: 'InmetroMSP', user: 'User1' },
  ).action((opts: DashboardCliOptions) => run(opts));
}
