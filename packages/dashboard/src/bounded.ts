// SPDX-License-Identifier: Apache-2.0
// The two bounded containers the model is built from.

/** The last `capacity` items pushed, oldest first. */
export class Ring<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length > this.#capacity) this.#items.splice(0, this.#items.length - this.#capacity);
  }

  /** The newest `n` (all by default), newest first. */
  newest(n = this.#items.length): T[] {
    return this.#items.slice(Math.max(0, this.#items.length - n)).reverse();
  }

  get length(): number {
    return this.#items.length;
  }

  toArray(): readonly T[] {
    return this.#items;
  }
}

/** A map that forgets its oldest insertions beyond `capacity` entries (or `weight` units, if weighed). */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #capacity: number;
  readonly #weightMax: number;
  readonly #weigh: (v: V) => number;
  #weight = 0;

  constructor(capacity: number, opts: { weightMax?: number; weigh?: (v: V) => number } = {}) {
    this.#capacity = capacity;
    this.#weightMax = opts.weightMax ?? Number.POSITIVE_INFINITY;
    this.#weigh = opts.weigh ?? (() => 0);
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#weight -= this.#weigh(old);
      this.#map.delete(key);
    }
    this.#map.set(key, value);
    this.#weight += this.#weigh(value);
    while (this.#map.size > this.#capacity || (this.#weight > this.#weightMax && this.#map.size > 1)) {
      const [k, v] = this.#map.entries().next().value as [K, V];
      this.#map.delete(k);
      this.#weight -= this.#weigh(v);
    }
  }

  get size(): number {
    return this.#map.size;
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }

  keys(): IterableIterator<K> {
    return this.#map.keys();
  }
}
