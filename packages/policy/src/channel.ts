// SPDX-License-Identifier: Apache-2.0
// Fabric's other endorsement policy forms: ImplicitMeta rules ('MAJORITY Endorsement') and
// channel-config policy references ('/Channel/Application/Endorsement', the default of
// `peer lifecycle chaincode approveformyorg` without --signature-policy), resolved against the
// channel configuration into a signature policy.
import { common } from '@hyperledger/fabric-protos';
import { fromSignaturePolicyEnvelope } from './envelope.js';
import { PolicyError } from './errors.js';
import { parsePolicy, type Policy } from './policy.js';

export type ImplicitMetaRule = 'ANY' | 'ALL' | 'MAJORITY';

/** An ImplicitMeta policy: `rule` over the policy named `subPolicy` of each subgroup of its group. */
export interface ImplicitMetaPolicy {
  readonly kind: 'implicitMeta';
  readonly rule: ImplicitMetaRule;
  readonly subPolicy: string;
}

/** A policy of a channel configuration group. */
export type ConfigPolicy = Policy | ImplicitMetaPolicy;

/** A channel configuration group's policies and subgroups (the /Channel group and below). */
export interface ConfigPolicyGroup {
  readonly policies: ReadonlyMap<string, ConfigPolicy>;
  readonly groups: ReadonlyMap<string, ConfigPolicyGroup>;
}

const RULES: readonly ImplicitMetaRule[] = ['ANY', 'ALL', 'MAJORITY'];

/**
 * Parses an ImplicitMeta rule as configtxgen's `Rule:` (Fabric's ImplicitMetaFromString): exactly
 * two space-separated tokens, ANY|ALL|MAJORITY and the sub-policy name.
 * @throws {@link PolicyError} SYNTAX
 */
export function parseImplicitMeta(text: string): ImplicitMetaPolicy {
  const args = text.split(' ');
  if (args.length !== 2 || args[1] === '')
    throw new PolicyError(
      'SYNTAX',
      `an ImplicitMeta rule is two space-separated tokens (e.g. 'MAJORITY Endorsement'), not ${JSON.stringify(text)}`,
      { position: 0 },
    );
  const rule = args[0] as ImplicitMetaRule;
  if (!RULES.includes(rule))
    throw new PolicyError('SYNTAX', `unknown ImplicitMeta rule '${args[0]}', expected ALL, ANY, or MAJORITY`, { position: 0 });
  return { kind: 'implicitMeta', rule, subPolicy: args[1]! };
}

/** Whether `text` has the form of an ImplicitMeta rule ('MAJORITY Endorsement'). */
export function isImplicitMeta(text: string): boolean {
  return /^(ANY|ALL|MAJORITY) [^\s]+$/.test(text);
}

/**
 * The policies of a channel configuration's group (common.Config's channel group: `/Channel`),
 * with its subgroups. Signature and ImplicitMeta policies are read; a policy of another type
 * (MSP) is left out, as if absent.
 * @throws {@link PolicyError} MALFORMED_ENVELOPE when a policy's bytes do not parse
 */
export function configPolicyGroup(group: common.ConfigGroup): ConfigPolicyGroup {
  const policies = new Map<string, ConfigPolicy>();
  for (const [name, cp] of group.getPoliciesMap().entries() as unknown as Iterable<[string, common.ConfigPolicy]>) {
    const p = cp.getPolicy();
    if (p === undefined) continue;
    if (p.getType() === common.Policy.PolicyType.SIGNATURE) {
      policies.set(name, fromSignaturePolicyEnvelope(p.getValue_asU8()));
    } else if (p.getType() === common.Policy.PolicyType.IMPLICIT_META) {
      let im: common.ImplicitMetaPolicy;
      try {
        im = common.ImplicitMetaPolicy.deserializeBinary(p.getValue_asU8());
      } catch (err) {
        throw new PolicyError('MALFORMED_ENVELOPE', `policy ${name} is not a common.ImplicitMetaPolicy`, undefined, { cause: err });
      }
      const rule = RULES.find((r) => common.ImplicitMetaPolicy.Rule[r] === im.getRule());
      if (rule === undefined) throw new PolicyError('MALFORMED_ENVELOPE', `policy ${name} has unknown ImplicitMeta rule ${im.getRule()}`);
      policies.set(name, { kind: 'implicitMeta', rule, subPolicy: im.getSubPolicy() });
    }
  }
  const groups = new Map<string, ConfigPolicyGroup>();
  for (const [name, g] of group.getGroupsMap().entries() as unknown as Iterable<[string, common.ConfigGroup]>)
    groups.set(name, configPolicyGroup(g));
  return { policies, groups };
}

function unknownReference(path: string, why: string): PolicyError {
  return new PolicyError('UNKNOWN_REFERENCE', `channel config policy ${path}: ${why}`, { reference: path });
}

/**
 * A group's policy as a signature policy. An ImplicitMeta policy becomes OutOf(threshold, each
 * subgroup's sub-policy), as Fabric converts one for discovery (common/policies/convert.go); its
 * threshold counts every subgroup, and a subgroup without the sub-policy counts without ever
 * holding, as Fabric evaluates it (implicitmeta.go). Evaluating the result equals evaluating the
 * ImplicitMeta policy when each subgroup's policy names only its own MSP, as an organization's do.
 */
function toSignaturePolicy(group: ConfigPolicyGroup, name: string, path: string, depth: number): Policy {
  const p = group.policies.get(name);
  if (p === undefined) throw unknownReference(path, `no policy ${name}`);
  if (p.kind !== 'implicitMeta') return p;
  if (depth > 8) throw unknownReference(path, 'ImplicitMeta policies nested too deeply');
  const names = [...group.groups.keys()].sort();
  const rules = names
    .filter((g) => group.groups.get(g)!.policies.has(p.subPolicy))
    .map((g) => toSignaturePolicy(group.groups.get(g)!, p.subPolicy, `${path}/${g}`, depth + 1));
  const n = names.length === 0 ? 0 : p.rule === 'ANY' ? 1 : p.rule === 'ALL' ? names.length : Math.floor(names.length / 2) + 1;
  return { kind: 'outOf', n, rules };
}

/**
 * Resolves a channel-config policy reference such as `/Channel/Application/Endorsement` (or
 * `/Channel/Application/Org1MSP/Endorsement`) against the `/Channel` group.
 * @throws {@link PolicyError} UNKNOWN_REFERENCE
 */
export function resolvePolicyReference(channel: ConfigPolicyGroup, reference: string): Policy {
  const parts = reference.split('/');
  if (parts[0] !== '' || parts[1] !== 'Channel' || parts.length < 3 || parts.some((p, i) => i > 0 && p === '')) {
    throw unknownReference(reference, 'a reference is an absolute path from /Channel, e.g. /Channel/Application/Endorsement');
  }
  let group = channel;
  for (const name of parts.slice(2, -1)) {
    const next = group.groups.get(name);
    if (next === undefined) throw unknownReference(reference, `no group ${name}`);
    group = next;
  }
  return toSignaturePolicy(group, parts.at(-1)!, reference, 0);
}

/**
 * Parses a chaincode endorsement policy in any of the forms a Fabric network takes:
 * - signature syntax, `AND('Org1MSP.peer','Org2MSP.peer')` (parsePolicy);
 * - a channel-config policy reference, `/Channel/Application/Endorsement` (Fabric's default);
 * - an ImplicitMeta rule over the application organizations, `MAJORITY Endorsement` (the rule
 *   configtxgen writes for /Channel/Application/Endorsement).
 * The last two need the channel configuration (`channel`: the /Channel group) and come back as
 * the equivalent signature policy.
 * @throws {@link PolicyError} SYNTAX, INVALID, UNKNOWN_REFERENCE
 */
export function parseEndorsementPolicy(text: string, channel?: ConfigPolicyGroup): Policy {
  if (typeof text !== 'string') throw new PolicyError('SYNTAX', 'policy must be a string', { position: 0 });
  const trimmed = text.trim();
  const reference = trimmed.startsWith('/');
  if (!reference && !isImplicitMeta(trimmed)) return parsePolicy(text);
  if (channel === undefined) throw unknownReference(trimmed, 'needs the channel configuration to resolve');
  if (reference) return resolvePolicyReference(channel, trimmed);
  const application = channel.groups.get('Application');
  if (application === undefined) throw unknownReference(trimmed, 'the channel has no Application group');
  const anonymous: ConfigPolicyGroup = { policies: new Map([['', parseImplicitMeta(trimmed)]]), groups: application.groups };
  return toSignaturePolicy(anonymous, '', `${trimmed} (over /Channel/Application)`, 0);
}
