// SPDX-License-Identifier: Apache-2.0
// The gateway connection options every network command shares: a running devnet (`--devnet DIR`),
// Fabric's common connection profile (`--profile FILE`, JSON or YAML), or flags (`--endpoint`/
// `--gateway --tls-ca --msp-id --cert --key`), flags winning piece by piece; and opening a client
// from them. The profile and flags are resolved by @metroledger/client (resolveGatewayTarget,
// resolveIdentity). The connection is checked before the first call, so that a wrong port
// (CONNECTION_REFUSED) and a wrong TLS CA (TLS_FAILED) say so, and the TLS server name comes from
// the gateway's certificate when none is given. Without --devnet, --endpoint/--gateway or --profile,
// a network command reads the devnet in the default data directory, as every command does.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import {
  checkGatewayConnection,
  ClientError,
  loadConnectionProfile,
  MetroledgerClient,
  newGrpcConnection,
  resolveGatewayTarget,
  resolveIdentity,
  type ClientIdentity,
  type ConnectionInput,
  type ConnectionProfile,
  type MetroledgerClientOptions,
} from '@metroledger/client';
import { DEFAULT_DATA_DIR, DEFAULT_NETWORK, readRunFile, type RunInfo } from '@metroledger/devnet';
import { command } from './hints';

export interface ConnectionOptions {
  endpoint?: string;
  gateway?: string;
  tlsCa?: string;
  mspId?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  tlsCert?: string;
  tlsKey?: string;
  profile?: string;
  gatewayPeer?: string;
  channel: string;
  devnet?: string;
  user?: string;
}

/** Adds the gateway connection options to a command; `defaults` name the identity used with --devnet or --profile. */
export function withConnectionOptions(cmd: Command, defaults: { mspId: string; user: string }): Command {
  return cmd
    .option('--endpoint <host:port>', 'gateway peer endpoint')
    .option('--gateway <host:port>', 'the same as --endpoint')
    .option('--tls-ca <file>', "PEM of the CA that issued the gateway's TLS certificate")
    .option(
      '--server-name <name>',
      "TLS server name: a host name in the gateway's certificate (default: the endpoint's host, or for an IP the certificate's first host name)",
    )
    .option(
      '--tls-cert <file>',
      "client TLS certificate (PEM), for a gateway that requires mutual TLS (with --devnet: the user's tls/client.crt)",
    )
    .option('--tls-key <file>', 'client TLS private key (PEM), with --tls-cert')
    .option('--profile <file>', "Fabric connection profile (JSON or YAML): the gateway peer, its TLS CA and the organizations' identities")
    .option('--gateway-peer <name>', "with --profile: the profile's peer to use as gateway (default: the client organization's first)")
    .option('--msp-id <id>', `MSP id of the identity (default with --devnet or --profile: ${defaults.mspId})`)
    .option('--cert <file>', 'X.509 certificate (PEM) of the identity')
    .option('--key <file>', 'private key (PEM) of the identity')
    .option('--channel <name>', 'channel', 'metrology')
    .option(
      '--devnet <dir>',
      `take endpoint, TLS CA and identity from a running devnet's data directory (default without --endpoint or --profile: ${DEFAULT_DATA_DIR})`,
    )
    .option('--user <name>', `the identity's user with --devnet or --profile: Admin or User1 (default ${defaults.user})`, defaults.user);
}

/**
 * The devnet data directory the options name: --devnet, or the default one (every command's) when
 * no option names another network; undefined when they do.
 */
export function devnetDirOf(opts: Pick<ConnectionOptions, 'devnet' | 'endpoint' | 'gateway' | 'profile'>): string | undefined {
  return (
    opts.devnet ?? (opts.endpoint === undefined && opts.gateway === undefined && opts.profile === undefined ? DEFAULT_DATA_DIR : undefined)
  );
}

/** Where the gateway is and how to reach it over TLS. */
export interface GatewayTarget {
  readonly endpoint: string;
  readonly tlsRootCertPem: Uint8Array;
  readonly serverName?: string;
  readonly clientCertPem?: Uint8Array;
  readonly clientKeyPem?: Uint8Array;
}

async function readOption(path: string, what: string): Promise<Buffer> {
  return readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new ClientError('BAD_REQUEST', `cannot read ${what} ${path}: ${err.code ?? err.message}`, { cause: err });
  });
}

function devnetUser(dir: string, mspId: string, user: string): { mspDir: string; tlsDir: string; certPath: string; keyPath: string } {
  const org = DEFAULT_NETWORK.organizations.find((o) => o.mspId === mspId);
  if (org === undefined) throw new ClientError('BAD_REQUEST', `--msp-id ${mspId} is not an organization of the devnet`);
  const home = join(dir, 'organizations', 'peerOrganizations', org.domain, 'users', `${user}@${org.domain}`);
  const mspDir = join(home, 'msp');
  return {
    mspDir,
    tlsDir: join(home, 'tls'),
    certPath: join(mspDir, 'signcerts', `${user}@${org.domain}-cert.pem`),
    keyPath: join(mspDir, 'keystore', 'priv_sk'),
  };
}

/** Where the network is (a devnet, a profile, flags) and who acts on it. Each piece resolved once. */
export class NetworkOptions {
  readonly #opts: ConnectionOptions;
  #profile: Promise<ConnectionProfile | undefined> | undefined;
  #run: Promise<RunInfo> | undefined;
  readonly #devnetDir: string | undefined;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    this.#devnetDir = devnetDirOf(opts);
    if (opts.endpoint !== undefined && opts.gateway !== undefined && opts.endpoint !== opts.gateway)
      throw new ClientError('BAD_REQUEST', '--endpoint and --gateway name different endpoints');
  }

  /** Whether any option names a network (a command may otherwise start a devnet of its own, instead of reading the default one). */
  get given(): boolean {
    const o = this.#opts;
    return [o.endpoint, o.gateway, o.profile, o.devnet, o.tlsCa].some((v) => v !== undefined);
  }

  get channel(): string {
    return this.#opts.channel;
  }

  #loadProfile(): Promise<ConnectionProfile | undefined> {
    return (this.#profile ??= this.#opts.profile === undefined ? Promise.resolve(undefined) : loadConnectionProfile(this.#opts.profile));
  }

  /** The devnet data directory the options name (see {@link devnetDirOf}). */
  get devnetDir(): string | undefined {
    return this.#devnetDir;
  }

  /** The run file of the devnet. @throws {@link ClientError} CONNECTION_FAILED, saying how to start one */
  #devnetRun(dir: string): Promise<RunInfo> {
    return (this.#run ??= readRunFile(resolve(dir)).then((info) => {
      if (info !== undefined) return info;
      const which =
        this.#opts.devnet === undefined
          ? `${resolve(dir)} (the default; --devnet DIR names another, --endpoint or --profile any Fabric network)`
          : resolve(dir);
      throw new ClientError(
        'CONNECTION_FAILED',
        `no running devnet recorded in ${which}: start it with \`${command(['devnet', 'up'], dir)}\``,
      );
    }));
  }

  /** The gateway: the flags', else the devnet's or the profile's; the client TLS pair of the command's user when a devnet asks for one. */
  async target(): Promise<GatewayTarget> {
    const o = this.#opts;
    const run = this.#devnetDir === undefined ? undefined : await this.#devnetRun(this.#devnetDir);
    const input: ConnectionInput = {
      ...(run !== undefined && {
        endpoint: run.endpoint,
        tlsCaPath: run.tlsCaCertPath,
        ...(run.tlsServerName !== undefined && { serverName: run.tlsServerName }),
      }),
      ...((o.endpoint ?? o.gateway) !== undefined && { endpoint: o.endpoint ?? o.gateway }),
      ...(o.tlsCa !== undefined && { tlsCaPath: o.tlsCa }),
      ...(o.serverName !== undefined && { serverName: o.serverName }),
      ...(o.gatewayPeer !== undefined && { peer: o.gatewayPeer }),
    };
    const t = await resolveGatewayTarget(input, await this.#loadProfile());
    let tlsCert = o.tlsCert;
    let tlsKey = o.tlsKey;
    if (run?.tlsClientAuth === true && tlsCert === undefined && tlsKey === undefined) {
      const user = devnetUser(resolve(this.#devnetDir!), o.mspId ?? 'CETSPMSP', o.user ?? 'User1');
      tlsCert = join(user.tlsDir, 'client.crt');
      tlsKey = join(user.tlsDir, 'client.key');
    }
    if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ClientError('BAD_REQUEST', '--tls-cert and --tls-key go together');
    return {
      endpoint: t.endpoint,
      tlsRootCertPem: t.tlsRootCertPem,
      ...(t.serverNameOverride !== undefined && { serverName: t.serverNameOverride }),
      ...(tlsCert !== undefined && {
        clientCertPem: await readOption(tlsCert, '--tls-cert'),
        clientKeyPem: await readOption(tlsKey!, '--tls-key'),
      }),
    };
  }

  /** The gateway checked (CONNECTION_REFUSED / TLS_FAILED otherwise), with the TLS server name to use. */
  async checkedTarget(): Promise<GatewayTarget & { readonly serverName: string }> {
    const target = await this.target();
    return { ...target, serverName: await checkTarget(target) };
  }

  /** A gRPC connection to the checked gateway. */
  async connect(): Promise<grpc.Client> {
    const t = await this.checkedTarget();
    return newGrpcConnection(t.endpoint, t.tlsRootCertPem, {
      serverName: t.serverName,
      ...(t.clientCertPem !== undefined && { clientCertPem: t.clientCertPem, clientKeyPem: t.clientKeyPem }),
    });
  }

  /**
   * The command's own identity: --cert and --key (with --msp-id, or the profile's client
   * organization), else user --user of --msp-id (default `defaultMspId`) from the devnet or the profile.
   */
  async identity(defaultMspId: string): Promise<ClientIdentity> {
    const o = this.#opts;
    if (o.cert !== undefined || o.key !== undefined) {
      const mspId = o.mspId ?? (o.profile === undefined ? defaultMspId : undefined);
      return resolveIdentity(
        {
          ...(mspId !== undefined && { mspId }),
          ...(o.cert !== undefined && { certPath: o.cert }),
          ...(o.key !== undefined && { keyPath: o.key }),
        },
        await this.#loadProfile(),
      );
    }
    if (this.#devnetDir === undefined && o.profile === undefined)
      throw new ClientError(
        'BAD_REQUEST',
        `missing ${(o.endpoint ?? o.gateway) ? '' : '--endpoint, '}${o.tlsCa ? '' : '--tls-ca, '}--msp-id, --cert, --key (or use --devnet DIR or --profile FILE)`,
      );
    return this.organizationIdentity(o.mspId ?? defaultMspId, o.user ?? 'User1');
  }

  /** User `user` of organization `mspId`, from the devnet's crypto material or the profile. */
  async organizationIdentity(mspId: string, user: string): Promise<ClientIdentity> {
    const o = this.#opts;
    if (this.#devnetDir !== undefined) {
      await this.#devnetRun(this.#devnetDir); // a devnet that does not run says so, before its files are read
      const files = devnetUser(resolve(this.#devnetDir), mspId, user);
      return resolveIdentity({ mspId, certPath: files.certPath, keyPath: files.keyPath }).catch(() => {
        throw new ClientError('BAD_REQUEST', `the devnet has no user ${user} in ${mspId}`);
      });
    }
    if (o.profile === undefined)
      throw new ClientError('BAD_REQUEST', `the identity of ${user} of ${mspId} comes from --devnet DIR or --profile FILE`);
    return resolveIdentity({ mspId, user }, await this.#loadProfile());
  }
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
  const serverName = await checkTarget({
    endpoint: opts.peer,
    tlsRootCertPem: await readOption(opts.tlsCa, '--tls-ca'),
    ...(opts.serverName !== undefined && { serverName: opts.serverName }),
  });
  return { ...opts, serverName };
}

/** A client on the gateway, with its gRPC connection and identity (for calls beyond the gateway's, as Deliver). */
export interface OpenNetwork {
  readonly client: MetroledgerClient;
  readonly connection: grpc.Client;
  readonly identity: ClientIdentity;
}

/** Opens a client (and its own gRPC connection) from the options, after checking that the gateway can be reached; `client.close()` closes both. */
export async function openNetwork(
  opts: ConnectionOptions,
  defaultMspId: string,
  clientOptions: Partial<MetroledgerClientOptions> = {},
): Promise<OpenNetwork> {
  const network = new NetworkOptions(opts);
  const identity = await network.identity(defaultMspId);
  const connection = await network.connect();
  const client = new MetroledgerClient({
    connection,
    ...identity,
    channel: opts.channel,
    retry: { maxAttempts: 3 },
    callTimeoutMs: 30_000,
    ...clientOptions,
  });
  const close = client.close.bind(client);
  client.close = () => {
    close();
    connection.close();
  };
  return { client, connection, identity };
}

/** Opens a MetroledgerClient (and its own gRPC connection, closed with it) from the options, after checking that the gateway can be reached. */
export async function openClient(
  opts: ConnectionOptions,
  defaultMspId: string,
  clientOptions: Partial<MetroledgerClientOptions> = {},
): Promise<MetroledgerClient> {
  return (await openNetwork(opts, defaultMspId, clientOptions)).client;
}

/** The signing identity the options name (default user: Admin of `defaultMspId`). */
export function identityOf(opts: ConnectionOptions, defaultMspId: string): Promise<ClientIdentity> {
  return new NetworkOptions({ ...opts, user: opts.user ?? 'Admin' }).identity(defaultMspId);
}
