// SPDX-License-Identifier: Apache-2.0
// The world state as an endorsement thread reads it: a cache of the keys its chaincodes have read,
// filled on a miss by the event loop (which owns the LevelDB state) and kept current by it: after
// every commit, before any client can learn of it, the event loop sends the new values of every key
// some thread has read (pool.ts). Messages from the event loop arrive in the order they were sent,
// so a thread applies them in that order and holds what the ledger held at that point; a
// simulation whose reads all hit the cache runs without yielding, on one consistent view.
import type { StateReader, VersionedValue } from '@metroledger/protocol';
import { decodeEntries } from './wire.js';

/** Entries per range request: the event loop answers a range scan in chunks. */
const RANGE_CHUNK = 256;

interface Waiter {
  readonly resolve: (v: VersionedValue | undefined) => void;
  readonly reject: (e: Error) => void;
}

export class CachedState implements StateReader {
  /** null: known to be absent. */
  readonly #cache = new Map<string, VersionedValue | null>();
  readonly #waiting = new Map<string, Waiter[]>();
  readonly #ranges = new Map<number, { resolve: (r: { entries: Uint8Array; done: boolean }) => void; reject: (e: Error) => void }>();
  readonly #askKeys: (keys: (readonly [string, string])[]) => void;
  readonly #askRange: (id: number, ns: string, start: string, end: string, limit: number) => void;
  #asked: (readonly [string, string])[] = [];
  #nextRange = 0;

  constructor(o: {
    askKeys: (keys: (readonly [string, string])[]) => void;
    askRange: (id: number, ns: string, start: string, end: string, limit: number) => void;
  }) {
    this.#askKeys = o.askKeys;
    this.#askRange = o.askRange;
  }

  get size(): number {
    return this.#cache.size;
  }

  get(namespace: string, key: string): Promise<VersionedValue | undefined> {
    const k = `${namespace}\u0000${key}`;
    const hit = this.#cache.get(k);
    if (hit !== undefined) return Promise.resolve(hit ?? undefined);
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(k);
      if (waiters !== undefined) {
        waiters.push({ resolve, reject });
        return;
      }
      this.#waiting.set(k, [{ resolve, reject }]);
      // this turn's misses travel together
      if (this.#asked.length === 0) queueMicrotask(() => this.#flush());
      this.#asked.push([namespace, key]);
    });
  }

  #flush(): void {
    const keys = this.#asked;
    this.#asked = [];
    if (keys.length > 0) this.#askKeys(keys);
  }

  /** Entries from the event loop (answers and commit writes), in the order it sent them; `failed`: keys it could not read, and why. */
  apply(bytes: Uint8Array, failed: readonly (readonly [string, string, string])[] = []): void {
    for (const [ns, key, message] of failed) {
      const k = `${ns}\u0000${key}`;
      const waiters = this.#waiting.get(k);
      this.#waiting.delete(k);
      for (const w of waiters ?? []) w.reject(new Error(message));
    }
    for (const e of decodeEntries(bytes)) {
      const k = `${e.ns}\u0000${e.key}`;
      const v = e.value === undefined ? null : { value: e.value, version: { blockNum: e.blockNum, txNum: e.txNum } };
      this.#cache.set(k, v);
      const waiters = this.#waiting.get(k);
      if (waiters !== undefined) {
        this.#waiting.delete(k);
        for (const w of waiters) w.resolve(v ?? undefined);
      }
    }
  }

  /** Keys of a range, read from the event loop's state chunk by chunk (a range read is not cached). */
  async *range(namespace: string, startKey: string, endKey: string): AsyncGenerator<{ readonly key: string } & VersionedValue> {
    let start = startKey;
    for (;;) {
      const id = this.#nextRange++;
      const chunk = await new Promise<{ entries: Uint8Array; done: boolean }>((resolve, reject) => {
        this.#ranges.set(id, { resolve, reject });
        this.#askRange(id, namespace, start, endKey, RANGE_CHUNK);
      });
      let last: string | undefined;
      for (const e of decodeEntries(chunk.entries)) {
        last = e.key;
        if (e.value !== undefined) yield { key: e.key, value: e.value, version: { blockNum: e.blockNum, txNum: e.txNum } };
      }
      if (chunk.done || last === undefined) return;
      start = `${last}\u0000`; // the least key after `last`
    }
  }

  rangeAnswered(id: number, entries: Uint8Array, done: boolean, error: string | undefined): void {
    const r = this.#ranges.get(id);
    if (r === undefined) return;
    this.#ranges.delete(id);
    if (error !== undefined) r.reject(new Error(error));
    else r.resolve({ entries, done });
  }
}
