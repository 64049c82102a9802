// SPDX-License-Identifier: Apache-2.0
// A devnet in its own process (`metroledger devnet up`), so that the network and the load
// generator each have a core and their CPU can be told apart, as `metroledger start` does.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchError } from './errors';

export type Ordering = 'solo' | 'bft';

export interface DevnetProcessOptions {
  /** The metroledger CLI entry point (`packages/cli/dist/main.js`), run with this Node. */
  readonly cliMain: string;
  /** A fresh data directory. */
  readonly dataDir: string;
  readonly ordering: Ordering;
  /** BFT consenters (default: the devnet's, 4). */
  readonly bftReplicas?: number;
  /** Give up waiting for the gateway after this long. Default 90 s. */
  readonly startTimeoutMs?: number;
}

export interface DevnetProcess {
  readonly pid: number;
  readonly dataDir: string;
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  readonly ordering: Ordering;
  /** Whether the process is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startDevnetProcess(opts: DevnetProcessOptions): Promise<DevnetProcess> {
  await mkdir(opts.dataDir, { recursive: true });
  const log = createWriteStream(join(opts.dataDir, 'devnet.log'));
  const args = [opts.cliMain, 'devnet', 'up', '--data', opts.dataDir, '--port', '0', '--ordering', opts.ordering];
  if (opts.ordering === 'bft' && opts.bftReplicas !== undefined) args.push('--bft-replicas', String(opts.bftReplicas));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: process.env['CORE_CHAINCODE_LOGGING_LEVEL'] ?? 'error' },
  });
  child.stdout!.pipe(log);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
    log.write(d);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (alive()) child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timeout);
    log.end();
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
  for (;;) {
    const info = await readFile(join(opts.dataDir, 'devnet.json'), 'utf8').then(
      (t) => JSON.parse(t) as { pid: number; endpoint: string; tlsCaCertPath: string },
      () => undefined,
    );
    if (info !== undefined && info.pid === child.pid) {
      return { pid: child.pid, dataDir: opts.dataDir, endpoint: info.endpoint, tlsCaCertPath: info.tlsCaCertPath, ordering: opts.ordering, alive, stop };
    }
    if (!alive()) throw new BenchError('DEVNET_FAILED', `the devnet exited before it was ready:\n${stderr.trim()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new BenchError('DEVNET_FAILED', `the devnet did not start in time:\n${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
