// SPDX-License-Identifier: Apache-2.0
// A channel configuration transaction after genesis, checked as Fabric's configtx validator would
// (common/configtx: verifyDeltaSet, policyForItem): every element of the configuration that the new
// config changes, adds or removes must carry the right version and be authorized by the mod_policy
// it had in the previous configuration, evaluated on the signatures of the update the orderer
// applied (ConfigEnvelope.last_update). Rather than re-applying that update, the previous and the
// new configuration are compared element by element, so that nothing changes unauthorized whatever
// the update said.
import { common } from '@hyperledger/fabric-protos';
import { evaluatePolicy } from '@metroledger/policy';
import type { Identity } from '@metroledger/identity';
import { ChannelPolicies } from './channel';

export interface ConfigCheckDeps {
  readonly channelId: string;
  deserialize(serialized: Uint8Array): Identity | undefined;
  isMember(id: Identity): boolean;
  satisfiesPrincipal: Parameters<typeof evaluatePolicy<Identity>>[2];
  verify(id: Identity, message: Uint8Array, signature: Uint8Array): boolean;
}

export interface ConfigUpdateCheck {
  /** The new configuration (common.Config bytes) when it parses. */
  readonly config?: Uint8Array;
  readonly sequence: number;
  /** Elements changed, added or removed ('[Value] /Channel/Orderer/BatchTimeout'). */
  readonly changed: readonly string[];
  /** Who signed the update (valid signatures of channel members). */
  readonly signers: readonly string[];
  /** Every reason the update is not authorized; empty when it is. */
  readonly problems: readonly string[];
  /** Signatures verified. */
  readonly signaturesVerified: number;
}

interface Element {
  readonly kind: 'Group' | 'Value' | 'Policy';
  readonly path: readonly string[]; // the group holding it; for a group, its own path
  readonly version: number;
  readonly modPolicy: string;
  readonly content: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const keyOf = (kind: Element['kind'], path: readonly string[], name?: string): string =>
  `[${kind}] /${[...path, ...(name === undefined ? [] : [name])].join('/')}`;

function sortedKeys(map: { keys(): unknown }): string[] {
  return [...(map.keys() as unknown as Iterable<string>)].sort();
}

/** The configuration as Fabric's configmap: one element per group, value and policy, keyed by path. */
function flatten(group: common.ConfigGroup, path: readonly string[], out: Map<string, Element>): void {
  const groups = group.getGroupsMap();
  const values = group.getValuesMap();
  const policies = group.getPoliciesMap();
  const children = [
    ...sortedKeys(groups).map((k) => `g:${k}`),
    ...sortedKeys(values).map((k) => `v:${k}`),
    ...sortedKeys(policies).map((k) => `p:${k}`),
  ];
  out.set(keyOf('Group', path), {
    kind: 'Group',
    path,
    version: group.getVersion(),
    modPolicy: group.getModPolicy(),
    content: children.join(','),
  });
  for (const k of sortedKeys(values)) {
    const v = values.get(k)!;
    out.set(keyOf('Value', path, k), {
      kind: 'Value',
      path,
      version: v.getVersion(),
      modPolicy: v.getModPolicy(),
      content: hex(v.getValue_asU8()),
    });
  }
  for (const k of sortedKeys(policies)) {
    const p = policies.get(k)!;
    out.set(keyOf('Policy', path, k), {
      kind: 'Policy',
      path,
      version: p.getVersion(),
      modPolicy: p.getModPolicy(),
      content: `${p.getPolicy()?.getType() ?? -1}:${hex(p.getPolicy()?.getValue_asU8() ?? new Uint8Array(0))}`,
    });
  }
  for (const k of sortedKeys(groups)) flatten(groups.get(k)!, [...path, k], out);
}

function configMap(config: common.Config): Map<string, Element> {
  const out = new Map<string, Element>();
  flatten(config.getChannelGroup() ?? new common.ConfigGroup(), ['Channel'], out);
  return out;
}

/** The group holding an element (a group's parent is the group above it). */
function parentKey(e: Element): string | undefined {
  const groupPath = e.kind === 'Group' ? e.path.slice(0, -1) : e.path;
  return groupPath.length === 0 ? undefined : keyOf('Group', groupPath);
}

/**
 * Checks the CONFIG transaction `configEnvelope` (common.ConfigEnvelope bytes) against the
 * configuration before it.
 */
export function checkConfigUpdate(previous: common.Config, configEnvelope: Uint8Array, deps: ConfigCheckDeps): ConfigUpdateCheck {
  const problems: string[] = [];
  let env: common.ConfigEnvelope;
  try {
    env = common.ConfigEnvelope.deserializeBinary(configEnvelope);
  } catch (err) {
    return {
      sequence: -1,
      changed: [],
      signers: [],
      problems: [`the ConfigEnvelope does not parse: ${(err as Error).message}`],
      signaturesVerified: 0,
    };
  }
  const next = env.getConfig();
  if (next === undefined)
    return { sequence: -1, changed: [], signers: [], problems: ['the ConfigEnvelope holds no config'], signaturesVerified: 0 };
  if (next.getSequence() !== previous.getSequence() + 1)
    problems.push(`config sequence ${next.getSequence()} does not follow ${previous.getSequence()}`);

  // The update the orderer applied, and who signed it.
  const signers: Identity[] = [];
  let verified = 0;
  try {
    const last = env.getLastUpdate();
    if (last === undefined) throw new Error('no last_update');
    const payload = common.Payload.deserializeBinary(last.getPayload_asU8());
    const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0));
    if (ch.getType() !== common.HeaderType.CONFIG_UPDATE) problems.push(`last_update has header type ${ch.getType()}, not CONFIG_UPDATE`);
    const cue = common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8());
    const updateBytes = cue.getConfigUpdate_asU8();
    const update = common.ConfigUpdate.deserializeBinary(updateBytes);
    if (update.getChannelId() !== deps.channelId || ch.getChannelId() !== deps.channelId)
      problems.push(`the update is for channel ${update.getChannelId()}`);
    for (const s of cue.getSignaturesList()) {
      const sh = s.getSignatureHeader_asU8();
      const id = deps.deserialize(common.SignatureHeader.deserializeBinary(sh).getCreator_asU8());
      verified++;
      if (id === undefined || !deps.isMember(id)) continue;
      if (deps.verify(id, Buffer.concat([sh, updateBytes]), s.getSignature_asU8())) signers.push(id);
    }
  } catch (err) {
    problems.push(`the update it applied (last_update) does not parse: ${(err as Error).message}`);
  }

  const before = configMap(previous);
  const after = configMap(next);
  const policies = new ChannelPolicies(previous);
  const changedKeys = new Set<string>();
  for (const [key, n] of after) {
    const o = before.get(key);
    if (o === undefined) {
      if (n.version !== 0) problems.push(`${key} is added at version ${n.version}, not 0`);
      changedKeys.add(key);
    } else if (n.version === o.version) {
      if (n.content !== o.content || n.modPolicy !== o.modPolicy) problems.push(`${key} changed without a new version`);
    } else if (n.version !== o.version + 1) {
      problems.push(`${key} goes from version ${o.version} to ${n.version}`);
      changedKeys.add(key);
    } else {
      changedKeys.add(key);
    }
  }
  for (const key of before.keys()) if (!after.has(key)) changedKeys.add(key);

  for (const key of changedKeys) {
    const o = before.get(key);
    if (o === undefined || !after.has(key)) {
      // Added or removed: its group must be modified (and so authorized) too.
      const parent = parentKey((o ?? after.get(key))!);
      if (
        parent !== undefined &&
        !(before.has(parent) && after.has(parent) && after.get(parent)!.version === before.get(parent)!.version + 1)
      ) {
        problems.push(`${key} is ${o === undefined ? 'added' : 'removed'} without a new version of ${parent}`);
      }
      continue;
    }
    const mod = o.modPolicy;
    if (mod === '') {
      problems.push(`${key} has no mod_policy`);
      continue;
    }
    const resolved = mod.startsWith('/') ? policies.resolve(mod) : policies.policyIn(o.path, mod);
    if (resolved === undefined) {
      problems.push(`${key}: its mod_policy ${mod} is not in the configuration`);
      continue;
    }
    if (!evaluatePolicy(resolved.policy, signers, deps.satisfiesPrincipal)) {
      problems.push(
        `${key} changed, but the update's signatures (${signers.map((s) => `${s.mspId}/${s.commonName}`).join(', ') || 'none valid'}) do not satisfy its mod_policy ${mod} (${resolved.text})`,
      );
    }
  }
  if (changedKeys.size === 0) problems.push('the new configuration changes nothing');
  return {
    config: next.serializeBinary(),
    sequence: next.getSequence(),
    changed: [...changedKeys].sort(),
    signers: signers.map((s) => `${s.mspId}/${s.commonName}`),
    problems,
    signaturesVerified: verified,
  };
}
