// SPDX-License-Identifier: Apache-2.0
// The TLS connection to a gateway peer. The TLS server name always comes from the gateway's
// certificate, never from an IP address: Node refuses an IP as server name (RFC 6066, DEP0123), and
// a Fabric peer's certificate names its host. A failed connection is told apart before any call:
// nothing listening (CONNECTION_REFUSED) is not a certificate the given CA did not issue (TLS_FAILED).
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { ClientError } from './errors';

/** How to reach a gateway peer over TLS. */
export interface GatewayTlsOptions {
  /** TLS server name: a host name the gateway's certificate names. Default: the endpoint's host when it is a name. */
  readonly serverName?: string;
  /** Client TLS certificate and key (PEM), for a gateway that requires mutual TLS. */
  readonly clientCertPem?: string | Uint8Array;
  readonly clientKeyPem?: string | Uint8Array;
}

export interface GatewayEndpointOptions extends GatewayTlsOptions {
  /** `host:port` (`[::1]:7051` for IPv6). */
  readonly endpoint: string;
  /** PEM of the CA that issued the gateway's TLS certificate. */
  readonly tlsRootCertPem: string | Uint8Array;
  /** Give up on the connection check after this long. Default 10 s. */
  readonly timeoutMs?: number;
}

const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/** Host and port of `host:port` or `[v6]:port`. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(endpoint);
  const port = Number(m?.[3]);
  if (m === null || port < 1 || port > 65535) throw new ClientError('BAD_REQUEST', `endpoint ${JSON.stringify(endpoint)} is not host:port`);
  return { host: m[1] ?? m[2]!, port };
}

/**
 * Opens a TLS gRPC connection to a gateway endpoint (`host:port`). The third argument is the TLS
 * server name, or the TLS options. An endpoint given by IP address needs a server name: the host
 * name in the gateway's certificate ({@link checkGatewayConnection} finds it).
 * @throws {@link ClientError} BAD_REQUEST for an IP endpoint without a server name, or a client
 * certificate without its key.
 */
export function newGrpcConnection(endpoint: string, tlsRootCertPem: string | Uint8Array, tls?: string | GatewayTlsOptions): grpc.Client {
  const opts: GatewayTlsOptions = typeof tls === 'string' ? { serverName: tls } : (tls ?? {});
  const { host } = splitEndpoint(endpoint);
  const serverName = opts.serverName || (isIP(host) === 0 ? host : undefined);
  if (serverName === undefined) {
    throw new ClientError(
      'BAD_REQUEST',
      `${endpoint} is an IP address: give the TLS server name, a host name the gateway's certificate names (e.g. --server-name)`,
    );
  }
  const options: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.ssl_target_name_override': serverName,
  };
  return new grpc.Client(endpoint, credentialsFor(tlsRootCertPem, opts), options);
}

function credentialsFor(tlsRootCertPem: string | Uint8Array, opts: GatewayTlsOptions): grpc.ChannelCredentials {
  const root = Buffer.from(tlsRootCertPem);
  if (opts.clientCertPem === undefined && opts.clientKeyPem === undefined) return grpc.credentials.createSsl(root);
  if (opts.clientCertPem === undefined || opts.clientKeyPem === undefined) {
    throw new ClientError('BAD_REQUEST', 'a client TLS certificate needs its key, and a key its certificate');
  }
  return grpc.credentials.createSsl(root, Buffer.from(opts.clientKeyPem), Buffer.from(opts.clientCertPem));
}

/** The certificate's host names: DNS subject alternative names, else its common name. */
function dnsNames(cert: PeerCertificate): string[] {
  const sans = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const cn = cert.subject?.CN;
  return sans.length > 0 ? sans : typeof cn === 'string' ? [cn] : [];
}

/** The names a certificate is valid for, as a reader would list them. */
function namesOf(cert: PeerCertificate): string {
  return cert.subjectaltname?.replace(/DNS:|IP Address:/g, '') ?? String(cert.subject?.CN ?? '?');
}

/**
 * Connects once over TLS (nothing is sent) to tell a gateway that can be reached from one that
 * cannot, and why; resolves with the TLS server name to use: the given one, the endpoint's host
 * name, or for an IP endpoint the first host name of the certificate (which must also name the IP).
 * @throws {@link ClientError} CONNECTION_REFUSED (nothing listens: wrong port, gateway down),
 * TLS_FAILED (certificate not issued by the given CA, not for this name, or client certificate
 * missing or refused), CONNECTION_FAILED (unknown host, no answer).
 */
export async function checkGatewayConnection(opts: GatewayEndpointOptions): Promise<{ serverName: string }> {
  const { host, port } = splitEndpoint(opts.endpoint);
  const where = opts.endpoint;
  const byIp = isIP(host) !== 0;
  const wanted = opts.serverName || (byIp ? undefined : host);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const clientCert = opts.clientCertPem !== undefined && opts.clientKeyPem !== undefined;
  return new Promise((resolve, reject) => {
    let socket: TLSSocket | undefined;
    let settled = false;
    let handshaken = false;
    let serverName: string | undefined;
    const finish = (err: ClientError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      if (err !== undefined) reject(err);
      else resolve({ serverName: serverName! });
    };
    const timer = setTimeout(
      () => finish(new ClientError('CONNECTION_FAILED', `no TLS answer from ${where} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    try {
      socket = tlsConnect({
        host,
        port,
        ca: Buffer.from(opts.tlsRootCertPem),
        ...(clientCert && { cert: Buffer.from(opts.clientCertPem!), key: Buffer.from(opts.clientKeyPem!) }),
        ...(wanted !== undefined && { servername: wanted }),
        ALPNProtocols: ['h2'],
        // checked below, to say which name failed and what the certificate names instead
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
    } catch (err) {
      finish(new ClientError('BAD_REQUEST', `cannot use the TLS material for ${where}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    socket.once('secureConnect', () => {
      handshaken = true;
      const s = socket!;
      if (!s.authorized) {
        const reason = s.authorizationError instanceof Error ? s.authorizationError.message : String(s.authorizationError);
        finish(new ClientError('TLS_FAILED', `the TLS certificate of ${where} is not issued by the given TLS CA (${reason})`));
        return;
      }
      const cert = s.getPeerCertificate();
      const mismatch = checkServerIdentity(wanted ?? host, cert);
      if (mismatch !== undefined) {
        const hint = byIp && wanted === undefined ? ': give the TLS server name (--server-name)' : '';
        finish(new ClientError('TLS_FAILED', `the TLS certificate of ${where} is for ${namesOf(cert)}, not ${wanted ?? host}${hint}`));
        return;
      }
      serverName = wanted ?? dnsNames(cert)[0];
      if (serverName === undefined) {
        finish(new ClientError('TLS_FAILED', `the TLS certificate of ${where} names no host: give the TLS server name (--server-name)`));
        return;
      }
      // With TLS 1.3 a server that refuses the client's certificate says so after the handshake;
      // an HTTP/2 server's first frame (SETTINGS) says it accepted the connection.
      s.once('data', () => finish(undefined));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => finish(connectionError(err, where, clientCert)));
    socket.once('close', () => {
      // a server that verifies client certificates itself (Node's) hangs up after the handshake
      if (handshaken && clientCert)
        finish(new ClientError('TLS_FAILED', `${where} refused the client TLS certificate (it closed the connection after the handshake)`));
      else
        finish(new ClientError('CONNECTION_FAILED', `${where} closed the connection ${handshaken ? 'after' : 'during'} the TLS handshake`));
    });
  });
}

function connectionError(err: NodeJS.ErrnoException, where: string, clientCert: boolean): ClientError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED')
    return new ClientError(
      'CONNECTION_REFUSED',
      `nothing listens at ${where} (connection refused): is the gateway up, and is this its port?`,
      { cause: err },
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ClientError('CONNECTION_FAILED', `unknown host in ${where}`, { cause: err });
  if (/CERTIFICATE_REQUIRED/.test(code))
    return new ClientError(
      'TLS_FAILED',
      `${where} requires a client TLS certificate (mutual TLS): give one with its key (--tls-cert, --tls-key)`,
      { cause: err },
    );
  if (/^ERR_SSL_|^ERR_TLS_/.test(code)) {
    const what =
      clientCert && /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)/.test(code)
        ? 'refused the client TLS certificate'
        : 'ended the TLS handshake';
    return new ClientError('TLS_FAILED', `${where} ${what} (${err.message})`, { cause: err });
  }
  return new ClientError('CONNECTION_FAILED', `cannot connect to ${where}: ${err.message}`, { cause: err });
}

/**
 * {@link checkGatewayConnection}, then {@link newGrpcConnection} with the server name it found: the
 * way to connect when the endpoint may be an IP address, a port may be wrong or a CA mixed up.
 */
export async function connectGateway(opts: GatewayEndpointOptions): Promise<grpc.Client> {
  const { serverName } = await checkGatewayConnection(opts);
  return newGrpcConnection(opts.endpoint, opts.tlsRootCertPem, { ...opts, serverName });
}
