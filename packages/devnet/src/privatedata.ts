// SPDX-License-Identifier: Apache-2.0
// Private data in the devnet: every peer has its own private store (a LevelDB beside the shared
// ledger, `ledger/pvtdata/<peer>`) and its own transient store (`ledger/transient/<peer>`). Each
// chaincode has the implicit collection `_implicit_org_<MSP>` of every application organization
// (Fabric needs no collection config for them) and the explicit collections of its definition
// (Fabric's collections_config.json). An endorser keeps the private writes it simulated in its
// transient store and pushes each collection's part to the transient stores of up to
// maxPeerCount member peers, failing the endorsement if fewer than requiredPeerCount are there
// (Fabric's gossip dissemination); at commit, the values are pulled from the transient stores, as
// a Fabric peer's pvt data fetcher does, checked against the block's hashes and stored on member
// peers only. The blocks and the shared state hold hashes. blockToLive purges both (ledger's expiry).
import { join } from 'node:path';
import type { ProposalCreator } from '@metroledger/chaincode-host';
import { describeError } from '@metroledger/errors';
import { identityFromCertificate, type Identity, type OrgMaterial } from '@metroledger/identity';
import { PrivateStore, TransientStore, type BlockToLive } from '@metroledger/ledger';
import type { CommitterPrivateData, EndorserPrivateData } from '@metroledger/peer';
import {
  evaluatePolicy,
  parseEndorsementPolicy,
  parsePolicy,
  UNSATISFIABLE,
  type ConfigPolicyGroup,
  type Policy,
  type Principal,
} from '@metroledger/policy';
import {
  checkCollectionsUpgrade,
  implicitCollectionOrg,
  memberOrgsOf,
  parseCollectionsConfig,
  type CollectionConfig,
  type CollectionPvtRwSet,
  type NsPvtRwSet,
} from '@metroledger/protocol';
import { DevnetError } from './errors.js';

/**
 * Fabric's dissemination of implicit collections (core.yaml
 * peer.gossip.pvtData.implicitCollectionDisseminationPolicy defaults).
 */
const IMPLICIT_DISSEMINATION = { requiredPeerCount: 0, maxPeerCount: 1 };

interface Collection {
  readonly config: CollectionConfig | undefined;
  readonly members: ReadonlySet<string>;
  readonly memberPolicy: Policy | undefined;
}

/**
 * The collections of every chaincode on the channel: the implicit ones and those of each chaincode
 * definition. The rules that depend on them (membership, blockToLive, collection endorsement
 * policies) are read here by the endorsers, the committer and the ledger.
 */
export class ChannelCollections {
  readonly #orgs: ReadonlySet<string>;
  readonly #explicit = new Map<string, ReadonlyMap<string, Collection>>();
  readonly #satisfies: (identity: Identity, principal: Principal) => boolean;
  readonly #implicitPolicies = new Map<string, Policy>();
  #channel: ConfigPolicyGroup | undefined;

  constructor(appOrgs: readonly string[], satisfiesPrincipal: (identity: Identity, principal: Principal) => boolean) {
    this.#orgs = new Set(appOrgs);
    this.#satisfies = satisfiesPrincipal;
  }

  /** The channel configuration's policies, which a collection's `channelConfigPolicy` refers to. */
  setChannelPolicies(channel: ConfigPolicyGroup): void {
    this.#channel = channel;
  }

  /**
   * Sets a chaincode's explicit collections (its definition's collection config), checked as Fabric's
   * lifecycle checks them; an upgrade keeps every collection and its blockToLive.
   * @throws {@link DevnetError} BAD_CONFIG
   */
  define(chaincode: string, configs: readonly CollectionConfig[]): void {
    let parsed: CollectionConfig[];
    try {
      parsed = parseCollectionsConfig(configs, [...this.#orgs]);
      const existing = this.#explicit.get(chaincode);
      if (existing !== undefined)
        checkCollectionsUpgrade(
          [...existing.values()].map((c) => c.config!),
          parsed,
        );
    } catch (err) {
      throw new DevnetError(
        'BAD_CONFIG',
        `collections of chaincode ${chaincode}: ${describeError(err)}`,
        { chaincode, code: (err as { code?: unknown }).code },
        { cause: err },
      );
    }
    this.#explicit.set(
      chaincode,
      new Map(
        parsed.map((config) => {
          const memberPolicy = parsePolicy(config.policy);
          return [config.name, { config, members: new Set(memberOrgsOf(memberPolicy)), memberPolicy }];
        }),
      ),
    );
  }

  /** The explicit collections of a chaincode. */
  configs(chaincode: string): CollectionConfig[] {
    return [...(this.#explicit.get(chaincode)?.values() ?? [])].map((c) => c.config!);
  }

  #get(chaincode: string, collection: string): Collection | undefined {
    const org = implicitCollectionOrg(collection);
    if (org !== undefined) return this.#orgs.has(org) ? { config: undefined, members: new Set([org]), memberPolicy: undefined } : undefined;
    return this.#explicit.get(chaincode)?.get(collection);
  }

  has(chaincode: string, collection: string): boolean {
    return this.#get(chaincode, collection) !== undefined;
  }

  isMemberOrg(chaincode: string, collection: string, mspId: string): boolean {
    return this.#get(chaincode, collection)?.members.has(mspId) === true;
  }

  /** Each collection's blockToLive (implicit collections: 0, forever). */
  readonly blockToLive: BlockToLive = (chaincode, collection) => this.#get(chaincode, collection)?.config?.blockToLive ?? 0;

  /**
   * The endorsement policy of a write to a collection, as Fabric's validation takes it: for an
   * implicit collection, its organization's Endorsement policy (which the devnet's channel
   * configuration sets to any peer of the organization); for an explicit one, its own
   * endorsementPolicy, or undefined (the chaincode's) when it has none. A collection the chaincode
   * does not have gets a policy nothing satisfies: Fabric's validation marks such a write
   * ENDORSEMENT_POLICY_FAILURE ("no such collection").
   */
  collectionPolicy(chaincode: string, collection: string): Policy | undefined {
    const c = this.#get(chaincode, collection);
    if (c === undefined) return UNSATISFIABLE;
    if (c.config === undefined) {
      const org = [...c.members][0]!;
      let p = this.#implicitPolicies.get(org);
      if (p === undefined) this.#implicitPolicies.set(org, (p = parsePolicy(`OR('${org}.peer')`)));
      return p;
    }
    const ep = c.config.endorsementPolicy;
    if (ep === undefined) return undefined;
    if ('signaturePolicy' in ep) return parsePolicy(ep.signaturePolicy);
    try {
      return parseEndorsementPolicy(ep.channelConfigPolicy, this.#channel);
    } catch {
      return UNSATISFIABLE; // a reference the channel does not resolve can be satisfied by nobody
    }
  }

  /** Fabric's memberOnlyRead / memberOnlyWrite, for a proposal's creator (implicit collections: neither flag). */
  permission(chaincode: string, collection: string, creator: ProposalCreator): { read: boolean; write: boolean } {
    const c = this.#get(chaincode, collection);
    if (c?.config === undefined || (!c.config.memberOnlyRead && !c.config.memberOnlyWrite)) return { read: true, write: true };
    let member = false;
    try {
      const id = identityFromCertificate(creator.mspId, creator.idBytes);
      member = evaluatePolicy(c.memberPolicy!, [id], (s, p) => this.#satisfies(s, p));
    } catch {
      member = false;
    }
    return { read: member || !c.config.memberOnlyRead, write: member || !c.config.memberOnlyWrite };
  }

  /** How many member peers an endorsement must reach, and may. */
  dissemination(chaincode: string, collection: string): { requiredPeerCount: number; maxPeerCount: number } {
    const config = this.#get(chaincode, collection)?.config;
    return config === undefined ? IMPLICIT_DISSEMINATION : config;
  }
}

export interface DevnetPrivateData {
  /** What the endorser of peer `fqdn` uses. */
  endorser(fqdn: string): EndorserPrivateData;
  readonly committer: CommitterPrivateData;
  /** The private store of peer `fqdn` (tests and tools). */
  store(fqdn: string): PrivateStore | undefined;
  /** The transient store of peer `fqdn` (tests and tools). */
  transient(fqdn: string): TransientStore | undefined;
  close(): Promise<void>;
}

interface PeerPrivate {
  readonly fqdn: string;
  readonly mspId: string;
  readonly store: PrivateStore;
  readonly transient: TransientStore;
}

/** Only the collections of `data` that `keep` admits (undefined when none is). */
function onlyCollections(data: readonly NsPvtRwSet[], keep: (ns: string, collection: string) => boolean): NsPvtRwSet[] | undefined {
  const out = data
    .map((ns) => ({ namespace: ns.namespace, collections: ns.collections.filter((c) => keep(ns.namespace, c.collection)) }))
    .filter((ns) => ns.collections.length > 0);
  return out.length === 0 ? undefined : out;
}

export async function openPrivateData(
  ledgerDir: string,
  appOrgs: readonly OrgMaterial[],
  height: () => number,
  collections: ChannelCollections,
  options: { readonly transientRetention?: number } = {},
): Promise<DevnetPrivateData> {
  const peers = new Map<string, PeerPrivate>();
  const opened: { close(): Promise<void> }[] = [];
  try {
    for (const org of appOrgs) {
      for (const node of org.peers) {
        const store = await PrivateStore.open(join(ledgerDir, 'pvtdata', node.fqdn), { blockToLive: collections.blockToLive });
        opened.push(store);
        const transient = await TransientStore.open(
          join(ledgerDir, 'transient', node.fqdn),
          options.transientRetention === undefined ? {} : { retention: options.transientRetention },
        );
        opened.push(transient);
        peers.set(node.fqdn, { fqdn: node.fqdn, mspId: org.spec.mspId, store, transient });
      }
    }
  } catch (err) {
    await Promise.allSettled(opened.map((s) => s.close()));
    throw err;
  }
  const all = [...peers.values()];

  /**
   * Fabric's DistributePrivateData: the endorser keeps the writes in its transient store and
   * pushes each collection's part to up to maxPeerCount other peers of its member organizations;
   * fewer than requiredPeerCount of them fails the endorsement.
   */
  const distribute = async (self: PeerPrivate, txId: string, data: readonly NsPvtRwSet[]): Promise<void> => {
    const pushTo = new Map<PeerPrivate, Set<string>>();
    for (const ns of data) {
      for (const c of ns.collections) {
        const eligible = all.filter((p) => p !== self && collections.isMemberOrg(ns.namespace, c.collection, p.mspId));
        const { requiredPeerCount, maxPeerCount } = collections.dissemination(ns.namespace, c.collection);
        if (eligible.length < requiredPeerCount) {
          throw new Error(
            `collection ${c.collection}: required to disseminate to at least ${requiredPeerCount} peers, but know of only ${eligible.length} eligible peers`,
          );
        }
        for (const p of eligible.slice(0, maxPeerCount)) {
          let set = pushTo.get(p);
          if (set === undefined) pushTo.set(p, (set = new Set()));
          set.add(`${ns.namespace}\0${c.collection}`);
        }
      }
    }
    const h = height();
    await self.transient.put(txId, data, h);
    await Promise.all(
      [...pushTo].map(([p, keys]) => {
        const part = onlyCollections(data, (ns, collection) => keys.has(`${ns}\0${collection}`));
        return part === undefined ? undefined : p.transient.put(txId, part, h);
      }),
    );
  };

  return {
    endorser(fqdn) {
      const peer = peers.get(fqdn)!;
      return {
        access: {
          hasCollection: (ns, collection) => collections.has(ns, collection),
          get: (ns, collection, key) => peer.store.get(ns, collection, key),
          permission: (ns, collection, creator) => collections.permission(ns, collection, creator),
          range: (ns, collection, start, end) => peer.store.range(ns, collection, start, end),
        },
        distribute: (txId, data) => distribute(peer, txId, data),
      };
    },
    committer: {
      // what every transient store holds of the transaction, collection by collection (a pushed copy holds only its peer's collections)
      fetch(txId) {
        const merged = new Map<string, Map<string, CollectionPvtRwSet>>();
        for (const p of all) {
          for (const ns of p.transient.get(txId) ?? []) {
            let m = merged.get(ns.namespace);
            if (m === undefined) merged.set(ns.namespace, (m = new Map()));
            for (const c of ns.collections) if (!m.has(c.collection)) m.set(c.collection, c);
          }
        }
        if (merged.size === 0) return undefined;
        return [...merged].map(([namespace, m]) => ({ namespace, collections: [...m.values()] }));
      },
      peers: all.map((p) => ({
        isMember: (ns: string, collection: string) => collections.isMemberOrg(ns, collection, p.mspId),
        store: p.store,
      })),
      async committed(txIds, h) {
        await Promise.all(all.map((p) => p.transient.purge(txIds, h)));
      },
    },
    store: (fqdn) => peers.get(fqdn)?.store,
    transient: (fqdn) => peers.get(fqdn)?.transient,
    async close() {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
}
