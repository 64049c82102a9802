// SPDX-License-Identifier: Apache-2.0
// The outage benchmark's ledger check: the readings of VALID transactions, read back from the
// ledger's block files, per meter — each sequence 1..n exactly once, n what the meter captured.
import type { BlockSource } from '@metroledger/audit';
import { collectMeasurements } from '@metroledger/surveil';

export interface OutageLedgerCheck {
  readonly ok: boolean;
  readonly readings: number;
  readonly duplicates: number;
  readonly gaps: number;
  /** Readings captured but not on the ledger. */
  readonly missing: number;
  readonly detail: string[];
}

export async function collectReadings(source: BlockSource, captured: ReadonlyMap<string, number>): Promise<OutageLedgerCheck> {
  const collected = await collectMeasurements(source);
  const byMeter = new Map<string, number[]>();
  for (const r of collected.readings) {
    let list = byMeter.get(r.meterId);
    if (list === undefined) byMeter.set(r.meterId, (list = []));
    list.push(r.sequence);
  }
  let duplicates = 0;
  let gaps = 0;
  let missing = 0;
  const detail: string[] = [];
  for (const [meterId, n] of captured) {
    const seqs = (byMeter.get(meterId) ?? []).sort((a, b) => a - b);
    const seen = new Set<number>();
    for (const s of seqs) {
      if (seen.has(s)) {
        duplicates++;
        detail.push(`${meterId} #${s} twice`);
      }
      seen.add(s);
    }
    for (let s = 1; s <= n; s++) {
      if (!seen.has(s)) {
        missing++;
        if (detail.length < 20) detail.push(`${meterId} #${s} missing`);
      }
    }
    for (const s of seen) {
      if (s > n) {
        gaps++;
        detail.push(`${meterId} #${s} beyond the ${n} captured`);
      }
    }
  }
  const readings = collected.readings.length;
  return { ok: duplicates === 0 && gaps === 0 && missing === 0, readings, duplicates, gaps, missing, detail };
}
