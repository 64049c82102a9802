// SPDX-License-Identifier: Apache-2.0
// The configuration file: `metroledger.yaml` in the working directory, or the file --config (or
// METROLEDGER_CONFIG) names. It gives commands the values their flags would; a flag given on the
// command line (or an option's environment variable) wins over the file, the file over defaults.
// Relative paths in it are relative to the file. docs/OPERATIONS.md describes every key.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { CliError } from './commands/errors';

export const CONFIG_FILE = 'metroledger.yaml';
export const CONFIG_ENV = 'METROLEDGER_CONFIG';

type Kind = 'string' | 'path' | 'number' | 'boolean';

/** The keys of each section: the option (commander attribute) each sets, and its kind. */
const DEVNET_KEYS: Record<string, Kind> = {
  ordering: 'string',
  port: 'number',
  bftReplicas: 'number',
  bftDown: 'string',
  tlsClientAuth: 'boolean',
};
const NETWORK_KEYS: Record<string, Kind> = {
  endpoint: 'string',
  gateway: 'string',
  tlsCa: 'path',
  mspId: 'string',
  cert: 'path',
  key: 'path',
  serverName: 'string',
  tlsCert: 'path',
  tlsKey: 'path',
  profile: 'path',
  gatewayPeer: 'string',
  channel: 'string',
  devnet: 'path',
  user: 'string',
};
const TOP_KEYS = new Set(['data', 'logLevel', 'devnet', 'network']);

/** A configuration file, read and checked. */
export interface ConfigFile {
  readonly path: string;
  /** Every command's data directory (`--data`, and `--devnet` of the network commands without an endpoint). */
  readonly data?: string;
  readonly logLevel?: string;
  /** `devnet up` options, and its `--chaincode` specifications. */
  readonly devnet: { readonly options: Readonly<Record<string, string | boolean>>; readonly chaincodes?: readonly string[] };
  /** The network commands' connection options. */
  readonly network: Readonly<Record<string, string>>;
}

function bad(path: string, message: string): CliError {
  return new CliError('BAD_CONFIG_FILE', `${path}: ${message}`);
}

function value(path: string, where: string, kind: Kind, v: unknown): string | boolean {
  if (kind === 'boolean') {
    if (typeof v !== 'boolean') throw bad(path, `${where} must be true or false`);
    return v;
  }
  if (kind === 'number' ? typeof v !== 'number' && typeof v !== 'string' : typeof v !== 'string')
    throw bad(path, `${where} must be a ${kind === 'number' ? 'number' : 'string'}`);
  return kind === 'path' ? resolve(dirname(path), String(v)) : String(v);
}

function section(
  path: string,
  name: string,
  raw: unknown,
  keys: Record<string, Kind>,
  extra: readonly string[] = [],
): Record<string, string | boolean> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad(path, `${name} must be a mapping`);
  const out: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (extra.includes(k)) continue;
    const kind = keys[k];
    if (kind === undefined) throw bad(path, `unknown key ${name}.${k} (known: ${[...Object.keys(keys), ...extra].join(', ')})`);
    out[k] = value(path, `${name}.${k}`, kind, v);
  }
  return out;
}

/** A `devnet.chaincodes` entry as a `--chaincode` specification: `name=DIR[:policy]`, or {name, path, policy}. */
function chaincodeSpec(path: string, entry: unknown, i: number): string {
  if (typeof entry === 'string') {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw bad(path, `devnet.chaincodes[${i}] must be name=DIR[:policy] or {name, path, policy}`);
    const rest = entry.slice(eq + 1);
    const colon = rest.indexOf(':');
    const dir = colon < 0 ? rest : rest.slice(0, colon);
    return `${entry.slice(0, eq)}=${resolve(dirname(path), dir)}${colon < 0 ? '' : rest.slice(colon)}`;
  }
  const e = entry as { name?: unknown; path?: unknown; policy?: unknown } | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    typeof e.name !== 'string' ||
    typeof e.path !== 'string' ||
    (e.policy !== undefined && typeof e.policy !== 'string')
  ) {
    throw bad(path, `devnet.chaincodes[${i}] must be name=DIR[:policy] or {name, path, policy}`);
  }
  return `${e.name}=${resolve(dirname(path), e.path)}${e.policy === undefined ? '' : `:${e.policy}`}`;
}

/**
 * Reads the configuration file: `explicit` (--config), else METROLEDGER_CONFIG, else
 * ./metroledger.yaml when it exists. undefined when there is none.
 * @throws {@link CliError} BAD_CONFIG_FILE
 */
export function loadConfigFile(explicit: string | undefined): ConfigFile | undefined {
  const named = [explicit, process.env[CONFIG_ENV]].find((v) => v !== undefined && v !== '');
  const path = resolve(named ?? CONFIG_FILE);
  if (named === undefined && !existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw bad(path, (err as Error).message);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad(path, 'the file must be a mapping of keys to values');
  const top = raw as Record<string, unknown>;
  const unknown = Object.keys(top).filter((k) => !TOP_KEYS.has(k));
  if (unknown.length > 0) throw bad(path, `unknown key ${unknown.join(', ')} (known: ${[...TOP_KEYS].join(', ')})`);
  const devnetRaw = top['devnet'] as { chaincodes?: unknown } | undefined;
  const chaincodes = devnetRaw?.chaincodes;
  if (chaincodes !== undefined && !Array.isArray(chaincodes)) throw bad(path, 'devnet.chaincodes must be a list');
  return {
    path,
    ...(top['data'] !== undefined && { data: value(path, 'data', 'path', top['data']) as string }),
    ...(top['logLevel'] !== undefined && { logLevel: value(path, 'logLevel', 'string', top['logLevel']) as string }),
    devnet: {
      options: section(path, 'devnet', devnetRaw, DEVNET_KEYS, ['chaincodes']),
      ...(chaincodes !== undefined && { chaincodes: chaincodes.map((c: unknown, i: number) => chaincodeSpec(path, c, i)) }),
    },
    network: section(path, 'network', top['network'], NETWORK_KEYS) as Record<string, string>,
  };
}

/** Sets an option from the file unless the command line (or the environment) gave it. */
function fromFile(cmd: Command, key: string, v: unknown): void {
  if (!cmd.options.some((o) => o.attributeName() === key)) return;
  const source = cmd.getOptionValueSource(key);
  if (source === undefined || source === 'default') cmd.setOptionValueWithSource(key, v, 'config');
}

/** Gives the command about to run the file's values for the options it has. */
export function applyConfigFile(program: Command, cmd: Command, config: ConfigFile): void {
  if (config.logLevel !== undefined) fromFile(program, 'logLevel', config.logLevel);
  const path: string[] = [];
  for (let c: Command | null = cmd; c !== null && c !== program; c = c.parent) path.unshift(c.name());
  const has = (key: string): boolean => cmd.options.some((o) => o.attributeName() === key);
  if (has('endpoint')) {
    for (const [k, v] of Object.entries(config.network)) fromFile(cmd, k, v);
    // the data directory names the devnet, unless the command was pointed at another network, or
    // starts a devnet of its own when given none (start, bench: those with the notified body's
    // identity options), where a --devnet would make it drive that devnet instead
    const otherNetwork = ['endpoint', 'gateway', 'profile'].some((k) => cmd.getOptionValue(k) !== undefined);
    if (config.data !== undefined && !otherNetwork && !has('notifiedBodyCert')) fromFile(cmd, 'devnet', config.data);
  }
  if (config.data !== undefined) fromFile(cmd, 'data', config.data);
  if (path[0] === 'devnet' && path[1] === 'up') {
    for (const [k, v] of Object.entries(config.devnet.options)) fromFile(cmd, k, v);
    if (config.devnet.chaincodes !== undefined) fromFile(cmd, 'chaincode', config.devnet.chaincodes);
  }
}
