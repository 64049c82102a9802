// SPDX-License-Identifier: Apache-2.0
// Private data in the devnet: every peer has its own private store (a LevelDB beside the shared
// ledger, `ledger/pvtdata/<peer>`) and its own transient store. Each chaincode has the implicit
// collection `_implicit_org_<MSP>` of every application organization (Fabric needs no collection
// config for them); a peer is a member of its own organization's. An endorser keeps the private
// writes it simulated in its transient store; at commit, the private values are pulled from the
// endorsers' transient stores (as a Fabric peer's pvt data fetcher does), checked against the
// block's hashes and stored on the member peers only. The blocks and the shared state hold hashes.
import { join } from 'node:path';
import type { OrgMaterial } from '@metroledger/identity';
import { PrivateStore } from '@metroledger/ledger';
import { TransientStore, type CommitterPrivateData, type EndorserPrivateData } from '@metroledger/peer';
import { parsePolicy, type Policy } from '@metroledger/policy';
import { implicitCollectionName, implicitCollectionOrg } from '@metroledger/protocol';

/** Satisfied by no set of signatures. */
const NO_SUCH_COLLECTION: Policy = { kind: 'outOf', n: 1, rules: [] };

export interface DevnetPrivateData {
  /** What the endorser of peer `fqdn` of organization `mspId` uses. */
  endorser(fqdn: string): EndorserPrivateData;
  readonly committer: CommitterPrivateData;
  /**
   * The endorsement policy of a write to a collection, as Fabric's validation takes it: for an
   * implicit collection, its organization's Endorsement policy (which the devnet's channel
   * configuration sets to any peer of the organization), whatever the chaincode's policy. A
   * collection the chaincode does not have gets a policy nothing satisfies: Fabric's validation
   * marks such a write ENDORSEMENT_POLICY_FAILURE ("no such collection").
   */
  collectionPolicy(chaincode: string, collection: string): Policy;
  /** The private store of peer `fqdn` (tests and tools). */
  store(fqdn: string): PrivateStore | undefined;
  close(): Promise<void>;
}

interface PeerPrivate {
  readonly mspId: string;
  readonly store: PrivateStore;
  readonly transient: TransientStore;
}

export async function openPrivateData(ledgerDir: string, appOrgs: readonly OrgMaterial[], height: () => number): Promise<DevnetPrivateData> {
  const orgs = new Set(appOrgs.map((o) => o.spec.mspId));
  const peers = new Map<string, PeerPrivate>();
  try {
    for (const org of appOrgs) {
      for (const node of org.peers) {
        peers.set(node.fqdn, { mspId: org.spec.mspId, store: await PrivateStore.open(join(ledgerDir, 'pvtdata', node.fqdn)), transient: new TransientStore() });
      }
    }
  } catch (err) {
    await Promise.allSettled([...peers.values()].map((p) => p.store.close()));
    throw err;
  }
  const hasCollection = (_namespace: string, collection: string): boolean => {
    const org = implicitCollectionOrg(collection);
    return org !== undefined && orgs.has(org);
  };
  const orgPolicies = new Map([...orgs].map((mspId) => [mspId, parsePolicy(`OR('${mspId}.peer')`)]));
  return {
    collectionPolicy: (_chaincode, collection) => orgPolicies.get(implicitCollectionOrg(collection) ?? '') ?? NO_SUCH_COLLECTION,
    endorser(fqdn) {
      const peer = peers.get(fqdn)!;
      return {
        access: { hasCollection, get: (ns, collection, key) => peer.store.get(ns, collection, key) },
        distribute: (txId, data) => peer.transient.put(txId, data, height()),
      };
    },
    committer: {
      fetch(txId) {
        for (const p of peers.values()) {
          const data = p.transient.get(txId);
          if (data !== undefined) return data;
        }
        return undefined;
      },
      peers: [...peers.values()].map((p) => ({ isMember: (_ns: string, collection: string) => collection === implicitCollectionName(p.mspId), store: p.store })),
      committed(txIds, h) {
        for (const p of peers.values()) p.transient.purge(txIds, h);
      },
    },
    store: (fqdn) => peers.get(fqdn)?.store,
    async close() {
      await Promise.all([...peers.values()].map((p) => p.store.close()));
    },
  };
}
