// SPDX-License-Identifier: Apache-2.0
// The meter registry as the ledger says it was at each point: rebuilt by following the writes of
// valid transactions to the LR chaincode's `meter` keys (registrations, revocations, key rotations).
import { LrKeyTypes } from '@metroledger/chaincode/api';
import { compositeKey } from '@metroledger/protocol';
import type { MeterDoc, MeterEntry, WriteFact } from './analyze';

export interface RegistryEntry extends MeterEntry {
  readonly json: string;
}

/** Serializable registry state (kept in the checkpoint). */
export interface RegistrySnapshot {
  readonly rev: number;
  /** meterId -> [rev, meter JSON as stored] */
  readonly meters: Record<string, [number, string]>;
}

const METER_PREFIX = compositeKey(LrKeyTypes.METER, []);
const text = new TextDecoder();

export class MeterRegistry {
  readonly entries = new Map<string, RegistryEntry>();
  #rev = 0;

  static restore(s: RegistrySnapshot): MeterRegistry {
    const r = new MeterRegistry();
    r.#rev = s.rev;
    for (const [id, [rev, json]] of Object.entries(s.meters)) r.entries.set(id, { rev, json, meter: JSON.parse(json) as MeterDoc });
    return r;
  }

  snapshot(): RegistrySnapshot {
    const meters: Record<string, [number, string]> = {};
    for (const [id, e] of this.entries) meters[id] = [e.rev, e.json];
    return { rev: this.#rev, meters };
  }

  get(meterId: string): RegistryEntry | undefined {
    return this.entries.get(meterId);
  }

  /**
   * Applies one write of a valid transaction in the LR namespace; returns the changed entry
   * (json null when deleted) or undefined if the write is not a meter record.
   */
  apply(w: WriteFact): { meterId: string; rev: number; json: string | null } | undefined {
    if (!w.key.startsWith(METER_PREFIX)) return undefined;
    const meterId = w.key.slice(METER_PREFIX.length, -1);
    const rev = ++this.#rev;
    if (w.isDelete) {
      this.entries.delete(meterId);
      return { meterId, rev, json: null };
    }
    const json = text.decode(w.value);
    let meter: MeterDoc;
    try {
      meter = JSON.parse(json) as MeterDoc;
    } catch {
      // A value the chaincode could not have written: treat the meter as unusable.
      this.entries.delete(meterId);
      return { meterId, rev, json: null };
    }
    this.entries.set(meterId, { rev, json, meter });
    return { meterId, rev, json };
  }
}
