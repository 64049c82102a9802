// SPDX-License-Identifier: Apache-2.0
// The gateway connection options every network command shares (`--devnet DIR`, or `--endpoint
// --tls-ca --msp-id --cert --key` against any Fabric network), and opening a client from them. The
// connection is checked before the first call, so that a wrong port (CONNECTION_REFUSED) and a
// wrong TLS CA (TLS_FAILED) say so, and the TLS server name comes from the gateway's certificate.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkGatewayConnection, ClientError, loadMspIdentity, MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { DEFAULT_DATA_DIR, DEFAULT_NETWORK, readRunFile } from '@metroledger/devnet';
import { command } from './hints';

export interface ConnectionOptions {
  endpoint?: string;
  tlsCa?: string;
  mspId?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  tlsCert?: string;
  tlsKey?: string;
  channel: string;
  devnet?: string;
  user?: string;
}

/** Adds the gateway connection options to a command. */
export function withConnectionOptions(cmd: Command, defaults: { mspId: string; user: string }): Command {
  return cmd
    .option('--endpoint <host:port>', 'gateway peer endpoint')
    .option('--tls-ca <file>', "PEM of the CA that issued the gateway's TLS certificate")
    .option('--msp-id <id>', `MSP id of the identity (default with --devnet: ${defaults.mspId})`)
    .option('--cert <file>', 'X.509 certificate (PEM) of the identity')
    .option('--key <file>', 'private key (PEM) of the identity')
    .option('--server-name <name>', "TLS server name: a host name in the gateway's certificate (default: the endpoint's host, or for an IP the certificate's first host name)")
    .option('--tls-cert <file>', 'client TLS certificate (PEM), for a gateway that requires mutual TLS (with --devnet: the user\'s tls/client.crt)')
    .option('--tls-key <file>', 'client TLS private key (PEM), with --tls-cert')
    .option('--channel <name>', 'channel', 'metrology')
    .option('--devnet <dir>', `take endpoint, TLS CA and identity from a running devnet's data directory (default without --endpoint: ${DEFAULT_DATA_DIR})`)
    .option('--user <name>', `devnet user of --msp-id: Admin or User1 (default ${defaults.user})`, defaults.user);
}

/**
 * The devnet data directory the options name: --devnet, or without --endpoint the default one
 * (every command's default), undefined when they name another network.
 */
export function devnetDirOf(opts: Pick<ConnectionOptions, 'devnet' | 'endpoint'>): string | undefined {
  return opts.devnet ?? (opts.endpoint === undefined ? DEFAULT_DATA_DIR : undefined);
}

/** The run file of the devnet the options name. @throws {@link ClientError} CONNECTION_FAILED, saying how to start one */
async function runningDevnetOf(opts: Pick<ConnectionOptions, 'devnet'>, devnetDir: string): Promise<NonNullable<Awaited<ReturnType<typeof readRunFile>>>> {
  const dir = resolve(devnetDir);
  const info = await readRunFile(dir);
  if (info !== undefined) return info;
  const which = opts.devnet === undefined ? `${dir} (the default; --devnet DIR names another, --endpoint … any Fabric network)` : dir;
  throw new ClientError('CONNECTION_FAILED', `no running devnet recorded in ${which}: start it with \`${command(['devnet', 'up'], devnetDir)}\``);
}

/** Where the gateway is and how to reach it over TLS, from the options and the devnet's run file. */
export interface GatewayTarget {
  readonly endpoint: string;
  readonly tlsRootCertPem: Buffer;
  readonly serverName?: string;
  readonly clientCertPem?: Buffer;
  readonly clientKeyPem?: Buffer;
}

interface DevnetUserPaths {
  readonly mspDir: string;
  readonly tlsDir: string;
}

function devnetUser(dir: string, mspId: string | undefined, user: string): DevnetUserPaths {
  const org = DEFAULT_NETWORK.organizations.find((o) => o.mspId === mspId);
  if (org === undefined) throw new ClientError('BAD_REQUEST', `--msp-id ${String(mspId)} is not an organization of the devnet`);
  const home = join(dir, 'organizations', 'peerOrganizations', org.domain, 'users', `${user}@${org.domain}`);
  return { mspDir: join(home, 'msp'), tlsDir: join(home, 'tls') };
}

async function readOption(path: string, what: string): Promise<Buffer> {
  return readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new ClientError('BAD_REQUEST', `cannot read ${what} ${path}: ${err.code ?? err.message}`, { cause: err });
  });
}

/** The gateway target and the identity the options name. */
async function resolveConnection(opts: ConnectionOptions, defaultMspId: string): Promise<{ target: GatewayTarget; mspId: string; certificatePem: Buffer; privateKeyPem: Buffer }> {
  let endpoint = opts.endpoint;
  let tlsCa = opts.tlsCa;
  let serverName = opts.serverName;
  let tlsCert = opts.tlsCert;
  let tlsKey = opts.tlsKey;
  const devnetDir = devnetDirOf(opts);
  const mspId = opts.mspId ?? (devnetDir !== undefined ? defaultMspId : undefined);
  let cert = opts.cert;
  let key = opts.key;
  let identity: { certificatePem: Buffer; privateKeyPem: Buffer } | undefined;
  if (devnetDir !== undefined) {
    const dir = resolve(devnetDir);
    const info = await runningDevnetOf(opts, devnetDir);
    endpoint ??= info.endpoint;
    tlsCa ??= info.tlsCaCertPath;
    serverName ??= info.tlsServerName;
    const user = devnetUser(dir, mspId, opts.user ?? 'User1');
    if (info.tlsClientAuth === true && tlsCert === undefined && tlsKey === undefined) {
      tlsCert = join(user.tlsDir, 'client.crt');
      tlsKey = join(user.tlsDir, 'client.key');
    }
    if (cert === undefined || key === undefined) {
      const files = await loadMspIdentity(user.mspDir).catch(() => {
        throw new ClientError('BAD_REQUEST', `the devnet has no user ${opts.user ?? 'User1'} in ${String(mspId)}`);
      });
      identity = files;
    }
  }
  const missing = [['--endpoint', endpoint], ['--tls-ca', tlsCa], ['--msp-id', mspId], ...(identity === undefined ? [['--cert', cert], ['--key', key]] : [])]
    .filter(([, v]) => v === undefined)
    .map(([n]) => n);
  if (missing.length > 0) throw new ClientError('BAD_REQUEST', `missing ${missing.join(', ')} (or use --devnet DIR)`);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ClientError('BAD_REQUEST', '--tls-cert and --tls-key go together');
  identity ??= { certificatePem: await readOption(cert!, '--cert'), privateKeyPem: await readOption(key!, '--key') };
  const target: GatewayTarget = {
    endpoint: endpoint!,
    tlsRootCertPem: await readOption(tlsCa!, '--tls-ca'),
    ...(serverName !== undefined && { serverName }),
    ...(tlsCert !== undefined && { clientCertPem: await readOption(tlsCert, '--tls-cert'), clientKeyPem: await readOption(tlsKey!, '--tls-key') }),
  };
  return { target, mspId: mspId!, ...identity };
}

/**
 * Checks that the gateway answers over TLS with a certificate the CA issued (typed
 * CONNECTION_REFUSED / TLS_FAILED otherwise) and returns the TLS server name to use.
 */
export async function checkTarget(target: GatewayTarget): Promise<string> {
  const { serverName } = await checkGatewayConnection({
    endpoint: target.endpoint,
    tlsRootCertPem: target.tlsRootCertPem,
    ...(target.serverName !== undefined && { serverName: target.serverName }),
    ...(target.clientCertPem !== undefined && { clientCertPem: target.clientCertPem, clientKeyPem: target.clientKeyPem }),
  });
  return serverName;
}

/**
 * For `audit`/`surveil --peer`: checks that the peer answers over TLS (typed CONNECTION_REFUSED /
 * TLS_FAILED) and fills in the TLS server name from its certificate when none was given.
 */
export async function withPeerServerName<T extends { peer?: string; tlsCa?: string; serverName?: string }>(opts: T): Promise<T> {
  if (opts.peer === undefined || opts.tlsCa === undefined) return opts;
  const serverName = await checkTarget({ endpoint: opts.peer, tlsRootCertPem: await readOption(opts.tlsCa, '--tls-ca'), ...(opts.serverName !== undefined && { serverName: opts.serverName }) });
  return { ...opts, serverName };
}

/** A client on the gateway, with its gRPC connection and identity (for calls beyond the gateway's, as Deliver). */
export interface OpenNetwork {
  readonly client: MetroledgerClient;
  readonly connection: ReturnType<typeof newGrpcConnection>;
  readonly identity: { readonly mspId: string; readonly certificatePem: Uint8Array; readonly privateKeyPem: Uint8Array };
}

/** Opens a client from the connection options, after checking that the gateway can be reached; `client.close()` closes all. */
export async function openNetwork(opts: ConnectionOptions, defaultMspId: string): Promise<OpenNetwork> {
  const { target, mspId, certificatePem, privateKeyPem } = await resolveConnection(opts, defaultMspId);
  const serverName = await checkTarget(target);
  const connection = newGrpcConnection(target.endpoint, target.tlsRootCertPem, {
    serverName,
    ...(target.clientCertPem !== undefined && { clientCertPem: target.clientCertPem, clientKeyPem: target.clientKeyPem }),
  });
  const client = new MetroledgerClient({ connection, mspId, certificatePem, privateKeyPem, channel: opts.channel, retry: { maxAttempts: 3 }, callTimeoutMs: 30_000 });
  const close = client.close.bind(client);
  client.close = () => {
    close();
    connection.close();
  };
  return { client, connection, identity: { mspId, certificatePem, privateKeyPem } };
}

/** Opens a MetroledgerClient from the connection options, after checking that the gateway can be reached. */
export async function openClient(opts: ConnectionOptions, defaultMspId: string): Promise<MetroledgerClient> {
  return (await openNetwork(opts, defaultMspId)).client;
}

/** The signing identity the options name (default: the devnet's Admin of `defaultMspId`). */
export async function identityOf(opts: ConnectionOptions, defaultMspId: string): Promise<{ mspId: string; certificatePem: Uint8Array; privateKeyPem: Uint8Array }> {
  const mspId = opts.mspId ?? defaultMspId;
  if (opts.cert !== undefined && opts.key !== undefined) return { mspId, certificatePem: await readOption(opts.cert, '--cert'), privateKeyPem: await readOption(opts.key, '--key') };
  const devnetDir = devnetDirOf(opts);
  if (devnetDir === undefined) throw new ClientError('BAD_REQUEST', 'missing --cert and --key (or use --devnet DIR)');
  await runningDevnetOf(opts, devnetDir);
  const files = await loadMspIdentity(devnetUser(resolve(devnetDir), mspId, opts.user ?? 'Admin').mspDir).catch(() => {
    throw new ClientError('BAD_REQUEST', `the devnet has no user ${opts.user ?? 'Admin'} in ${mspId}`);
  });
  return { mspId, ...files };
}
