// SPDX-License-Identifier: Apache-2.0
// Explicit private data collections, as a Fabric chaincode definition carries them: the JSON file
// that `peer lifecycle chaincode approveformyorg --collections-config` reads (the peer CLI's
// collectionConfigJson), checked as Fabric's lifecycle checks a definition's collections, and the
// peer.CollectionConfigPackage it becomes.
import { common, peer } from '@hyperledger/fabric-protos';
import { describeError } from '@metroledger/errors';
import {
  formatPolicy,
  fromSignaturePolicyEnvelope,
  parsePolicy,
  toSignaturePolicyEnvelope,
  type Policy,
  type Principal,
} from '@metroledger/policy';
import { ProtocolError } from '../transaction/errors';

/** A collection's own endorsement policy: signature syntax, or a reference to a channel-config policy. */
export type CollectionEndorsementPolicy = { readonly signaturePolicy: string } | { readonly channelConfigPolicy: string };

/** One StaticCollectionConfig. */
export interface CollectionConfig {
  readonly name: string;
  /** member_orgs_policy: an OR of principals; its organizations are the collection's members. */
  readonly policy: string;
  readonly requiredPeerCount: number;
  readonly maxPeerCount: number;
  /** Blocks after the writing block that the private value lives; 0: forever. */
  readonly blockToLive: number;
  readonly memberOnlyRead: boolean;
  readonly memberOnlyWrite: boolean;
  readonly endorsementPolicy?: CollectionEndorsementPolicy;
}

// lifecycle's CollectionNameRegExp: no leading '_', so no config can name an implicit collection.
const COLLECTION_NAME = /^[A-Za-z0-9-]+([A-Za-z0-9_-]*)$/;
const MAX_UINT64 = 2n ** 64n - 1n;

function bad(message: string, details?: Record<string, unknown>, cause?: unknown): ProtocolError {
  return new ProtocolError('BAD_COLLECTION_CONFIG', message, details, cause === undefined ? undefined : { cause });
}

function int32(v: unknown, field: string, name: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
    throw bad(`collection ${name}: ${field} must be a 32-bit integer, not ${JSON.stringify(v)}`, { collection: name, field });
  return v;
}

/** The organizations of a member orgs policy, which Fabric requires to be an OR of principals (1-out-of-n). */
export function memberOrgsOf(policy: Policy): string[] {
  const principals: Principal[] = [];
  const walk = (p: Policy): void => {
    if (p.kind === 'signedBy') principals.push(p.principal);
    else p.rules.forEach(walk);
  };
  walk(policy);
  return [...new Set(principals.map((p) => p.mspId))];
}

function orConcatenation(p: Policy): boolean {
  return p.kind === 'signedBy' || (p.n === 1 && p.rules.every(orConcatenation));
}

/**
 * Parses a collections configuration (Fabric's JSON array), with the checks of Fabric's peer CLI
 * and lifecycle: a valid name used once, a signature member policy that is an OR of principals of
 * channel organizations, 0 <= requiredPeerCount <= maxPeerCount (defaults 0 and 1, as the CLI's),
 * blockToLive an unsigned integer, at most one endorsement policy form.
 * @param channelOrgs the channel's application organizations (MSP ids); unchecked when absent
 * @throws {@link ProtocolError} BAD_COLLECTION_CONFIG
 */
export function parseCollectionsConfig(input: string | unknown, channelOrgs?: readonly string[]): CollectionConfig[] {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw bad(`could not parse the collection configuration: ${describeError(err)}`, undefined, err);
    }
  }
  if (!Array.isArray(raw)) throw bad('the collection configuration must be a JSON array of collections');
  const seen = new Set<string>();
  return raw.map((c: unknown, i): CollectionConfig => {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw bad(`collection #${i + 1}: not a JSON object`);
    const o = c as Record<string, unknown>;
    const name = o['name'];
    if (typeof name !== 'string' || name === '') throw bad(`collection #${i + 1}: empty collection name not allowed`);
    if (!COLLECTION_NAME.test(name))
      throw bad(`collection name '${name}' not allowed, must match ${COLLECTION_NAME.source}`, { collection: name });
    if (seen.has(name)) throw bad(`collection-name: ${name} -- found duplicate in collection configuration`, { collection: name });
    seen.add(name);
    if (typeof o['policy'] !== 'string')
      throw bad(`collection ${name}: policy (the member organizations' signature policy) is required`, { collection: name });
    let member: Policy;
    try {
      member = parsePolicy(o['policy']);
    } catch (err) {
      throw bad(`collection ${name}: invalid policy ${o['policy']}: ${describeError(err)}`, { collection: name }, err);
    }
    if (!orConcatenation(member))
      throw bad(`collection-name: ${name} -- error in member org policy: signature policy is not an OR concatenation`, {
        collection: name,
      });
    if (channelOrgs !== undefined) {
      for (const org of memberOrgsOf(member)) {
        if (!channelOrgs.includes(org))
          throw bad(`collection-name: ${name} -- collection member '${org}' is not part of the channel`, { collection: name, mspId: org });
      }
    }
    const requiredPeerCount = int32(o['requiredPeerCount'], 'requiredPeerCount', name, 0);
    const maxPeerCount = int32(o['maxPeerCount'], 'maxPeerCount', name, 1);
    if (maxPeerCount < requiredPeerCount)
      throw bad(
        `collection-name: ${name} -- maximum peer count (${maxPeerCount}) cannot be less than the required peer count (${requiredPeerCount})`,
        { collection: name },
      );
    if (requiredPeerCount < 0)
      throw bad(`collection-name: ${name} -- requiredPeerCount (${requiredPeerCount}) cannot be less than zero`, { collection: name });
    const btl = o['blockToLive'] ?? 0;
    if (typeof btl !== 'number' || !Number.isInteger(btl) || btl < 0 || BigInt(btl) > MAX_UINT64)
      throw bad(`collection ${name}: blockToLive must be an unsigned integer, not ${JSON.stringify(btl)}`, { collection: name });
    if (!Number.isSafeInteger(btl))
      throw bad(
        `collection ${name}: blockToLive ${btl} is beyond what this implementation counts exactly (2^53-1); use 0 to keep the data forever`,
        { collection: name },
      );
    for (const flag of ['memberOnlyRead', 'memberOnlyWrite'] as const) {
      if (o[flag] !== undefined && typeof o[flag] !== 'boolean')
        throw bad(`collection ${name}: ${flag} must be true or false`, { collection: name });
    }
    let endorsementPolicy: CollectionEndorsementPolicy | undefined;
    const ep = o['endorsementPolicy'];
    if (ep !== undefined && ep !== null) {
      const e = ep as Record<string, unknown>;
      const sig = typeof e['signaturePolicy'] === 'string' && e['signaturePolicy'] !== '' ? e['signaturePolicy'] : undefined;
      const ref = typeof e['channelConfigPolicy'] === 'string' && e['channelConfigPolicy'] !== '' ? e['channelConfigPolicy'] : undefined;
      if (sig !== undefined && ref !== undefined)
        throw bad(`collection ${name}: endorsementPolicy: cannot specify both signaturePolicy and channelConfigPolicy`, {
          collection: name,
        });
      if (sig !== undefined) {
        try {
          endorsementPolicy = { signaturePolicy: formatPolicy(parsePolicy(sig)) };
        } catch (err) {
          throw bad(`collection ${name}: invalid endorsement policy ${sig}: ${describeError(err)}`, { collection: name }, err);
        }
      } else if (ref !== undefined) {
        endorsementPolicy = { channelConfigPolicy: ref };
      } else if (typeof ep !== 'object' || Object.keys(e).length > 0) {
        throw bad(`collection ${name}: endorsementPolicy needs signaturePolicy or channelConfigPolicy`, { collection: name });
      }
    }
    return {
      name,
      policy: formatPolicy(member),
      requiredPeerCount,
      maxPeerCount,
      blockToLive: btl,
      memberOnlyRead: o['memberOnlyRead'] === true,
      memberOnlyWrite: o['memberOnlyWrite'] === true,
      ...(endorsementPolicy !== undefined && { endorsementPolicy }),
    };
  });
}

/**
 * Fabric's rule for an upgrade of a chaincode definition: every existing collection stays, with
 * its blockToLive (lifecycle's "the BlockToLive in an existing collection [...] modified").
 * @throws {@link ProtocolError} BAD_COLLECTION_CONFIG
 */
export function checkCollectionsUpgrade(existing: readonly CollectionConfig[], proposed: readonly CollectionConfig[]): void {
  for (const old of existing) {
    const next = proposed.find((c) => c.name === old.name);
    if (next === undefined)
      throw bad(`existing collection [${old.name}] missing in the proposed collection configuration`, { collection: old.name });
    if (next.blockToLive !== old.blockToLive)
      throw bad(`the BlockToLive in an existing collection [${old.name}] modified. Existing value [${old.blockToLive}]`, {
        collection: old.name,
      });
  }
}

/** The collections as a Fabric chaincode definition carries them: peer.CollectionConfigPackage bytes. */
export function encodeCollectionConfigPackage(configs: readonly CollectionConfig[]): Uint8Array {
  const pkg = new peer.CollectionConfigPackage();
  pkg.setConfigList(
    configs.map((c) => {
      const s = new peer.StaticCollectionConfig();
      s.setName(c.name);
      const member = new peer.CollectionPolicyConfig();
      member.setSignaturePolicy(common.SignaturePolicyEnvelope.deserializeBinary(toSignaturePolicyEnvelope(parsePolicy(c.policy))));
      s.setMemberOrgsPolicy(member);
      s.setRequiredPeerCount(c.requiredPeerCount);
      s.setMaximumPeerCount(c.maxPeerCount);
      s.setBlockToLive(c.blockToLive);
      s.setMemberOnlyRead(c.memberOnlyRead);
      s.setMemberOnlyWrite(c.memberOnlyWrite);
      if (c.endorsementPolicy !== undefined) {
        const ap = new peer.ApplicationPolicy();
        if ('signaturePolicy' in c.endorsementPolicy)
          ap.setSignaturePolicy(
            common.SignaturePolicyEnvelope.deserializeBinary(toSignaturePolicyEnvelope(parsePolicy(c.endorsementPolicy.signaturePolicy))),
          );
        else ap.setChannelConfigPolicyReference(c.endorsementPolicy.channelConfigPolicy);
        s.setEndorsementPolicy(ap);
      }
      const cc = new peer.CollectionConfig();
      cc.setStaticCollectionConfig(s);
      return cc;
    }),
  );
  return pkg.serializeBinary();
}

/**
 * Reads a peer.CollectionConfigPackage back (e.g. from a Fabric chaincode definition).
 * @throws {@link ProtocolError} BAD_COLLECTION_CONFIG
 */
export function decodeCollectionConfigPackage(bytes: Uint8Array): CollectionConfig[] {
  let pkg: peer.CollectionConfigPackage;
  try {
    pkg = peer.CollectionConfigPackage.deserializeBinary(bytes);
  } catch (err) {
    throw bad(`not a CollectionConfigPackage: ${describeError(err)}`, undefined, err);
  }
  const json = pkg.getConfigList().map((cc) => {
    const s = cc.getStaticCollectionConfig();
    if (s === undefined) throw bad('unknown collection configuration type');
    const member = s.getMemberOrgsPolicy()?.getSignaturePolicy();
    if (member === undefined) throw bad(`collection ${s.getName()}: collection member policy is not set`, { collection: s.getName() });
    const ap = s.getEndorsementPolicy();
    const ep =
      ap === undefined
        ? undefined
        : ap.hasSignaturePolicy()
          ? { signaturePolicy: formatPolicy(fromSignaturePolicyEnvelope(ap.getSignaturePolicy()!.serializeBinary())) }
          : { channelConfigPolicy: ap.getChannelConfigPolicyReference() };
    return {
      name: s.getName(),
      policy: formatPolicy(fromSignaturePolicyEnvelope(member.serializeBinary())),
      requiredPeerCount: s.getRequiredPeerCount(),
      maxPeerCount: s.getMaximumPeerCount(),
      blockToLive: s.getBlockToLive(),
      memberOnlyRead: s.getMemberOnlyRead(),
      memberOnlyWrite: s.getMemberOnlyWrite(),
      ...(ep !== undefined && { endorsementPolicy: ep }),
    };
  });
  return parseCollectionsConfig(json);
}
