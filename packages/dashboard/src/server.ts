// SPDX-License-Identifier: Apache-2.0
// The HTTP side: the page and its scripts, the sections as Server-Sent Events, the drill-down
// answers as JSON. Read-only; bound to 127.0.0.1 unless told otherwise, and then it still answers
// only to the Host names it listens as (no DNS rebinding from a page elsewhere).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { SectionName } from './api.js';
import { DashboardError } from './errors.js';
import { IMPORT_MAP, pageHtml, STYLE_CSS } from './page.js';
import { describeError } from '@metroledger/errors';

export const SECTION_NAMES: readonly SectionName[] = ['status', 'network', 'activity', 'measurements', 'meters', 'governance'];

/** What the server asks of the dashboard. */
export interface DashboardApp {
  readonly title: string;
  /** The section's current JSON (built at most so often) and its version. */
  section(name: SectionName): { version: number; json: string };
  /** A browser connected (the first one starts the block stream) or left. */
  viewers(count: number): void;
  /** Drill-down answers (JSON-able), or a DashboardError. */
  transaction(txId: string): Promise<unknown>;
  block(n: number): Promise<unknown>;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxViewers: number;
  /** How often connected browsers are sent what changed. Default 500 ms. */
  readonly pushIntervalMs?: number;
}

export interface HttpServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const PUBLIC_DIR = join(__dirname, 'public');
const UPLOT_DIR = dirname(require.resolve('uplot/dist/uPlot.esm.js'));
const importMapHash = createHash('sha256').update(IMPORT_MAP).digest('base64');
const SECURITY_HEADERS = {
  'content-security-policy': `default-src 'self'; script-src 'self' 'sha256-${importMapHash}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...extra }).end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function errorStatus(err: unknown): number {
  if (err instanceof DashboardError) return err.code === 'NOT_FOUND' ? 404 : err.code === 'BAD_OPTION' ? 400 : 502;
  return 500;
}

interface Viewer {
  readonly res: ServerResponse;
  readonly sent: Map<SectionName, number>;
}

export async function startHttpServer(app: DashboardApp, opts: HttpServerOptions): Promise<HttpServer> {
  const viewers = new Set<Viewer>();
  const loopbackOnly = LOOPBACK.has(opts.host);
  let port = opts.port;

  const push = (v: Viewer): void => {
    for (const name of SECTION_NAMES) {
      const s = app.section(name);
      if (v.sent.get(name) === s.version) continue;
      v.sent.set(name, s.version);
      v.res.write(`event: section\ndata: {"name":"${name}","data":${s.json}}\n\n`);
    }
  };

  const assets = async (res: ServerResponse, path: string): Promise<void> => {
    if (path === '/app/style.css') return send(res, 200, 'text/css; charset=utf-8', STYLE_CSS);
    if (path === '/vendor/uPlot.esm.js')
      return send(res, 200, 'text/javascript; charset=utf-8', await readFile(join(UPLOT_DIR, 'uPlot.esm.js')));
    if (path === '/vendor/uPlot.min.css')
      return send(res, 200, 'text/css; charset=utf-8', await readFile(join(UPLOT_DIR, 'uPlot.min.css')));
    // The compiled browser modules: names from a fixed alphabet, so no path leaves the folder.
    const m = /^\/app\/([a-z0-9_-]+(?:\/[a-z0-9_-]+)*\.js)$/.exec(path);
    if (m === null) return sendJson(res, 404, { error: `not found: ${path}` });
    try {
      return send(res, 200, 'text/javascript; charset=utf-8', await readFile(join(PUBLIC_DIR, m[1]!)));
    } catch {
      return sendJson(res, 404, { error: `not found: ${path}` });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (loopbackOnly && !LOOPBACK.has(host))
      return sendJson(res, 421, { error: `this dashboard answers as 127.0.0.1 or localhost, not ${host}` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'read-only: GET only' });
    const path = url.pathname;
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', pageHtml(app.title));
    if (path === '/api/events') {
      if (viewers.size >= opts.maxViewers) return sendJson(res, 503, { error: `at most ${opts.maxViewers} viewers at once` });
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        ...SECURITY_HEADERS,
      });
      res.write('retry: 2000\n\n');
      const v: Viewer = { res, sent: new Map() };
      viewers.add(v);
      app.viewers(viewers.size);
      push(v);
      req.on('close', () => {
        viewers.delete(v);
        app.viewers(viewers.size);
      });
      return;
    }
    if (path === '/api/snapshot') {
      app.viewers(Math.max(1, viewers.size));
      const body = SECTION_NAMES.map((n) => `"${n}":${app.section(n).json}`).join(',');
      return send(res, 200, 'application/json; charset=utf-8', `{${body}}`);
    }
    const tx = /^\/api\/tx\/([0-9a-f]{64})$/.exec(path);
    if (tx !== null) {
      try {
        return sendJson(res, 200, await app.transaction(tx[1]!));
      } catch (err) {
        return sendJson(res, errorStatus(err), { error: describeError(err) });
      }
    }
    const block = /^\/api\/block\/(\d{1,15})$/.exec(path);
    if (block !== null) {
      try {
        return sendJson(res, 200, await app.block(Number(block[1])));
      } catch (err) {
        return sendJson(res, errorStatus(err), { error: describeError(err) });
      }
    }
    return assets(res, path);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: describeError(err) });
      else res.end();
    });
  });
  const timer = setInterval(() => {
    for (const v of viewers) push(v);
  }, opts.pushIntervalMs ?? 500);
  // a comment line keeps proxies and the browser from closing an idle stream
  const keepAlive = setInterval(() => {
    for (const v of viewers) v.res.write(': keep-alive\n\n');
  }, 15_000);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
  } catch (err) {
    clearInterval(timer);
    clearInterval(keepAlive);
    throw new DashboardError(
      'LISTEN',
      `cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`,
      { host: opts.host, port: opts.port },
      { cause: err },
    );
  }
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        clearInterval(keepAlive);
        for (const v of viewers) v.res.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
