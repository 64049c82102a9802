// SPDX-License-Identifier: Apache-2.0
// The evidence store's HTTPS service. Every request is authenticated (signed by a channel identity),
// authorised by the access policy, and recorded in the hash-chained access log before it is
// answered, refusals included: an image is never sent before its retrieval is on disk in the log.
//   POST /v1/evidence                      hand in {signedReading, image, imageSignature} (base64)   writers
//   GET  /v1/evidence/<meterId>/<sequence>  a reading's record and image                              readers
//   GET  /v1/access-log?from=N&limit=M      access-log entries                                        auditors
//   GET  /v1/status                         counts, bytes, log heads                                  auditors
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MspRegistry } from '@metroledger/identity';
import { RequestAuthenticator, type Caller, type EvidenceAccessPolicy, type EvidenceAction } from './auth';
import { EvidenceError } from './errors';
import { EvidenceService, type MeterKeys } from './service';
import type { EvidenceStore } from './store';

export interface EvidenceServerOptions {
  readonly store: EvidenceStore;
  readonly meterKeys: MeterKeys;
  /** The channel's MSPs: whose identities the store accepts. */
  readonly msps: MspRegistry;
  readonly policy: EvidenceAccessPolicy;
  /** The server's TLS certificate and key (PEM), e.g. from the traffic authority's TLS CA. */
  readonly tls: { readonly certPem: string | Buffer; readonly keyPem: string | Buffer };
  /** Require a client TLS certificate from a channel MSP's TLS CA as well. Default false. */
  readonly tlsClientAuth?: boolean;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (the OS chooses). */
  readonly port?: number;
  /** Request clock window. Default 300,000 ms. */
  readonly maxSkewMs?: number;
}

export interface EvidenceServer {
  /** https://host:port */
  readonly url: string;
  readonly port: number;
  readonly service: EvidenceService;
  close(): Promise<void>;
}

const JSON_OVERHEAD = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  res.end(bytes);
}

function sendError(res: ServerResponse, err: EvidenceError): void {
  send(res, err.httpStatus, { code: err.code, message: err.message });
}

/**
 * Reads a body of at most `limit` bytes. A larger one is refused (IMAGE_TOO_LARGE) once the client
 * has finished sending it, so that the client reads the answer rather than a reset; what is over the
 * limit is discarded, never buffered, and past 4 x limit the connection is cut.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (over) {
        chunks.length = 0;
        if (size > 4 * limit) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (over)
        reject(
          new EvidenceError('IMAGE_TOO_LARGE', `the request has ${Number.isFinite(declared) ? declared : size} bytes; at most ${limit}`, {
            bytes: Number.isFinite(declared) ? declared : size,
            limit,
          }),
        );
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => reject(new EvidenceError('MALFORMED_REQUEST', `the request broke off: ${err.message}`)));
    req.on('close', () => {
      if (!req.complete)
        reject(
          new EvidenceError(
            over ? 'IMAGE_TOO_LARGE' : 'MALFORMED_REQUEST',
            over ? `the request is over ${limit} bytes` : 'the request broke off',
          ),
        );
    });
  });
}

/** Discards an unread body (at most `cap` bytes), so that the client gets to read the answer. */
function drain(req: IncomingMessage, cap: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) req.destroy();
    });
    req.on('end', () => resolve());
    req.on('close', () => resolve());
    req.resume();
  });
}

function base64Field(body: Record<string, unknown>, name: string): Buffer {
  const v = body[name];
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
    throw new EvidenceError('MALFORMED_REQUEST', `field ${name} must be base64`);
  return Buffer.from(v, 'base64');
}

interface Route {
  readonly action: EvidenceAction;
  readonly name: string;
  readonly meterId?: string;
  readonly sequence?: number;
}

function route(method: string, url: URL): Route | undefined {
  const p = url.pathname;
  if (method === 'POST' && p === '/v1/evidence') return { action: 'put', name: 'put' };
  if (method === 'GET' && p === '/v1/access-log') return { action: 'audit', name: 'access-log' };
  if (method === 'GET' && p === '/v1/status') return { action: 'audit', name: 'status' };
  const m = /^\/v1\/evidence\/([^/]{1,200})\/(\d{1,16})$/.exec(p);
  if (method === 'GET' && m !== null) {
    let meterId: string;
    try {
      meterId = decodeURIComponent(m[1]!);
    } catch {
      return undefined;
    }
    return { action: 'get', name: 'get', meterId, sequence: Number(m[2]) };
  }
  return undefined;
}

/**
 * Starts the evidence store's HTTPS service.
 * @throws {@link EvidenceError} BAD_CONFIG (policy names an MSP the channel lacks, TLS material unusable, port taken)
 */
export async function startEvidenceServer(options: EvidenceServerOptions): Promise<EvidenceServer> {
  const service = new EvidenceService(options.store, options.meterKeys);
  const auth = new RequestAuthenticator(
    options.msps,
    options.policy,
    options.maxSkewMs === undefined ? {} : { maxSkewMs: options.maxSkewMs },
  );
  const store = options.store;
  const maxBody = Math.ceil((store.maxImageBytes * 4) / 3) + JSON_OVERHEAD;
  const tlsRoots = options.msps.mspIds.flatMap((id) => options.msps.getConfig(id)?.tlsRootCertsPem ?? []);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://evidence.invalid');
    const remote = req.socket.remoteAddress;
    const r = route(method, url);
    let caller: Caller | undefined;
    const log = async (outcome: string, extra: Record<string, unknown> = {}): Promise<void> => {
      await store.logAccess({
        action: r?.name ?? `${method} ${url.pathname.slice(0, 200)}`,
        outcome,
        ...(caller !== undefined && { caller }),
        ...(r?.meterId !== undefined && { meterId: r.meterId, sequence: r.sequence }),
        ...(remote !== undefined && { remote }),
        ...extra,
      });
    };
    try {
      if (r === undefined) throw new EvidenceError('NOT_FOUND', `no such resource: ${method} ${url.pathname}`);
      const pending = auth.admit(req.headers, r.action);
      caller = pending.caller;
      const body = await readBody(req, r.action === 'put' ? maxBody : JSON_OVERHEAD);
      auth.verify(pending, method, url.pathname + url.search, body);
      if (r.name === 'put') {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new EvidenceError('MALFORMED_REQUEST', 'the body is not JSON');
        }
        const submission = {
          signedReading: base64Field(parsed, 'signedReading'),
          image: base64Field(parsed, 'image'),
          imageSignature: base64Field(parsed, 'imageSignature'),
        };
        const { record, alreadyStored } = await service.put(submission, pending.caller);
        await log('OK', {
          meterId: record.meterId,
          sequence: record.sequence,
          imageSha256: record.imageSha256,
          ...(alreadyStored && { detail: 'already stored' }),
        });
        send(res, alreadyStored ? 200 : 201, { alreadyStored, record: { ...record, signedReading: undefined, imageSignature: undefined } });
      } else if (r.name === 'get') {
        const { record, image } = await service.get(r.meterId!, r.sequence!);
        // on disk in the log before a byte of the image leaves
        await log('OK', { imageSha256: record.imageSha256 });
        send(res, 200, { record, image: image.toString('base64') });
      } else if (r.name === 'access-log') {
        const from = Math.max(1, Number(url.searchParams.get('from') ?? 1) || 1);
        const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
        await log('OK', { detail: `from ${from} limit ${limit}` });
        send(res, 200, { entries: await store.accessLog(from, limit), head: store.heads.access });
      } else {
        await log('OK');
        send(res, 200, {
          images: store.count,
          bytesUsed: store.bytesUsed,
          maxStoreBytes: store.maxStoreBytes,
          maxImageBytes: store.maxImageBytes,
          heads: store.heads,
        });
      }
    } catch (err) {
      const e = err instanceof EvidenceError ? err : new EvidenceError('IO', (err as Error).message, undefined, { cause: err });
      await drain(req, 4 * maxBody);
      // a caller refused by the policy is known by then: the log names it
      caller ??= e.details?.['caller'] as Caller | undefined;
      try {
        await log(e.code, { detail: e.message.slice(0, 300) });
      } catch (logErr) {
        // nothing is answered that the log could not record, refusals aside: say why
        sendError(res, logErr instanceof EvidenceError ? logErr : new EvidenceError('IO', String(logErr)));
        return;
      }
      sendError(res, e);
    }
  };

  let server: Server;
  try {
    server = createServer(
      {
        cert: options.tls.certPem,
        key: options.tls.keyPem,
        minVersion: 'TLSv1.2',
        ...(options.tlsClientAuth === true && { requestCert: true, rejectUnauthorized: true, ca: tlsRoots }),
      },
      (req, res) => void handle(req, res),
    );
  } catch (err) {
    throw new EvidenceError('BAD_CONFIG', `the TLS certificate or key is unusable: ${(err as Error).message}`, undefined, { cause: err });
  }
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new EvidenceError('BAD_CONFIG', `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${err.message}`, undefined, {
          cause: err,
        }),
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    service,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
