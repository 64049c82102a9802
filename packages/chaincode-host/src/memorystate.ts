// SPDX-License-Identifier: Apache-2.0
// An in-memory world state for tests and tools.
import type { NsReadWriteSet, StateReader, Version, VersionedValue } from '@metroledger/protocol';
import { compareKeys } from './keys';

interface Namespace {
  readonly values: Map<string, VersionedValue>;
  /** Keys in byte order; rebuilt lazily after inserts or deletes. */
  sorted: string[] | undefined;
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A StateReader over plain maps. Apply a transaction's writes with `apply`, as a committing peer
 * would after validation. A range iteration sees the key set of the moment it started.
 */
export class MemoryState implements StateReader {
  readonly #namespaces = new Map<string, Namespace>();

  #ns(namespace: string): Namespace {
    let ns = this.#namespaces.get(namespace);
    if (ns === undefined) {
      ns = { values: new Map(), sorted: [] };
      this.#namespaces.set(namespace, ns);
    }
    return ns;
  }

  async get(namespace: string, key: string): Promise<VersionedValue | undefined> {
    return this.#namespaces.get(namespace)?.values.get(key);
  }

  async *range(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string } & VersionedValue> {
    const ns = this.#namespaces.get(namespace);
    if (ns === undefined) return;
    ns.sorted ??= [...ns.values.keys()].sort(compareKeys);
    const keys = ns.sorted;
    for (let i = startKey === '' ? 0 : lowerBound(keys, startKey); i < keys.length; i++) {
      const key = keys[i]!;
      if (endKey !== '' && compareKeys(key, endKey) >= 0) return;
      const vv = ns.values.get(key);
      if (vv !== undefined) yield { key, value: vv.value, version: vv.version };
    }
  }

  /** Applies the writes of a (valid) transaction's rwset at the given version. Reads are not checked. */
  apply(namespace: string, rwset: NsReadWriteSet, version: Version): void {
    const ns = this.#ns(namespace);
    for (const w of rwset.writes) {
      if (w.isDelete) {
        if (ns.values.delete(w.key)) ns.sorted = undefined;
      } else {
        if (!ns.values.has(w.key)) ns.sorted = undefined;
        ns.values.set(w.key, { value: w.value, version });
      }
    }
  }

  /** Applies every namespace's writes of a (valid) transaction, e.g. a ChaincodeResult's `rwsets`. */
  applyAll(rwsets: readonly NsReadWriteSet[], version: Version): void {
    for (const rw of rwsets) this.apply(rw.namespace, rw, version);
  }

  /** Writes one key directly (test setup). */
  put(namespace: string, key: string, value: Uint8Array, version: Version): void {
    const ns = this.#ns(namespace);
    if (!ns.values.has(key)) ns.sorted = undefined;
    ns.values.set(key, { value, version });
  }

  /** All entries of a namespace in key order (for assertions and dumps). */
  entries(namespace: string): Array<{ readonly key: string } & VersionedValue> {
    const ns = this.#namespaces.get(namespace);
    if (ns === undefined) return [];
    return [...ns.values.keys()].sort(compareKeys).map((key) => ({ key, ...ns.values.get(key)! }));
  }
}
