// SPDX-License-Identifier: Apache-2.0
// Fabric's chaincode definitions as the ledger says they were at each point: rebuilt from the valid
// writes of `_lifecycle` commit transactions to its public state (core/chaincode/lifecycle, state
// layout of the Serializer: `namespaces/metadata/<name>` -> lb.StateMetadata and
// `namespaces/fields/<name>/<Field>` -> lb.StateData, with Sequence (int64), EndorsementInfo
// (peer.lifecycle.ChaincodeEndorsementInfo), ValidationInfo (peer.lifecycle.ChaincodeValidationInfo,
// whose validation_parameter is the endorsement policy as a peer.ApplicationPolicy) and Collections
// (a peer.CollectionConfigPackage: the explicit private data collections, each with its own
// endorsement policy or none).
// Approvals (approveformyorg) go to each organization's implicit private collection: the ledger holds
// only their hashes, so they are validated (endorsed by the organization) but not read here.
import { peer } from '@hyperledger/fabric-protos';
import type { WriteFact } from './analyze';

export const LIFECYCLE_NAMESPACE = '_lifecycle';
const FIELDS_PREFIX = 'namespaces/fields/';
const METADATA_PREFIX = 'namespaces/metadata/';

/** A committed chaincode definition. */
export interface ChaincodeDefinition {
  readonly name: string;
  readonly sequence: number;
  readonly version: string;
  readonly endorsementPlugin: string;
  readonly validationPlugin: string;
  /** The endorsement policy, peer.ApplicationPolicy bytes as base64. */
  readonly validationParameter: string;
  readonly initRequired: boolean;
  /**
   * Its explicit private data collections, peer.CollectionConfigPackage bytes as base64 ('' for
   * none); absent when not known: in snapshots of audits that did not read the field, and in a
   * definition without it (Fabric writes it with every new definition).
   */
  readonly collections?: string;
  /** Where it was committed. */
  readonly blockNum: number;
  readonly txNum: number;
  readonly txId: string;
}

export interface LifecycleSnapshot {
  readonly definitions: readonly ChaincodeDefinition[];
  readonly history: readonly ChaincodeDefinition[];
}

const lb = peer.lifecycle;

/** StateData field of a definition, or undefined when absent or not readable. */
function stateData(value: Uint8Array): InstanceType<typeof lb.StateData> | undefined {
  try {
    return lb.StateData.deserializeBinary(value);
  } catch {
    return undefined;
  }
}

/** What a chaincode definition says of a collection's endorsement: no such collection, its own policy (peer.ApplicationPolicy bytes), or none (the chaincode's). */
export type CollectionEndorsement = { readonly defined: false } | { readonly defined: true; readonly policy?: Uint8Array };

/** Anything that carries a CollectionConfigPackage as a definition does (a definition; the caller's collections). */
export type CollectionsOf = { readonly collections: string };

const collectionsRead = new WeakMap<CollectionsOf, Map<string, CollectionEndorsement>>();

/**
 * The endorsement policy a definition gives a collection, as Fabric's lifecycle hands it to
 * validation (ValidatorCommitter.CollectionValidationInfo): the StaticCollectionConfig's
 * endorsement_policy when set (an ApplicationPolicy that marshals to nothing counts as unset), else
 * none; a collection the definition lacks is "no such collection".
 */
export function collectionEndorsement(def: CollectionsOf, collection: string): CollectionEndorsement {
  return collectionsOf(def).get(collection) ?? { defined: false };
}

/** The collections of a definition that have an endorsement policy of their own: name and peer.ApplicationPolicy bytes. */
export function ownCollectionPolicies(def: CollectionsOf): [string, Uint8Array][] {
  return [...collectionsOf(def)].flatMap(([name, e]) =>
    e.defined && e.policy !== undefined ? [[name, e.policy] as [string, Uint8Array]] : [],
  );
}

function collectionsOf(def: CollectionsOf): ReadonlyMap<string, CollectionEndorsement> {
  let byName = collectionsRead.get(def);
  if (byName === undefined) {
    byName = new Map();
    const bytes = Buffer.from(def.collections, 'base64');
    let configs: peer.CollectionConfig[] = [];
    try {
      configs = peer.CollectionConfigPackage.deserializeBinary(bytes).getConfigList();
    } catch {
      // read when the definition was committed; only a damaged checkpoint gets here: no collections
    }
    for (const c of configs) {
      const s = c.getStaticCollectionConfig();
      if (s === undefined || byName.has(s.getName())) continue;
      const policy = s.getEndorsementPolicy()?.serializeBinary();
      byName.set(s.getName(), policy === undefined || policy.length === 0 ? { defined: true } : { defined: true, policy });
    }
    collectionsRead.set(def, byName);
  }
  return byName;
}

export class LifecycleDefinitions {
  readonly #current = new Map<string, ChaincodeDefinition>();
  readonly #history: ChaincodeDefinition[] = [];

  static restore(s: LifecycleSnapshot): LifecycleDefinitions {
    const d = new LifecycleDefinitions();
    for (const def of s.definitions) d.#current.set(def.name, def);
    d.#history.push(...s.history);
    return d;
  }

  snapshot(): LifecycleSnapshot {
    return { definitions: [...this.#current.values()], history: [...this.#history] };
  }

  get(name: string): ChaincodeDefinition | undefined {
    return this.#current.get(name);
  }

  /** Every definition committed so far, oldest first (the history of each chaincode's policy). */
  get history(): readonly ChaincodeDefinition[] {
    return this.#history;
  }

  /**
   * Applies the `_lifecycle` writes of one valid transaction. Returns the definitions it committed,
   * and the names whose fields it wrote but which do not form a readable definition.
   */
  apply(
    writes: readonly WriteFact[],
    at: { blockNum: number; txNum: number; txId: string },
  ): { committed: ChaincodeDefinition[]; unreadable: string[] } {
    const fields = new Map<string, Map<string, Uint8Array>>();
    for (const w of writes) {
      if (w.ns !== LIFECYCLE_NAMESPACE || w.isDelete) continue;
      if (w.key.startsWith(FIELDS_PREFIX)) {
        const rest = w.key.slice(FIELDS_PREFIX.length);
        const slash = rest.indexOf('/');
        if (slash <= 0) continue;
        const name = rest.slice(0, slash);
        if (!fields.has(name)) fields.set(name, new Map());
        fields.get(name)!.set(rest.slice(slash + 1), w.value);
      } else if (w.key.startsWith(METADATA_PREFIX)) {
        const name = w.key.slice(METADATA_PREFIX.length);
        if (!fields.has(name)) fields.set(name, new Map());
      }
    }
    const committed: ChaincodeDefinition[] = [];
    const unreadable: string[] = [];
    for (const [name, f] of fields) {
      const def = definitionOf(name, f, this.#current.get(name), at);
      if (def === undefined) {
        unreadable.push(name);
        continue;
      }
      this.#current.set(name, def);
      this.#history.push(def);
      committed.push(def);
    }
    return { committed, unreadable };
  }
}

/**
 * The definition a commit leaves in the state. Fabric's lifecycle serializer writes a field only when
 * its value differs from the state's, so an upgrade that keeps the version or the policy writes only
 * the new Sequence: the other fields are the previous definition's.
 */
function definitionOf(
  name: string,
  f: ReadonlyMap<string, Uint8Array>,
  previous: ChaincodeDefinition | undefined,
  at: { blockNum: number; txNum: number; txId: string },
): ChaincodeDefinition | undefined {
  const seq = f.get('Sequence');
  const endorsement = f.get('EndorsementInfo');
  const validation = f.get('ValidationInfo');
  const collections = f.get('Collections');
  if (seq === undefined) return undefined;
  if (previous === undefined && (endorsement === undefined || validation === undefined)) return undefined;
  try {
    const sequence = stateData(seq)?.getInt64();
    if (sequence === undefined || sequence <= 0) return undefined;
    const e =
      endorsement === undefined
        ? undefined
        : lb.ChaincodeEndorsementInfo.deserializeBinary(stateData(endorsement)?.getBytes_asU8() ?? new Uint8Array(0));
    const v =
      validation === undefined
        ? undefined
        : lb.ChaincodeValidationInfo.deserializeBinary(stateData(validation)?.getBytes_asU8() ?? new Uint8Array(0));
    let packageBytes: string | undefined = previous?.collections;
    if (collections !== undefined) {
      const c = stateData(collections);
      if (c === undefined) return undefined;
      const bytes = c.getBytes_asU8();
      peer.CollectionConfigPackage.deserializeBinary(bytes); // unreadable: no definition
      packageBytes = Buffer.from(bytes).toString('base64');
    }
    return {
      name,
      sequence,
      version: e?.getVersion() ?? previous!.version,
      endorsementPlugin: e?.getEndorsementPlugin() ?? previous!.endorsementPlugin,
      validationPlugin: v?.getValidationPlugin() ?? previous!.validationPlugin,
      validationParameter:
        v === undefined ? previous!.validationParameter : Buffer.from(v.getValidationParameter_asU8()).toString('base64'),
      initRequired: e?.getInitRequired() ?? previous!.initRequired,
      ...(packageBytes !== undefined && { collections: packageBytes }),
      ...at,
    };
  } catch {
    return undefined;
  }
}
