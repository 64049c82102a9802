// SPDX-License-Identifier: Apache-2.0
// A devnet running as its own process (`metroledger devnet up`).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { prepareDataDir } from './datadir.js';
import { DevnetError } from './errors.js';
import { readRunFile } from './runfile.js';

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
  /** Settles when the process exits (e.g. code 74 when the devnet halted on a ledger I/O failure). */
  readonly exit: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** The last 20,000 characters the process wrote to stderr. */
  stderr(): string;
  /** SIGTERM (the devnet orders and commits what it accepted), SIGKILL after 30 s; resolves on exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; resolves on exit. */
  kill(): Promise<void>;
}

/**
 * Starts `metroledger devnet up --port 0` on `dataDir` in a child process (its output appended to
 * `<dataDir>/devnet.log`) and resolves once that process has written its run file.
 * @throws {@link DevnetError} START_FAILED when it exits first or does not start in time;
 *   BAD_DATA_DIR, NOT_A_DEVNET_DIR (see prepareDataDir).
 */
export async function startDevnetProcess(opts: DevnetProcessOptions): Promise<DevnetProcess> {
  await prepareDataDir(opts.dataDir);
  const log = createWriteStream(join(opts.dataDir, 'devnet.log'), { flags: 'a' });
  const child = spawn(process.execPath, [opts.cliMain, 'devnet', 'up', '--data', opts.dataDir, '--port', '0', ...(opts.upArgs ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: process.env['CORE_CHAINCODE_LOGGING_LEVEL'] ?? 'error' },
  });
  // The log is best effort: a full disk must not take this process down with the devnet.
  log.on('error', () => undefined);
  child.stdout!.pipe(log);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
    if (!log.writableEnded) log.write(d);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const exited = exit.then(() => undefined);
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
        pid: child.pid,
        dataDir: opts.dataDir,
        endpoint: info.endpoint,
        tlsCaCertPath: info.tlsCaCertPath,
        tlsServerName: info.tlsServerName ?? 'localhost',
        alive,
        exit,
        stderr: () => stderr,
        stop: () => end('SIGTERM'),
        kill: () => end('SIGKILL'),
      };
    }
    if (!alive()) throw new DevnetError('START_FAILED', `the devnet exited before it was ready:\n${stderr.trim()}`);
    if (Date.now() > deadline) {
      await end('SIGKILL');
      throw new DevnetError(
        'START_FAILED',
        `the devnet did not start within ${(opts.startTimeoutMs ?? 90_000) / 1000} s:\n${stderr.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
