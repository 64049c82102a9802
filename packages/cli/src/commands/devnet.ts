// SPDX-License-Identifier: Apache-2.0
import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  DEVNET_HALT_EXIT_CODE,
  DevnetError,
  describeHalt,
  fetchHealth,
  isProcessAlive,
  prepareDataDir,
  readRunFile,
  resetDevnetData,
  RUN_FILE,
  runningDevnet,
  startDevnet,
  writeRunFile,
  type DevnetHalt,
  type RunInfo,
  type StartDevnetOptions,
} from '@metroledger/devnet';
import type { Dashboard } from '@metroledger/dashboard';

const DEFAULT_DATA_DIR = join('.metroledger', 'devnet');

interface UpOptions {
  data: string;
  ordering: string;
  port: string;
  bftReplicas?: string;
  bftDown?: string;
  tlsClientAuth?: boolean;
  dashboard: boolean;
  dashboardPort: string;
}

/** `--ordering`, `--bft-replicas`, `--bft-down` as startDevnet options (shared with `metroledger start`). */
export function orderingOptions(opts: { ordering: string; bftReplicas?: string; bftDown?: string }): Pick<StartDevnetOptions, 'ordering' | 'bftReplicas' | 'bftReplicasDown'> {
  if (opts.ordering !== 'solo' && opts.ordering !== 'bft') throw new DevnetError('BAD_CONFIG', `--ordering must be solo or bft, not ${opts.ordering}`);
  const out: { ordering: 'solo' | 'bft'; bftReplicas?: number; bftReplicasDown?: number[] } = { ordering: opts.ordering };
  if (opts.bftReplicas !== undefined) {
    const n = Number(opts.bftReplicas);
    if (!Number.isInteger(n)) throw new DevnetError('BAD_CONFIG', `--bft-replicas must be an integer, not ${opts.bftReplicas}`); // the range: startDevnet
    out.bftReplicas = n;
  }
  if (opts.bftDown !== undefined && opts.bftDown !== '') {
    const ids = opts.bftDown.split(',').map((x) => Number(x.trim()));
    if (ids.some((i) => !Number.isInteger(i) || i < 0)) throw new DevnetError('BAD_CONFIG', `--bft-down takes replica indexes like 3 or 0,1, not ${opts.bftDown}`);
    out.bftReplicasDown = ids;
  }
  return out;
}

async function up(opts: UpOptions): Promise<void> {
  const dataDir = resolve(opts.data);
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, not ${opts.port}`);
  const ordering = orderingOptions(opts);
  const dashboardPort = Number(opts.dashboardPort);
  if (!Number.isInteger(dashboardPort) || dashboardPort < 0 || dashboardPort > 65535) throw new Error(`--dashboard-port must be an integer 0..65535, not ${opts.dashboardPort}`);
  await prepareDataDir(dataDir); // before reading a run file: --data may be a file, or someone else's directory
  const other = await runningDevnet(dataDir);
  if (other !== undefined) throw new DevnetError('ALREADY_RUNNING', `a devnet (pid ${other.pid}) already runs on ${dataDir} at ${other.endpoint}`);

  const devnet = await startDevnet({ dataDir, port, ...ordering, tlsClientAuth: opts.tlsClientAuth === true }).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'PORT_IN_USE') (err as Error).message += ': choose another with --port N (0 lets the system pick)';
    throw err;
  });
  let info: RunInfo = {
    pid: process.pid,
    endpoint: devnet.endpoint,
    tlsCaCertPath: devnet.tlsCaCertPath,
    tlsServerName: devnet.tlsServerName,
    tlsClientAuth: devnet.tlsClientAuth,
    startedAt: new Date().toISOString(),
    operationsEndpoint: devnet.operationsEndpoint,
  };
  await writeRunFile(dataDir, info);

  console.log(`devnet up: channel ${devnet.channelId}, ledger height ${devnet.height()}${devnet.generatedCrypto ? ', new crypto material' : ''}`);
  if (devnet.bft !== undefined) {
    const down = ordering.bftReplicasDown ?? [];
    console.log(`ordering:         BFT, ${devnet.bft.replicas} consenters (Orderer1MSP..Orderer${devnet.bft.replicas}MSP), f = ${devnet.bft.f}${down.length > 0 ? `, replica(s) ${down.join(',')} down` : ''}`);
  } else {
    console.log('ordering:         solo');
  }
  console.log(`gateway endpoint: ${devnet.endpoint}`);
  console.log(`TLS CA:           ${devnet.tlsCaCertPath}`);
  console.log(`health:           ${devnet.operationsEndpoint}/healthz`);
  console.log(`TLS server name:  ${devnet.tlsServerName}`);
  console.log(`client TLS:       ${devnet.tlsClientAuth ? "required (mutual TLS): each user's tls/client.crt and client.key" : 'not required (--tls-client-auth requires it)'}`);
  for (const [mspId, users] of Object.entries(devnet.users)) {
    for (const u of users) {
      const tls = devnet.tlsClientAuth ? `\n            tls  ${u.tlsCertPath}\n                 ${u.tlsKeyPath}` : '';
      console.log(`${mspId.padEnd(11)} ${u.name}\n            cert ${u.certPath}\n            key  ${u.keyPath}${tls}`);
    }
  }
  // The live dashboard starts once the devnet is ready (its run file written), so it never delays it; it reads
  // nothing until someone opens it, and one that cannot start leaves the devnet running.
  let dashboard: Dashboard | undefined;
  if (opts.dashboard) {
    const { startDevnetDashboard } = require('@metroledger/dashboard') as typeof import('@metroledger/dashboard');
    dashboard = await startDevnetDashboard(devnet, { port: dashboardPort }).catch((err: Error) => (console.error(`metroledger: dashboard not started: ${err.message}`), undefined));
    if (dashboard !== undefined) {
      console.log(`dashboard:        ${dashboard.url}`);
      info = { ...info, dashboardUrl: dashboard.url };
      await writeRunFile(dataDir, info);
    }
  }
  console.log('stop with Ctrl-C or `metroledger devnet down`');

  const halt = await new Promise<DevnetHalt | undefined>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      offHalt();
      done(undefined);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const offHalt = devnet.onHalt((h) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(h);
    });
  });
  if (halt !== undefined) return haltAndExit(devnet, dataDir, info, halt);
  await dashboard?.stop();
  await devnet.stop();
  await unlink(join(dataDir, RUN_FILE)).catch(() => undefined);
  console.log('devnet stopped');
}

/**
 * Fail-stop: the ledger could not commit a block (a full or failing disk). Say what failed and
 * what to do, record it in the run file if the disk still allows, and exit with EX_IOERR.
 */
async function haltAndExit(devnet: { stop(): Promise<void> }, dataDir: string, info: RunInfo, halt: DevnetHalt): Promise<never> {
  console.error(`metroledger: ${describeHalt(halt, dataDir)}`);
  await writeRunFile(dataDir, { ...info, halt }).catch(() => undefined);
  // Closing cleanly is a courtesy: recovery does not need it, so it may not hold the exit up.
  await Promise.race([devnet.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
  process.exit(DEVNET_HALT_EXIT_CODE);
}

async function down(opts: { data: string }): Promise<void> {
  const dataDir = resolve(opts.data);
  const info = await runningDevnet(dataDir);
  if (info === undefined) throw new DevnetError('NOT_RUNNING', `no devnet runs on ${dataDir}`);
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isProcessAlive(info.pid)) {
    if (Date.now() > deadline) throw new Error(`devnet pid ${info.pid} did not stop within 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`devnet (pid ${info.pid}) stopped`);
}

async function reset(opts: { data: string }): Promise<void> {
  const dataDir = resolve(opts.data);
  await resetDevnetData(dataDir);
  console.log(`deleted the devnet data directory ${dataDir}`);
}

/** Exit status of `devnet status`: 0 serving, 1 not running, 3 halted or unhealthy. */
async function status(opts: { data: string; json?: boolean }): Promise<void> {
  const dataDir = resolve(opts.data);
  const info = await readRunFile(dataDir);
  const alive = info !== undefined && isProcessAlive(info.pid);
  const answer = alive && info.operationsEndpoint !== undefined ? await fetchHealth(info.operationsEndpoint) : undefined;
  const state = answer?.health.status ?? (info?.halt !== undefined ? 'HALTED' : alive ? 'UNKNOWN' : 'NOT_RUNNING');
  const halt = answer?.health.halt ?? info?.halt;
  const report = {
    dataDir,
    status: state,
    ...(info !== undefined && alive && { pid: info.pid, endpoint: info.endpoint, startedAt: info.startedAt, ...(info.dashboardUrl !== undefined && { dashboardUrl: info.dashboardUrl }) }),
    ...(answer !== undefined && { height: answer.health.height }),
    ...(halt !== undefined && { halt }),
  };
  if (opts.json === true) console.log(JSON.stringify(report, null, 2));
  else if (halt !== undefined) console.log(describeHalt(halt, dataDir));
  else if (state === 'SERVING') console.log(`devnet SERVING on ${dataDir}: pid ${info!.pid}, gateway ${info!.endpoint}, ledger height ${answer!.health.height}${info!.dashboardUrl !== undefined ? `, dashboard ${info!.dashboardUrl}` : ''}`);
  else if (state === 'NOT_RUNNING') console.log(`no devnet runs on ${dataDir}${info !== undefined ? ` (pid ${info.pid} of its run file is gone: it crashed or was killed; \`devnet up\` recovers the ledger)` : ''}`);
  else console.log(`devnet pid ${info!.pid} runs on ${dataDir} but its health service does not answer`);
  process.exitCode = state === 'SERVING' ? 0 : state === 'NOT_RUNNING' ? 1 : 3;
}

/** `metroledger devnet up|down|reset`: the embedded Fabric network as a local service. */
export function registerDevnetCommands(program: Command): void {
  const devnet = program.command('devnet').description('the embedded Fabric network (gateway, peers, orderer, ledger in one process)');
  devnet
    .command('up')
    .description('run the devnet in the foreground until SIGINT/SIGTERM')
    .option('--data <dir>', 'data directory (crypto material and ledger)', DEFAULT_DATA_DIR)
    .option('--ordering <type>', 'ordering service: solo, or bft (n consenters of n orderer organizations)', 'solo')
    .option('--bft-replicas <n>', 'BFT consenters, 4..31; n tolerates f = floor((n-1)/3) faulty (default 4)')
    .option('--bft-down <ids>', 'BFT replicas (0-based, comma-separated, at most f) left stopped, to measure a degraded service')
    .option('--port <n>', 'gateway port', '7051')
    .option('--tls-client-auth', "mutual TLS: clients must present a TLS certificate from a channel MSP's TLS CA (as Fabric's peer.tls.clientAuthRequired)")
    .option('--dashboard-port <n>', 'port of the live dashboard on 127.0.0.1 (0: any free port; the URL is printed)', '0')
    .option('--no-dashboard', 'serve no dashboard')
    .action(up);
  devnet
    .command('down')
    .description('stop the devnet running on the data directory')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(down);
  devnet
    .command('reset')
    .description('delete a devnet data directory (only one a devnet created; refused while it runs, an error if it does not exist)')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(reset);
  devnet
    .command('status')
    .description('whether a devnet runs on the data directory and is healthy (exit 0 serving, 1 not running, 3 halted)')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option('--json', 'machine-readable output')
    .action(status);
}
