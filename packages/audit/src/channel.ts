// SPDX-License-Identifier: Apache-2.0
// The policies of a Fabric channel configuration, resolved into signature policies the audit can
// evaluate: /Channel/Application/LifecycleEndorsement, each organization's Endorsement policy, the
// policies a chaincode definition refers to, and the mod_policy of each configuration element.
//
// An ImplicitMeta policy ("MAJORITY Endorsement") becomes OutOf(threshold, <each sub-group's
// policy>), with Fabric's threshold (common/policies/implicitmeta.go: ANY 1, ALL n, MAJORITY
// n/2+1, 0 without sub-groups; a sub-group lacking the policy counts as one never satisfied). Fabric
// evaluates each sub-policy on all signatures, the signature-policy OutOf uses each signer once:
// the two agree when each organization's policies name only its own MSP, as configtxgen writes them.
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { fromSignaturePolicyEnvelope, UNSATISFIABLE, type Policy } from '@metroledger/policy';

export interface ResolvedPolicy {
  readonly policy: Policy;
  /** How the configuration states it, for reports ("MAJORITY Endorsement at /Channel/Application"). */
  readonly text: string;
}

const RULES = new Map<number, 'ANY' | 'ALL' | 'MAJORITY'>([
  [common.ImplicitMetaPolicy.Rule.ANY, 'ANY'],
  [common.ImplicitMetaPolicy.Rule.ALL, 'ALL'],
  [common.ImplicitMetaPolicy.Rule.MAJORITY, 'MAJORITY'],
]);

function entries<V>(map: { entries(): unknown }): [string, V][] {
  return [...(map.entries() as unknown as Iterable<[string, V]>)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A policy that needs one signature of any member of each given MSP, `n` of them (Fabric's policydsl.SignedByNOutOfGivenRole). */
function membersOf(mspIds: readonly string[], n: number): Policy {
  return { kind: 'outOf', n, rules: mspIds.map((mspId) => ({ kind: 'signedBy', principal: { mspId, role: 'member' } })) };
}

export class ChannelPolicies {
  readonly #root: common.ConfigGroup;

  constructor(config: common.Config) {
    this.#root = config.getChannelGroup() ?? new common.ConfigGroup();
  }

  static fromBytes(configBytes: Uint8Array): ChannelPolicies {
    return new ChannelPolicies(common.Config.deserializeBinary(configBytes));
  }

  #group(path: readonly string[]): common.ConfigGroup | undefined {
    // path[0] is 'Channel', the root group
    let g: common.ConfigGroup | undefined = this.#root;
    for (const name of path.slice(1)) g = g?.getGroupsMap().get(name);
    return g;
  }

  /** The policy `name` defined in the group at `groupPath` (['Channel', 'Application', …]). */
  policyIn(groupPath: readonly string[], name: string, depth = 0): ResolvedPolicy | undefined {
    const at = `/${[...groupPath, name].join('/')}`;
    const cp = this.#group(groupPath)?.getPoliciesMap().get(name);
    const p = cp?.getPolicy();
    if (p === undefined) return undefined;
    switch (p.getType()) {
      case common.Policy.PolicyType.SIGNATURE:
        try {
          return { policy: fromSignaturePolicyEnvelope(p.getValue_asU8()), text: at };
        } catch (err) {
          return { policy: UNSATISFIABLE, text: `${at} (cannot be evaluated: ${(err as Error).message})` };
        }
      case common.Policy.PolicyType.IMPLICIT_META: {
        if (depth > 8) return { policy: UNSATISFIABLE, text: `${at} (nested too deeply)` };
        const meta = common.ImplicitMetaPolicy.deserializeBinary(p.getValue_asU8());
        const rule = RULES.get(meta.getRule()) ?? 'ANY';
        const subgroups = entries<common.ConfigGroup>(this.#group(groupPath)?.getGroupsMap() ?? new Map());
        const subs = subgroups.map(([g]) => this.policyIn([...groupPath, g], meta.getSubPolicy(), depth + 1)?.policy ?? UNSATISFIABLE);
        const n = subs.length;
        const threshold = n === 0 ? 0 : rule === 'ANY' ? 1 : rule === 'ALL' ? n : Math.floor(n / 2) + 1;
        return { policy: { kind: 'outOf', n: threshold, rules: subs }, text: `${rule} ${meta.getSubPolicy()} at /${groupPath.join('/')}` };
      }
      default:
        return { policy: UNSATISFIABLE, text: `${at} (policy type ${p.getType()} is not supported)` };
    }
  }

  /**
   * A policy by path: absolute (/Channel/Application/Endorsement), or relative to /Channel
   * (Application/Endorsement), as Fabric's policy manager takes it (common/policies ManagerImpl.GetPolicy).
   */
  resolve(path: string): ResolvedPolicy | undefined {
    const absolute = path.startsWith('/');
    const parts = path.split('/').filter((s) => s !== '');
    if (absolute && parts[0] !== 'Channel') return undefined;
    const inChannel = absolute ? parts : ['Channel', ...parts];
    if (inChannel.length < 2) return undefined;
    return this.policyIn(inChannel.slice(0, -1), inChannel[inChannel.length - 1]!);
  }

  /** Application organizations: config group name and MSP id. */
  applicationOrgs(): { group: string; mspId: string }[] {
    return entries<common.ConfigGroup>(this.#group(['Channel', 'Application'])?.getGroupsMap() ?? new Map()).map(([group, g]) => {
      let mspId = group;
      const v = g.getValuesMap().get('MSP');
      if (v !== undefined) {
        try {
          mspId = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(v.getValue_asU8()).getConfig_asU8()).getName();
        } catch {
          // keep the group name
        }
      }
      return { group, mspId };
    });
  }

  /**
   * The policy a `_lifecycle` transaction that writes chaincode definitions must satisfy
   * (core/chaincode/lifecycle: LifecycleEndorsement, or a majority of the organizations' members).
   */
  lifecycleEndorsement(): ResolvedPolicy {
    const p = this.resolve('/Channel/Application/LifecycleEndorsement');
    if (p !== undefined) return p;
    const orgs = this.applicationOrgs().map((o) => o.mspId);
    return {
      policy: membersOf(orgs, Math.floor(orgs.length / 2) + 1),
      text: 'a majority of the organizations (no LifecycleEndorsement policy)',
    };
  }

  /**
   * The policy of an organization's implicit collection (`_implicit_org_<MSP id>`), which its
   * approveformyorg writes: its Endorsement policy, or any member of it (ImplicitCollectionEndorsementPolicyAsBytes).
   */
  implicitCollectionPolicy(mspId: string): ResolvedPolicy | undefined {
    const org = this.applicationOrgs().find((o) => o.mspId === mspId);
    if (org === undefined) return undefined;
    return (
      this.policyIn(['Channel', 'Application', org.group], 'Endorsement') ?? {
        policy: membersOf([mspId], 1),
        text: `any member of ${mspId}`,
      }
    );
  }

  /** A chaincode definition's endorsement policy (peer.ApplicationPolicy bytes). */
  applicationPolicy(bytes: Uint8Array): ResolvedPolicy {
    let ap: peer.ApplicationPolicy;
    try {
      ap = peer.ApplicationPolicy.deserializeBinary(bytes);
    } catch (err) {
      return { policy: UNSATISFIABLE, text: `an unreadable ApplicationPolicy (${(err as Error).message})` };
    }
    if (ap.hasChannelConfigPolicyReference()) {
      const ref = ap.getChannelConfigPolicyReference();
      return this.resolve(ref) ?? { policy: UNSATISFIABLE, text: `${ref} (not in the channel configuration)` };
    }
    const env = ap.getSignaturePolicy();
    if (env === undefined) return { policy: UNSATISFIABLE, text: 'an empty ApplicationPolicy' };
    try {
      return { policy: fromSignaturePolicyEnvelope(env.serializeBinary()), text: '' };
    } catch (err) {
      return { policy: UNSATISFIABLE, text: `a signature policy that cannot be evaluated (${(err as Error).message})` };
    }
  }
}
