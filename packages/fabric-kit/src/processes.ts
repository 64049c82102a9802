// SPDX-License-Identifier: Apache-2.0
// The network's long-running processes (peers, orderers, chaincode servers): started detached with
// their output in a log file, recorded by pid so that `down` stops exactly them and nothing else.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FabricKitError } from './errors.js';

/** A process of the network, as network.json records it. */
export interface NodeProcess {
  /** e.g. 'peer0.lasige.example.com', 'lr@peer0.lasige.example.com'. */
  readonly name: string;
  readonly kind: 'peer' | 'orderer' | 'chaincode';
  readonly pid: number;
  readonly log: string;
  /** What /proc/<pid>/cmdline must contain for the pid to still be this process. */
  readonly command: string;
}

export interface StartOptions {
  readonly name: string;
  readonly kind: NodeProcess['kind'];
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly log: string;
}

/** Starts a process in its own process group, output appended to its log, not waited for. */
export function startProcess(opts: StartOptions): NodeProcess {
  const fd = openSync(opts.log, 'a');
  try {
    const child = spawn(opts.file, opts.args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new FabricKitError('NODE_FAILED', `${opts.name}: ${opts.file} did not start`, { name: opts.name });
    child.unref();
    return { name: opts.name, kind: opts.kind, pid: child.pid, log: opts.log, command: opts.file };
  } finally {
    closeSync(fd);
  }
}

/** Whether `pid` is alive and still runs the recorded command (pids are reused). */
export function isRunning(p: Pick<NodeProcess, 'pid' | 'command'>): boolean {
  try {
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg === p.command || arg.endsWith(p.command));
  } catch {
    return false;
  }
}

/** Stops the processes: SIGTERM, then SIGKILL after `graceMs`. Only pids that still run their command. */
export async function stopProcesses(procs: readonly NodeProcess[], graceMs = 10_000): Promise<void> {
  const alive = procs.filter(isRunning);
  for (const p of alive) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive.some(isRunning)) await sleep(100);
  for (const p of alive.filter(isRunning)) signal(p.pid, 'SIGKILL');
  while (alive.some(isRunning)) await sleep(50);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Last lines of a log, for error messages. */
export function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resolves once the process answers `ready()`; fails fast if it exits. */
export async function waitUntil(p: NodeProcess, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(p))
      throw new FabricKitError('NODE_FAILED', `${p.name} exited; its log (${p.log}) ends with:\n${logTail(p.log)}`, { name: p.name });
    if (await ready()) return;
    if (Date.now() > deadline)
      throw new FabricKitError(
        'NODE_FAILED',
        `${p.name} not ready after ${timeoutMs / 1000} s; its log (${p.log}) ends with:\n${logTail(p.log)}`,
        { name: p.name },
      );
    await sleep(200);
  }
}

/** GET http://host:port/healthz (Fabric's operations service) answers 200. */
export function healthy(host: string, port: number, ignoredChecks: readonly string[] = []): Promise<boolean> {
  return new Promise((resolveHealth) => {
    const req = request({ host, port, path: '/healthz', timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 200) return resolveHealth(true);
        resolveHealth(
          res.statusCode === 503 &&
            ignoredChecks.length > 0 &&
            onlyIgnoredChecksFail(Buffer.concat(chunks).toString('utf8'), ignoredChecks),
        );
      });
      res.on('error', () => resolveHealth(false));
    });
    req.on('error', () => resolveHealth(false));
    req.on('timeout', () => {
      req.destroy();
      resolveHealth(false);
    });
    req.end();
  });
}

/** Fabric's /healthz body lists failed_checks by component; true when each one is ignored. */
export function onlyIgnoredChecksFail(body: string, ignoredChecks: readonly string[]): boolean {
  try {
    const failed = (JSON.parse(body) as { failed_checks?: { component?: unknown }[] }).failed_checks ?? [];
    return failed.length > 0 && failed.every((c) => typeof c.component === 'string' && ignoredChecks.includes(c.component));
  } catch {
    return false;
  }
}

/** Something accepts TCP connections on host:port. */
export function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolveListening(true);
    });
    socket.once('error', () => resolveListening(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolveListening(false);
    });
  });
}

/** Whether the port can be bound on host (false: taken by some process). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolveFree(true)));
  });
}
