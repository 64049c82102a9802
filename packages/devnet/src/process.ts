// SPDX-License-Identifier: Apache-2.0
// A devnet running as its own process (`metroledger devnet up`), and the run file through which
// that process tells others where it listens.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevnetError } from './errors.js';

/** The run file `devnet up` writes in its data directory once the gateway listens. */
export const RUN_FILE = 'devnet.json';

export interface RunInfo {
  readonly pid: number;
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  /** The host name in the gateway's TLS certificate, to connect by IP without naming the IP as TLS server name. */
  readonly tlsServerName?: string;
  /** Whether the gateway requires client TLS certificates (mutual TLS). */
  readonly tlsClientAuth?: boolean;
  readonly startedAt: string;
}

/** The run file of `dataDir`, or undefined while it is absent (or unreadable). */
export async function readRunFile(dataDir: string): Promise<RunInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, RUN_FILE), 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
}

/** Writes the run file whole and then renames it, so that a reader never sees half a file. */
export async function writeRunFile(dataDir: string, info: RunInfo): Promise<void> {
  const tmp = join(dataDir, `${RUN_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(info, null, 2) + '\n');
  await rename(tmp, join(dataDir, RUN_FILE));
}

export interface DevnetProcessOptions {
  /** The metroledger CLI entry point (`packages/cli/dist/main.js`), run with this Node. */
  readonly cliMain: string;
  readonly dataDir: string;
  /** More `devnet up` arguments, e.g. `['--ordering', 'bft']`. */
  readonly upArgs?: readonly string[];
  /** Give up waiting for the gateway after this long. Default 90 s. */
  readonly startTimeoutMs?: number;
}

export interface DevnetProcess {
  readonly pid: number;
  readonly dataDir: string;
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  /** The TLS server name for the endpoint (the gateway certificate's host name). */
  readonly tlsServerName: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGTERM (the devnet orders and commits what it accepted), SIGKILL after 30 s; resolves on exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; resolves on exit. */
  kill(): Promise<void>;
}

/**
 * Starts `metroledger devnet up --port 0` on `dataDir` in a child process (its output appended to
 * `<dataDir>/devnet.log`) and resolves once that process has written its run file.
 * @throws {@link DevnetError} START_FAILED when it exits first or does not start in time.
 */
export async function startDevnetProcess(opts: DevnetProcessOptions): Promise<DevnetProcess> {
  await mkdir(opts.dataDir, { recursive: true });
  const log = createWriteStream(join(opts.dataDir, 'devnet.log'), { flags: 'a' });
  const child = spawn(process.execPath, [opts.cliMain, 'devnet', 'up', '--data', opts.dataDir, '--port', '0', ...(opts.upArgs ?? [])], {
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
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (alive()) child.kill(signal);
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timeout);
    if (!log.writableEnded) log.end();
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
  for (;;) {
    const info = await readRunFile(opts.dataDir);
    if (info !== undefined && info.pid === child.pid) {
      return {
        // devnet certificates also name localhost, for run files written before tlsServerName existed
        pid: child.pid, dataDir: opts.dataDir, endpoint: info.endpoint, tlsCaCertPath: info.tlsCaCertPath, tlsServerName: info.tlsServerName ?? 'localhost',
        alive, stop: () => end('SIGTERM'), kill: () => end('SIGKILL'),
      };
    }
    if (!alive()) throw new DevnetError('START_FAILED', `the devnet exited before it was ready:\n${stderr.trim()}`);
    if (Date.now() > deadline) {
      await end('SIGKILL');
      throw new DevnetError('START_FAILED', `the devnet did not start within ${(opts.startTimeoutMs ?? 90_000) / 1000} s:\n${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
