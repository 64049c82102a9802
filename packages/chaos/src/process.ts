// SPDX-License-Identifier: Apache-2.0
// Starts, kills and stops chaos nodes (node.ts) as child processes.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { prepareDataDir } from '@metroledger/devnet';
import type { ChaosNodeOptions } from './node';

export interface ChaosNode {
  readonly pid: number;
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  readonly tlsServerName: string;
  alive(): boolean;
  readonly exit: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** SIGKILL, as a crash would; resolves on exit. */
  kill(): Promise<void>;
  /** SIGTERM (orders and commits what was accepted); resolves on exit. */
  stop(): Promise<void>;
}

/** A hang guard, not a speed target: how long a node may take to start on a loaded machine. */
const START_LIMIT_MS = 300_000;

export async function startChaosNode(o: ChaosNodeOptions): Promise<ChaosNode> {
  await prepareDataDir(o.dataDir);
  const log = createWriteStream(join(o.dataDir, 'chaos-node.log'), { flags: 'a' });
  log.on('error', () => undefined);
  const child = spawn(process.execPath, [join(__dirname, 'node.js'), JSON.stringify(o)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
    if (!log.writableEnded) log.write(d);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const end = async (signal: NodeJS.Signals) => {
    if (alive()) child.kill(signal);
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exit;
    clearTimeout(guard);
    if (!log.writableEnded) log.end();
  };
  const ready = await new Promise<{ endpoint: string; tlsCaCertPath: string; tlsServerName: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chaos node did not start within ${START_LIMIT_MS / 1000} s:\n${stderr}`));
    }, START_LIMIT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY (.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]!));
      }
    });
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`chaos node exited (${e.code ?? e.signal}) before it was ready:\n${stderr}`));
    });
  });
  return { pid: child.pid!, ...ready, alive, exit, stderr: () => stderr, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
