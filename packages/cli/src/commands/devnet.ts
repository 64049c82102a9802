// SPDX-License-Identifier: Apache-2.0
import { rm, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DevnetError, readRunFile, RUN_FILE, startDevnet, writeRunFile, type RunInfo, type StartDevnetOptions } from '@metroledger/devnet';

const DEFAULT_DATA_DIR = join('.metroledger', 'devnet');
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running devnet recorded in `dataDir`, if its process is still alive. */
async function running(dataDir: string): Promise<RunInfo | undefined> {
  const info = await readRunFile(dataDir);
  return info !== undefined && isAlive(info.pid) ? info : undefined;
}

interface UpOptions {
  data: string;
  ordering: string;
  port: string;
  bftReplicas?: string;
  bftDown?: string;
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
  const other = await running(dataDir);
  if (other !== undefined) throw new DevnetError('ALREADY_RUNNING', `a devnet (pid ${other.pid}) already runs on ${dataDir} at ${other.endpoint}`);

  const devnet = await startDevnet({ dataDir, port, ...ordering });
  const info: RunInfo = { pid: process.pid, endpoint: devnet.endpoint, tlsCaCertPath: devnet.tlsCaCertPath, startedAt: new Date().toISOString() };
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
  for (const [mspId, users] of Object.entries(devnet.users)) {
    for (const u of users) console.log(`${mspId.padEnd(11)} ${u.name}\n            cert ${u.certPath}\n            key  ${u.keyPath}`);
  }
  console.log('stop with Ctrl-C or `metroledger devnet down`');

  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await devnet.stop();
  await unlink(join(dataDir, RUN_FILE)).catch(() => undefined);
  console.log('devnet stopped');
}

async function down(opts: { data: string }): Promise<void> {
  const dataDir = resolve(opts.data);
  const info = await running(dataDir);
  if (info === undefined) throw new DevnetError('NOT_RUNNING', `no devnet runs on ${dataDir}`);
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isAlive(info.pid)) {
    if (Date.now() > deadline) throw new Error(`devnet pid ${info.pid} did not stop within 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`devnet (pid ${info.pid}) stopped`);
}

async function reset(opts: { data: string }): Promise<void> {
  const dataDir = resolve(opts.data);
  const info = await running(dataDir);
  if (info !== undefined) throw new DevnetError('ALREADY_RUNNING', `a devnet (pid ${info.pid}) runs on ${dataDir}: stop it first (metroledger devnet down)`);
  await rm(dataDir, { recursive: true, force: true });
  console.log(`deleted ${dataDir}`);
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
    .action(up);
  devnet
    .command('down')
    .description('stop the devnet running on the data directory')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(down);
  devnet
    .command('reset')
    .description('delete the devnet data (refused while it runs)')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(reset);
}
