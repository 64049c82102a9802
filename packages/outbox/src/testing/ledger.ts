// SPDX-License-Identifier: Apache-2.0
// A ledger for the forwarder's tests that keeps the LR chaincode's rule (a meter's sequence must be
// above its last accepted one, else REPLAYED_SEQUENCE) and fails on a script: before committing
// (unreachable), or after committing with the answer lost.
import { createHash } from 'node:crypto';
import { decodeReading, decodeSignedReading } from '@metroledger/lr';
import type { DeliveryVerdict, LedgerRecord, LedgerSink } from '../sink';

export class ScriptedFailure extends Error {
  constructor(
    readonly verdict: DeliveryVerdict,
    message: string,
  ) {
    super(message);
  }
}

export type Fault = 'none' | 'unavailable' | 'answer-lost' | 'blocked' | 'garbled';

export class ScriptedLedger implements LedgerSink {
  readonly maxBatch: number;
  readonly maxBatchBytes = 1024 * 1024;
  /** Committed records by meter, in commit order. */
  readonly committed = new Map<string, LedgerRecord[]>();
  /** Every submission's sequences, in order (what was sent). */
  readonly submissions: number[][] = [];
  /** Decides the fault of each submission (its index from 0). */
  fault: (index: number, sequences: number[]) => Fault = () => 'none';
  /** Readings refused for good (by meter#sequence). */
  readonly refuse = new Set<string>();
  /** Plates: which sequences measure over the limit. */
  violation: (sequence: number) => boolean = () => false;

  constructor(maxBatch = 1) {
    this.maxBatch = maxBatch;
  }

  /** Puts a record under a sequence directly, as another writer of that meter would. */
  plant(meterId: string, sequence: number, readingSha256: string): void {
    this.#list(meterId).push({ meterId, sequence, status: 'MEASURED', readingSha256, txId: `planted-${sequence}` });
  }

  #list(meterId: string): LedgerRecord[] {
    let l = this.committed.get(meterId);
    if (l === undefined) this.committed.set(meterId, (l = []));
    return l;
  }

  async submit(signedReadings: readonly Uint8Array[]): Promise<LedgerRecord[]> {
    await new Promise<void>((r) => setImmediate(r));
    const readings = signedReadings.map((s) => {
      const { reading } = decodeSignedReading(s);
      const r = decodeReading(reading);
      return { meterId: r.meterId, sequence: r.sequence, sha: createHash('sha256').update(reading).digest('hex') };
    });
    const index = this.submissions.length;
    this.submissions.push(readings.map((r) => r.sequence));
    const fault = this.fault(
      index,
      readings.map((r) => r.sequence),
    );
    if (fault === 'unavailable') throw new ScriptedFailure({ kind: 'transient', cause: 'UNAVAILABLE' }, 'gateway unreachable');
    if (fault === 'blocked') throw new ScriptedFailure({ kind: 'blocked', cause: 'METER_NOT_FOUND' }, 'METER_NOT_FOUND: not registered');
    // all or nothing, as a batch transaction
    const records: LedgerRecord[] = [];
    const last = new Map<string, number>();
    for (const r of readings) {
      const list = this.#list(r.meterId);
      const lastSeq = last.get(r.meterId) ?? list.at(-1)?.sequence ?? 0;
      if (r.sequence <= lastSeq) throw new ScriptedFailure({ kind: 'replayed' }, `REPLAYED_SEQUENCE: ${r.meterId} #${r.sequence}`);
      if (this.refuse.has(`${r.meterId}#${r.sequence}`))
        throw new ScriptedFailure({ kind: 'refused', cause: 'BAD_SIGNATURE' }, `BAD_SIGNATURE: ${r.meterId} #${r.sequence}`);
      last.set(r.meterId, r.sequence);
      records.push({
        meterId: r.meterId,
        sequence: r.sequence,
        status: 'MEASURED',
        readingSha256: r.sha,
        txId: `tx-${index}`,
        speedLimitExceeded: this.violation(r.sequence),
      });
    }
    for (const rec of records) this.#list(rec.meterId).push(rec);
    if (fault === 'garbled') return []; // committed, and an answer the forwarder cannot use
    if (fault === 'answer-lost')
      throw new ScriptedFailure({ kind: 'transient', cause: 'DEADLINE_EXCEEDED' }, 'committed, but the answer was lost');
    return records;
  }

  async lookup(meterId: string, sequence: number): Promise<LedgerRecord | undefined> {
    return this.committed.get(meterId)?.find((r) => r.sequence === sequence);
  }

  classify(err: unknown): DeliveryVerdict {
    return err instanceof ScriptedFailure ? err.verdict : { kind: 'transient', cause: 'UNEXPECTED' };
  }
}
