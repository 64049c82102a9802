// SPDX-License-Identifier: Apache-2.0
// Any Fabric chaincode on the devnet: `name=DIR[:policy]` specifications, the devnet's record of
// the chaincodes deployed on it (deployedrecord.ts, re-exported here), and the channel
// configuration's policies that Fabric's default endorsement policy refers to.
import { describeError } from '@metroledger/errors';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { hostChaincodeModule } from '@metroledger/chaincode-host';
import { configPolicyGroup, parseEndorsementPolicy, type ConfigPolicyGroup, type Policy } from '@metroledger/policy';
import { blockEnvelopes, parseCollectionsConfig, parseEnvelope, type CollectionConfig } from '@metroledger/protocol';
import { DevnetError } from './errors.js';
import type { DeployedChaincode } from './deployedrecord.js';
import type { ChaincodeConfig, NetworkConfig } from './network.js';

export {
  DEPLOYED_CHAINCODES_FILE,
  forgetDeployedChaincodes,
  readDeployedChaincodes,
  recordDeployedChaincodes,
  type DeployedChaincode,
} from './deployedrecord.js';

/** Fabric's endorsement policy when a chaincode definition names none (core/chaincode/lifecycle). */
export const DEFAULT_ENDORSEMENT_POLICY = '/Channel/Application/Endorsement';

const NAME = /^[A-Za-z0-9]+([A-Za-z0-9_-]*[A-Za-z0-9])?$/; // Fabric's chaincode name rule (lifecycle's ChaincodeNameRegExp)

function versionOf(dir: string): string {
  try {
    const v = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' && v !== '' ? v : '1.0';
  } catch {
    return '1.0';
  }
}

/**
 * Parses `name=DIR[:policy]` (the CLI's `--chaincode`): DIR is the chaincode's folder (with its own
 * node_modules), the policy any form {@link parseEndorsementPolicy} takes.
 * @throws {@link DevnetError} BAD_CONFIG
 */
export function parseChaincodeSpec(spec: string, network: NetworkConfig, cwd = process.cwd()): DeployedChaincode {
  const eq = spec.indexOf('=');
  if (eq <= 0)
    throw new DevnetError(
      'BAD_CONFIG',
      `--chaincode ${JSON.stringify(spec)}: expected name=DIR[:policy], e.g. basic=../asset-transfer-basic/chaincode-javascript`,
    );
  const name = spec.slice(0, eq);
  const rest = spec.slice(eq + 1);
  const colon = rest.indexOf(':');
  const dir = colon < 0 ? rest : rest.slice(0, colon);
  const policy = colon < 0 ? undefined : rest.slice(colon + 1).trim();
  return deployedChaincode({ name, dir, ...(policy !== undefined && policy !== '' && { endorsementPolicy: policy }) }, network, cwd);
}

/**
 * A chaincode to deploy, checked against the network: a name Fabric allows and no network
 * chaincode already has, a directory that exists, peers that exist.
 * @throws {@link DevnetError} BAD_CONFIG
 */
export function deployedChaincode(
  o: {
    name: string;
    dir: string;
    endorsementPolicy?: string;
    version?: string;
    installedOn?: readonly string[];
    collectionsConfig?: string;
  },
  network: NetworkConfig,
  cwd = process.cwd(),
): DeployedChaincode {
  if (!NAME.test(o.name))
    throw new DevnetError(
      'BAD_CONFIG',
      `chaincode name ${JSON.stringify(o.name)}: letters, digits, '-' and '_' only, starting and ending with a letter or digit`,
    );
  if (network.chaincodes.some((c) => c.name === o.name))
    throw new DevnetError('BAD_CONFIG', `chaincode name ${o.name} is taken by the network's own chaincode`, { chaincode: o.name });
  const path = resolve(cwd, o.dir);
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new DevnetError('BAD_CONFIG', `chaincode ${o.name}: ${path} is not a directory`, { chaincode: o.name, path });
  const withPeers = network.organizations.filter((org) => org.kind === 'peer' && (org.peers ?? []).length > 0).map((org) => org.mspId);
  const installedOn = o.installedOn ?? withPeers;
  const unknown = installedOn.filter((m) => !withPeers.includes(m));
  if (unknown.length > 0 || installedOn.length === 0)
    throw new DevnetError(
      'BAD_CONFIG',
      `chaincode ${o.name}: install it on organizations with peers (${withPeers.join(', ')}), not ${unknown.join(', ') || 'none'}`,
    );
  const collections = o.collectionsConfig === undefined ? undefined : readCollectionsConfig(resolve(cwd, o.collectionsConfig), network);
  return {
    name: o.name,
    version: o.version ?? versionOf(path),
    path,
    endorsementPolicy: o.endorsementPolicy ?? DEFAULT_ENDORSEMENT_POLICY,
    installedOn,
    ...(collections !== undefined && { collections }),
  };
}

/**
 * Gives chaincodes the collections of the CLI's `--collections-config` values: `NAME=FILE` for
 * chaincode NAME, or `FILE` alone when there is one chaincode (as Fabric's
 * `approveformyorg --collections-config FILE` for the one chaincode it approves).
 * @throws {@link DevnetError} BAD_CONFIG
 */
export function withCollectionsConfig(
  chaincodes: readonly DeployedChaincode[],
  values: readonly string[],
  network: NetworkConfig,
  cwd = process.cwd(),
): DeployedChaincode[] {
  const files = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const named = eq > 0 && chaincodes.some((c) => c.name === v.slice(0, eq));
    if (!named && chaincodes.length !== 1) {
      throw new DevnetError(
        'BAD_CONFIG',
        `--collections-config ${JSON.stringify(v)}: name the chaincode (NAME=FILE) among ${chaincodes.map((c) => c.name).join(', ') || 'none'}`,
      );
    }
    const name = named ? v.slice(0, eq) : chaincodes[0]!.name;
    if (files.has(name)) throw new DevnetError('BAD_CONFIG', `--collections-config given twice for chaincode ${name}`, { chaincode: name });
    files.set(name, resolve(cwd, named ? v.slice(eq + 1) : v));
  }
  return chaincodes.map((c) => {
    const file = files.get(c.name);
    return file === undefined ? c : { ...c, collections: readCollectionsConfig(file, network) };
  });
}

/**
 * Reads a collections configuration file, Fabric's collections_config.json (what
 * `peer lifecycle chaincode approveformyorg --collections-config` takes), checked against the
 * network's organizations.
 * @throws {@link DevnetError} BAD_CONFIG (unreadable file; BAD_COLLECTION_CONFIG's reason in the message and `details.code`)
 */
export function readCollectionsConfig(file: string, network: NetworkConfig): CollectionConfig[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DevnetError('BAD_CONFIG', `collections config ${file} cannot be read: ${describeError(err)}`, { path: file }, { cause: err });
  }
  try {
    return parseCollectionsConfig(
      text,
      network.organizations.filter((org) => org.kind === 'peer').map((org) => org.mspId),
    );
  } catch (err) {
    throw new DevnetError(
      'BAD_CONFIG',
      `collections config ${file}: ${describeError(err)}`,
      { path: file, code: (err as { code?: unknown }).code },
      { cause: err },
    );
  }
}

/**
 * Loads a chaincode's module once in this process, as a peer will: fails early (CHAINCODE_LOAD)
 * on a folder without `contracts`, a missing dependency, or a class that is no Contract.
 */
export function checkChaincodeLoads(d: DeployedChaincode): void {
  try {
    hostChaincodeModule({ name: d.name, version: d.version, dir: d.path });
  } catch (err) {
    throw new DevnetError(
      'CHAINCODE_LOAD',
      `chaincode ${d.name} (${d.path}) cannot be loaded: ${(err as Error).message}`,
      { chaincode: d.name },
      { cause: err },
    );
  }
}

/** A deployed chaincode as the network configuration's chaincode entry. */
export function chaincodeConfigOf(d: DeployedChaincode): ChaincodeConfig {
  return {
    name: d.name,
    version: d.version,
    module: d.path,
    endorsementPolicy: d.endorsementPolicy,
    installedOn: d.installedOn,
    ...(d.collections !== undefined && { collections: d.collections }),
  };
}

/**
 * The policies of a channel's configuration block (the genesis block): what channel-config policy
 * references and ImplicitMeta rules resolve against.
 * @throws {@link DevnetError} BAD_CONFIG when the block holds no channel configuration
 */
export function channelPoliciesOf(configBlock: common.Block): ConfigPolicyGroup {
  const envelopes = blockEnvelopes(configBlock);
  const configEnvelope = envelopes.length === 1 ? parseEnvelope(envelopes[0]!).configEnvelope : undefined;
  const group =
    configEnvelope === undefined ? undefined : common.ConfigEnvelope.deserializeBinary(configEnvelope).getConfig()?.getChannelGroup();
  if (group === undefined) throw new DevnetError('BAD_CONFIG', 'the channel configuration block holds no channel group');
  return configPolicyGroup(group);
}

/**
 * A chaincode's endorsement policy resolved against the channel's policies.
 * @throws {@link DevnetError} BAD_CONFIG
 */
export function endorsementPolicyOf(cc: Pick<ChaincodeConfig, 'name' | 'endorsementPolicy'>, channel: ConfigPolicyGroup): Policy {
  try {
    return parseEndorsementPolicy(cc.endorsementPolicy, channel);
  } catch (err) {
    throw new DevnetError('BAD_CONFIG', `endorsement policy of ${cc.name}: ${describeError(err)}`, { chaincode: cc.name }, { cause: err });
  }
}
