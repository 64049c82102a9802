// SPDX-License-Identifier: Apache-2.0
// A client of the evidence store: signs each request with a channel identity, checks the server's
// TLS certificate against the given CA, and turns the store's refusals back into EvidenceErrors.
import { request } from 'node:https';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { ChainEntry, ChainHead } from './chainlog';
import { signRequest } from './auth';
import { EvidenceError, isEvidenceErrorCode } from './errors';
import type { AccessEntry, EvidenceRecord } from './store';

export interface EvidenceClientOptions {
  /** https://host:port of the store. */
  readonly url: string;
  /** PEM of the CA that issued the store's TLS certificate. */
  readonly tlsCaPem: string | Buffer;
  /** TLS server name, when the URL's host is not in the certificate (e.g. connecting by IP). */
  readonly serverName?: string;
  /** The caller: MSP id, enrollment certificate and its private key (PEM). */
  readonly mspId: string;
  readonly certificatePem: string | Uint8Array;
  readonly privateKeyPem: string | Uint8Array;
  /** A client TLS pair, for a store that requires mutual TLS. */
  readonly tlsCertPem?: string | Buffer;
  readonly tlsKeyPem?: string | Buffer;
  /** Per request. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface RetrievedEvidence {
  readonly record: EvidenceRecord;
  readonly image: Buffer;
}

export class EvidenceClient {
  readonly #o: EvidenceClientOptions;
  readonly #identity: { mspId: string; certPem: string; privateKey: KeyObject };

  constructor(options: EvidenceClientOptions) {
    this.#o = options;
    this.#identity = {
      mspId: options.mspId,
      certPem: Buffer.from(options.certificatePem).toString('utf8'),
      privateKey: createPrivateKey(Buffer.from(options.privateKeyPem)),
    };
  }

  /** Hands a plate image in. `alreadyStored`: the store had this image for this reading already. */
  async put(submission: {
    signedReading: Uint8Array;
    image: Uint8Array;
    imageSignature: Uint8Array;
  }): Promise<{ alreadyStored: boolean; record: Partial<EvidenceRecord> }> {
    const body = Buffer.from(
      JSON.stringify({
        signedReading: Buffer.from(submission.signedReading).toString('base64'),
        image: Buffer.from(submission.image).toString('base64'),
        imageSignature: Buffer.from(submission.imageSignature).toString('base64'),
      }),
    );
    return (await this.#call('POST', '/v1/evidence', body)) as { alreadyStored: boolean; record: Partial<EvidenceRecord> };
  }

  /** A reading's evidence. @throws EvidenceError NOT_FOUND, FORBIDDEN, … */
  async get(meterId: string, sequence: number): Promise<RetrievedEvidence> {
    const out = (await this.#call('GET', `/v1/evidence/${encodeURIComponent(meterId)}/${sequence}`)) as {
      record: EvidenceRecord;
      image: string;
    };
    return { record: out.record, image: Buffer.from(out.image, 'base64') };
  }

  async accessLog(from = 1, limit = 100): Promise<{ entries: ChainEntry<AccessEntry>[]; head: ChainHead }> {
    return (await this.#call('GET', `/v1/access-log?from=${from}&limit=${limit}`)) as {
      entries: ChainEntry<AccessEntry>[];
      head: ChainHead;
    };
  }

  async status(): Promise<Record<string, unknown>> {
    return (await this.#call('GET', '/v1/status')) as Record<string, unknown>;
  }

  #call(method: string, path: string, body: Buffer = Buffer.alloc(0)): Promise<unknown> {
    const url = new URL(path, this.#o.url);
    const headers = {
      ...signRequest(this.#identity, method, path, body),
      'content-type': 'application/json',
      'content-length': String(body.length),
    };
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers,
          ca: this.#o.tlsCaPem,
          ...(this.#o.serverName !== undefined && { servername: this.#o.serverName }),
          ...(this.#o.tlsCertPem !== undefined && { cert: this.#o.tlsCertPem, key: this.#o.tlsKeyPem }),
          timeout: this.#o.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) =>
            reject(new EvidenceError('UNAVAILABLE', `the answer of ${this.#o.url} broke off: ${err.message}`, undefined, { cause: err })),
          );
          res.on('end', () => {
            let parsed: Record<string, unknown>;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            } catch {
              reject(new EvidenceError('UNAVAILABLE', `${this.#o.url} answered ${res.statusCode} with something that is not JSON`));
              return;
            }
            if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) resolve(parsed);
            else {
              const code = isEvidenceErrorCode(parsed['code']) ? parsed['code'] : 'UNAVAILABLE';
              reject(new EvidenceError(code, String(parsed['message'] ?? `HTTP ${res.statusCode}`), { httpStatus: res.statusCode }));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#o.timeoutMs ?? 30_000} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // a server that refuses an oversized body closes the connection: its answer may arrive first
        reject(
          new EvidenceError(
            'UNAVAILABLE',
            `cannot reach the evidence store ${this.#o.url}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '),
            { code: err.code },
            { cause: err },
          ),
        );
      });
      req.end(body);
    });
  }
}
