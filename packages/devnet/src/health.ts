// SPDX-License-Identifier: Apache-2.0
// The devnet's health, and the operations service that reports it as a Fabric peer does
// (GET /healthz: 200 {"status":"OK"} or 503 with failed_checks; GET /metrics for Prometheus).
import { createServer, type Server } from 'node:http';
import type { CommitterHalt } from '@metroledger/peer';

/**
 * The exit status of `metroledger devnet up` when the devnet halted on a ledger I/O failure
 * (EX_IOERR of sysexits.h).
 */
export const DEVNET_HALT_EXIT_CODE = 74;

export type DevnetStatus = 'SERVING' | 'HALTED' | 'STOPPED';

/** Why a devnet halted. */
export interface DevnetHalt {
  readonly component: 'ledger';
  /** The block the ledger could not commit; every block before it is committed and durable. */
  readonly blockNum: number;
  /** The ledger's error code (IO for a failed write or sync). */
  readonly code: string;
  /** ENOSPC, EIO, … when known. */
  readonly errno?: string;
  /** The file or directory the failed operation was on. */
  readonly path?: string;
  readonly message: string;
  /** ISO time of the halt. */
  readonly at: string;
}

export interface DevnetHealth {
  readonly status: DevnetStatus;
  /** Ledger height (blocks committed). */
  readonly height: number;
  readonly halt?: DevnetHalt;
}

export function devnetHalt(h: CommitterHalt): DevnetHalt {
  const e = h.error as Error & { code?: unknown; details?: Record<string, unknown> };
  const errno = e.details?.['errno'];
  const path = e.details?.['path'];
  return {
    component: 'ledger',
    blockNum: h.blockNum,
    code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
    ...(typeof errno === 'string' && { errno }),
    ...(typeof path === 'string' && { path }),
    message: e.message,
    at: new Date().toISOString(),
  };
}

/** What an operator reads when the devnet halts: what failed, where, what is safe, what to do. */
export function describeHalt(halt: DevnetHalt, dataDir: string): string {
  return [
    `devnet HALTED: the ledger could not commit block ${halt.blockNum}${halt.errno !== undefined ? ` (${halt.errno})` : ''}${halt.path !== undefined ? ` at ${halt.path}` : ''}.`,
    `  ${halt.message}`,
    `  Every transaction whose commit was acknowledged is on disk (blocks 0..${halt.blockNum - 1}); no transaction was accepted after the failure.`,
    `  Fix the cause (free space on the disk of ${halt.path ?? dataDir}), then start again: metroledger devnet up --data ${dataDir}`,
  ].join('\n');
}

/** Fabric's /healthz body. */
export function healthzBody(health: DevnetHealth): { statusCode: number; body: Record<string, unknown> } {
  const time = new Date().toISOString();
  const devnet = { status: health.status, height: health.height, ...(health.halt !== undefined && { halt: health.halt }) };
  if (health.status === 'SERVING') return { statusCode: 200, body: { status: 'OK', time, devnet } };
  const reason = health.halt !== undefined ? health.halt.message : `the devnet is ${health.status.toLowerCase()}`;
  return {
    statusCode: 503,
    body: { status: 'Service Unavailable', time, failed_checks: [{ component: health.halt?.component ?? 'devnet', reason }], devnet },
  };
}

export interface OperationsServer {
  /** http://host:port */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** The Prometheus exposition the operations service serves at /metrics. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * The operations service on host:port (port 0: the OS chooses), as a Fabric peer's: GET /healthz
 * answering from `health()`, and GET /metrics (Prometheus text format) when `metrics` is given.
 */
export async function startOperationsServer(opts: {
  host: string;
  port: number;
  health: () => DevnetHealth;
  metrics?: MetricsSource;
}): Promise<OperationsServer> {
  const server: Server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && opts.metrics !== undefined) {
      const m = opts.metrics;
      m.metrics().then(
        (text) => res.writeHead(200, { 'content-type': m.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/healthz') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `not found: GET /healthz${opts.metrics !== undefined ? ' or /metrics' : ''}` }));
      return;
    }
    const { statusCode, body } = healthzBody(opts.health());
    res.writeHead(statusCode, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  return {
    endpoint: `http://${opts.host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** GET `<endpoint>/healthz`: the devnet part of the answer, or undefined when nothing answers. */
export async function fetchHealth(
  operationsEndpoint: string,
  timeoutMs = 3_000,
): Promise<{ httpStatus: number; health: DevnetHealth } | undefined> {
  try {
    const res = await fetch(`${operationsEndpoint}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { devnet?: DevnetHealth };
    return body.devnet === undefined ? undefined : { httpStatus: res.status, health: body.devnet };
  } catch {
    return undefined;
  }
}
