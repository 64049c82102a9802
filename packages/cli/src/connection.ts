// SPDX-License-Identifier: Apache-2.0
// The connection options of every network command (governance, meters, the main job, the bench):
// a running devnet's data directory, Fabric's connection profile (JSON or YAML), or flags. The
// resolution itself lives in @metroledger/client (resolveGatewayTarget, resolveIdentity).
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  ClientError, loadConnectionProfile, MetroledgerClient, newGrpcConnection, resolveGatewayTarget, resolveIdentity,
  type ClientIdentity, type ConnectionInput, type ConnectionProfile, type GatewayTarget, type MetroledgerClientOptions,
} from '@metroledger/client';
import { DEFAULT_NETWORK, readRunFile } from '@metroledger/devnet';

export interface ConnectionOptions {
  endpoint?: string;
  gateway?: string;
  tlsCa?: string;
  mspId?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  profile?: string;
  gatewayPeer?: string;
  channel: string;
  devnet?: string;
  user?: string;
}

/** Adds the network connection options to a command; `defaults` name the identity used with --devnet or --profile. */
export function withConnectionOptions(cmd: Command, defaults: { mspId: string; user: string }): Command {
  return cmd
    .option('--endpoint <host:port>', 'gateway peer endpoint')
    .option('--gateway <host:port>', 'the same as --endpoint')
    .option('--tls-ca <file>', "PEM of the CA that issued the gateway's TLS certificate")
    .option('--server-name <name>', 'TLS server name override (when the endpoint is not the certificate name)')
    .option('--profile <file>', "Fabric connection profile (JSON or YAML): the gateway peer, its TLS CA and the organizations' identities")
    .option('--gateway-peer <name>', "with --profile: the profile's peer to use as gateway (default: the client organization's first)")
    .option('--msp-id <id>', `MSP id of the identity (default with --devnet or --profile: ${defaults.mspId})`)
    .option('--cert <file>', 'X.509 certificate (PEM) of the identity')
    .option('--key <file>', 'private key (PEM) of the identity')
    .option('--channel <name>', 'channel', 'metrology')
    .option('--devnet <dir>', 'take endpoint, TLS CA and identity from a running devnet data directory')
    .option('--user <name>', `the identity's user with --devnet or --profile: Admin or User1 (default ${defaults.user})`, defaults.user);
}

/** Where the network is: a devnet, a profile, flags. Resolved once per command. */
export class NetworkOptions {
  readonly #opts: ConnectionOptions;
  #profile: Promise<ConnectionProfile | undefined> | undefined;
  #devnetInput: Promise<ConnectionInput> | undefined;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    if (opts.endpoint !== undefined && opts.gateway !== undefined && opts.endpoint !== opts.gateway) throw new Error('--endpoint and --gateway name different endpoints');
  }

  /** Whether any option names a network (as opposed to none: a command may then start its own devnet). */
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

  /** The gateway peer: the flags', else the devnet's or the profile's. */
  async target(): Promise<GatewayTarget> {
    const o = this.#opts;
    const devnet = o.devnet === undefined ? {} : await (this.#devnetInput ??= devnetInput(o.devnet));
    return resolveGatewayTarget({
      ...devnet,
      ...(o.endpoint ?? o.gateway) !== undefined && { endpoint: o.endpoint ?? o.gateway },
      ...(o.tlsCa !== undefined && { tlsCaPath: o.tlsCa }),
      ...(o.serverName !== undefined && { serverName: o.serverName }),
      ...(o.gatewayPeer !== undefined && { peer: o.gatewayPeer }),
    }, await this.#loadProfile());
  }

  /**
   * The command's own identity: --cert and --key (with --msp-id, or the profile's client
   * organization), else user --user of --msp-id (default `defaultMspId`) from the devnet or the profile.
   */
  async identity(defaultMspId: string): Promise<ClientIdentity> {
    const o = this.#opts;
    if (o.cert !== undefined || o.key !== undefined) {
      return resolveIdentity({ ...(o.mspId !== undefined && { mspId: o.mspId }), ...(o.cert !== undefined && { certPath: o.cert }), ...(o.key !== undefined && { keyPath: o.key }) }, await this.#loadProfile());
    }
    if (o.devnet === undefined && o.profile === undefined) throw new ClientError('BAD_CONFIG', `missing ${o.mspId === undefined ? '--msp-id, ' : ''}--cert and --key (or use --devnet DIR or --profile FILE)`);
    return this.organizationIdentity(o.mspId ?? defaultMspId, o.user ?? 'User1');
  }

  /** User `user` of organization `mspId`, from the devnet's crypto material or the profile. */
  async organizationIdentity(mspId: string, user: string): Promise<ClientIdentity> {
    const o = this.#opts;
    if (o.devnet !== undefined) return resolveIdentity(devnetUser(o.devnet, mspId, user));
    if (o.profile === undefined) throw new ClientError('BAD_CONFIG', `the identity of ${user} of ${mspId} comes from --devnet DIR or --profile FILE`);
    return resolveIdentity({ mspId, user }, await this.#loadProfile());
  }
}

async function devnetInput(dataDir: string): Promise<ConnectionInput> {
  const dir = resolve(dataDir);
  const info = await readRunFile(dir);
  if (info === undefined) throw new Error(`no running devnet recorded in ${dir} (start it with \`metroledger devnet up --data ${dataDir}\`)`);
  return { endpoint: info.endpoint, tlsCaPath: info.tlsCaCertPath };
}

function devnetUser(dataDir: string, mspId: string, user: string): Pick<ConnectionInput, 'certPath' | 'keyPath' | 'mspId'> {
  const org = DEFAULT_NETWORK.organizations.find((o) => o.mspId === mspId);
  if (org === undefined) throw new Error(`--msp-id ${mspId} is not an organization of the devnet`);
  const msp = join(resolve(dataDir), 'organizations', 'peerOrganizations', org.domain, 'users', `${user}@${org.domain}`, 'msp');
  return { mspId, certPath: join(msp, 'signcerts', `${user}@${org.domain}-cert.pem`), keyPath: join(msp, 'keystore', 'priv_sk') };
}

/** Opens a MetroledgerClient (and its own gRPC connection, closed with it) from the options. */
export async function openClient(opts: ConnectionOptions, defaultMspId: string, clientOptions: Partial<MetroledgerClientOptions> = {}): Promise<MetroledgerClient> {
  const network = new NetworkOptions(opts);
  const [target, identity] = await Promise.all([network.target(), network.identity(defaultMspId)]);
  const connection = newGrpcConnection(target.endpoint, target.tlsRootCertPem, target.serverNameOverride);
  const client = new MetroledgerClient({ connection, ...identity, channel: opts.channel, retry: { maxAttempts: 3 }, callTimeoutMs: 30_000, ...clientOptions });
  const close = client.close.bind(client);
  client.close = () => {
    close();
    connection.close();
  };
  return client;
}

/** The identity the options name (for signing what a command submits, e.g. an approval). */
export function identityOf(opts: ConnectionOptions, defaultMspId: string): Promise<ClientIdentity> {
  return new NetworkOptions(opts).identity(defaultMspId);
}
