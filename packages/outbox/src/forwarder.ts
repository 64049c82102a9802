// SPDX-License-Identifier: Apache-2.0
// Delivers an outbox to the ledger, exactly once per meter sequence, and hands plate images of the
// readings that need them to the evidence store.
//
// Per meter, one submission at a time, in sequence order: the LR chaincode refuses any sequence
// not above the meter's last accepted one, so a reading sent after a later one would be lost.
// When the ledger answers REPLAYED_SEQUENCE (a submission whose answer was lost had committed, e.g.
// before a crash), the forwarder reads the ledger's record of each sequence: the same reading
// (its SHA-256) is delivered; another reading under that sequence is a conflict, quarantined with
// an alarm; none yet means a lagging peer, retried. Failures back off with jitter (seeded in
// tests) on an injected clock. Nothing is dropped: a reading leaves the outbox only once the
// ledger holds it, or goes to quarantine, kept for the operator.
import { backoffDelayMs, systemClock, type Clock } from '@metroledger/client';
import { alarm, type Alarm, type AlarmListener } from './alarms';
import type { DeliveryVerdict, EvidenceSink, LedgerRecord, LedgerSink } from './sink';
import { OutboxError } from './errors';
import type { OutboxEntry, OutboxStore } from './store';

export interface BackoffPolicy {
  /** First backoff ceiling. Default 250 ms. */
  readonly initialDelayMs: number;
  /** Largest backoff ceiling. Default 30,000 ms. */
  readonly maxDelayMs: number;
  /** Consecutive failures of a meter before DELIVERY_STALLED is raised. Default 8. */
  readonly stalledAfter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialDelayMs: 250, maxDelayMs: 30_000, stalledAfter: 8 });

/** Which delivered readings' plate images go to the evidence store; the others' are deleted with the reading. */
export type EvidencePolicy =
  /** Only measurements over the speed limit: an image of a lawful passage never leaves the meter (data minimisation). */
  'violations' | 'all' | 'none';

export interface ForwarderOptions {
  readonly store: OutboxStore;
  readonly ledger: LedgerSink;
  readonly evidence?: EvidenceSink;
  /** Default 'violations' when an evidence sink is given, else 'none'. */
  readonly evidencePolicy?: EvidencePolicy;
  readonly backoff?: Partial<BackoffPolicy>;
  readonly clock?: Clock;
  /** Uniform in [0, 1) for the jitter. Default Math.random. */
  readonly random?: () => number;
  readonly onAlarm?: AlarmListener;
  readonly onEvent?: (event: ForwarderEvent) => void;
}

export type ForwarderEvent =
  | { readonly type: 'sending'; readonly meterId: string; readonly sequences: readonly number[] }
  | {
      readonly type: 'delivered';
      readonly meterId: string;
      readonly sequences: readonly number[];
      readonly txId?: string;
      readonly submitMs: number;
      readonly atMs: number;
      readonly settled: boolean;
    }
  | {
      readonly type: 'retry';
      readonly meterId: string;
      readonly kind: DeliveryVerdict['kind'];
      readonly cause: string;
      readonly delayMs: number;
    }
  | { readonly type: 'quarantined'; readonly meterId: string; readonly sequence: number; readonly code: string }
  | { readonly type: 'evidence'; readonly meterId: string; readonly sequence: number; readonly outcome: string };

export interface ForwarderStats {
  delivered: number;
  /** Readings found already on the ledger (a lost answer) and counted delivered, not sent again. */
  settled: number;
  transactions: number;
  retries: number;
  readonly retriesByCause: Record<string, number>;
  quarantined: number;
  evidenceStored: number;
}

interface MeterLoop {
  wake: (() => void) | undefined;
  running: Promise<void>;
  /** Send one reading per transaction until this sequence is past (to find which reading of a refused batch is at fault). */
  singleUntil: number;
  failures: number;
  alarmed: 'STALLED' | 'BLOCKED' | undefined;
}

export class Forwarder {
  readonly stats: ForwarderStats = {
    delivered: 0,
    settled: 0,
    transactions: 0,
    retries: 0,
    retriesByCause: {},
    quarantined: 0,
    evidenceStored: 0,
  };
  readonly #store: OutboxStore;
  readonly #ledger: LedgerSink;
  readonly #evidence: EvidenceSink | undefined;
  readonly #evidencePolicy: EvidencePolicy;
  readonly #backoff: BackoffPolicy;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onAlarm: AlarmListener | undefined;
  readonly #onEvent: ((e: ForwarderEvent) => void) | undefined;
  readonly #loops = new Map<string, MeterLoop>();
  #evidenceLoop: { wake: (() => void) | undefined; running: Promise<void> } | undefined;
  #unsubscribe: (() => void) | undefined;
  #stopping = false;
  #stopped: Promise<void>;
  #stop!: () => void;

  constructor(options: ForwarderOptions) {
    this.#store = options.store;
    this.#ledger = options.ledger;
    this.#evidence = options.evidence;
    this.#evidencePolicy = options.evidence === undefined ? 'none' : (options.evidencePolicy ?? 'violations');
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#onAlarm = options.onAlarm;
    this.#onEvent = options.onEvent;
    this.#stopped = new Promise<void>((resolve) => (this.#stop = resolve));
  }

  /** Starts delivering every meter's backlog, and each new reading as it is stored. */
  start(): void {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = this.#store.onAppend((meterId) => this.#ensureLoop(meterId).wake?.());
    for (const meterId of this.#store.meters()) this.#ensureLoop(meterId);
    if (this.#evidence !== undefined) {
      const loop: { wake: (() => void) | undefined; running: Promise<void> } = { wake: undefined, running: Promise.resolve() };
      this.#evidenceLoop = loop;
      loop.running = this.#runEvidence(loop);
    }
  }

  /** Stops after the submissions in flight; what is not delivered stays in the outbox. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stop();
    this.#unsubscribe?.();
    for (const l of this.#loops.values()) l.wake?.();
    this.#evidenceLoop?.wake?.();
    await Promise.all([...[...this.#loops.values()].map((l) => l.running), this.#evidenceLoop?.running]);
  }

  /** Resolves once nothing waits for the ledger (and, with an evidence sink, for the evidence store), or the forwarder stops. */
  async drained(pollMs = 20): Promise<void> {
    for (;;) {
      const s = this.#store.stats();
      if (this.#stopping || (s.pending === 0 && (this.#evidence === undefined || s.evidence === 0))) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  #ensureLoop(meterId: string): MeterLoop {
    let loop = this.#loops.get(meterId);
    if (loop === undefined) {
      const created: MeterLoop = { wake: undefined, running: Promise.resolve(), singleUntil: 0, failures: 0, alarmed: undefined };
      this.#loops.set(meterId, created);
      created.running = this.#runMeter(meterId, created);
      loop = created;
    }
    return loop;
  }

  #raise(a: Alarm): void {
    try {
      this.#onAlarm?.(a);
    } catch {
      // an alarm sink's failure must not stop delivery
    }
  }

  #event(e: ForwarderEvent): void {
    try {
      this.#onEvent?.(e);
    } catch {
      // observers do not stop delivery
    }
  }

  async #sleep(ms: number): Promise<void> {
    await Promise.race([this.#clock.sleep(ms), this.#stopped]);
  }

  #idle(loop: { wake: (() => void) | undefined }): Promise<void> {
    return new Promise<void>((resolve) => {
      loop.wake = () => {
        loop.wake = undefined;
        resolve();
      };
    });
  }

  /** The next readings to send: in order, within the sink's batch bounds. */
  async #nextBatch(meterId: string, loop: MeterLoop): Promise<OutboxEntry[]> {
    const entries = await this.#store.nextForLedger(meterId, this.#ledger.maxBatch);
    if (entries.length === 0) return entries;
    if (entries[0]!.sequence <= loop.singleUntil) return entries.slice(0, 1);
    let bytes = 0;
    let n = 0;
    while (n < entries.length && (n === 0 || bytes + entries[n]!.signedReading.length <= this.#ledger.maxBatchBytes)) {
      bytes += entries[n]!.signedReading.length;
      n++;
    }
    return entries.slice(0, n);
  }

  async #runMeter(meterId: string, loop: MeterLoop): Promise<void> {
    // let start() finish registering before the first await
    await Promise.resolve();
    while (!this.#stopping) {
      let batch: OutboxEntry[];
      try {
        batch = await this.#nextBatch(meterId, loop);
      } catch (err) {
        if (await this.#unexpected(meterId, loop, err)) return;
        continue;
      }
      if (batch.length === 0) {
        const idle = this.#idle(loop);
        if (this.#store.pendingCount(meterId) === 0) await Promise.race([idle, this.#stopped]);
        continue;
      }
      const started = this.#clock.now();
      this.#event({ type: 'sending', meterId, sequences: batch.map((e) => e.sequence) });
      let records: LedgerRecord[] | undefined;
      let failure: unknown;
      try {
        records = await this.#ledger.submit(batch.map((e) => e.signedReading));
      } catch (err) {
        failure = err;
      }
      try {
        if (records !== undefined && records.length !== batch.length) {
          throw new Error(`the ledger answered ${records.length} records for ${batch.length} readings`);
        }
        if (records !== undefined) {
          this.stats.transactions++;
          await this.#delivered(meterId, batch, records, started, false);
          this.#recovered(meterId, loop);
          continue;
        }
        const verdict = this.#ledger.classify(failure);
        if (verdict.kind === 'replayed') {
          if (await this.#settle(meterId, batch, started)) {
            this.#recovered(meterId, loop);
            continue;
          }
          await this.#retry(meterId, loop, { kind: 'transient', cause: 'LAGGING_PEER' });
        } else if (verdict.kind === 'refused') {
          if (batch.length > 1) {
            // one reading of the batch is at fault: find it by sending them one by one
            loop.singleUntil = batch[batch.length - 1]!.sequence;
            continue;
          }
          await this.#quarantine(batch[0]!, verdict.cause, (failure as Error)?.message ?? String(failure));
        } else {
          await this.#retry(meterId, loop, verdict);
        }
      } catch (err) {
        if (await this.#unexpected(meterId, loop, err)) return;
      }
    }
  }

  /**
   * A failure outside the delivery verdicts. The outbox closed or failed: this process can deliver
   * no more (returns true). Anything else is a stall to alarm about and retry after a backoff, never
   * a reason to stop delivering silently.
   */
  async #unexpected(meterId: string, loop: MeterLoop, err: unknown): Promise<boolean> {
    if (err instanceof OutboxError && (err.code === 'CLOSED' || err.code === 'OUTBOX_FAILED')) return true;
    if (loop.alarmed === undefined) {
      loop.alarmed = 'STALLED';
      this.#raise(
        alarm(
          'DELIVERY_STALLED',
          `delivering meter ${meterId}'s readings failed unexpectedly: ${(err as Error)?.message ?? String(err)}; still retrying`,
          { meterId, details: { cause: 'UNEXPECTED' } },
        ),
      );
    }
    await this.#retry(meterId, loop, { kind: 'transient', cause: 'UNEXPECTED' });
    return false;
  }

  async #retry(meterId: string, loop: MeterLoop, verdict: Exclude<DeliveryVerdict, { kind: 'replayed' | 'refused' }>): Promise<void> {
    loop.failures++;
    this.stats.retries++;
    this.stats.retriesByCause[verdict.cause] = (this.stats.retriesByCause[verdict.cause] ?? 0) + 1;
    if (verdict.kind === 'blocked' && loop.alarmed !== 'BLOCKED') {
      loop.alarmed = 'BLOCKED';
      this.#raise(
        alarm(
          'DELIVERY_BLOCKED',
          `the ledger refuses meter ${meterId}'s readings (${verdict.cause}); they stay in the outbox until an operator acts`,
          { meterId, details: { cause: verdict.cause } },
        ),
      );
    } else if (verdict.kind === 'transient' && loop.alarmed === undefined && loop.failures >= this.#backoff.stalledAfter) {
      loop.alarmed = 'STALLED';
      this.#raise(
        alarm(
          'DELIVERY_STALLED',
          `meter ${meterId}'s readings failed to deliver ${loop.failures} times in a row (${verdict.cause}); still retrying`,
          { meterId, details: { cause: verdict.cause } },
        ),
      );
    }
    const policy = {
      maxAttempts: Number.MAX_SAFE_INTEGER,
      initialDelayMs: this.#backoff.initialDelayMs,
      maxDelayMs: this.#backoff.maxDelayMs,
    };
    // blocked: wait the longest, it needs a person
    const delayMs = backoffDelayMs(policy, verdict.kind === 'blocked' ? 64 : loop.failures, this.#random);
    this.#event({ type: 'retry', meterId, kind: verdict.kind, cause: verdict.cause, delayMs });
    await this.#sleep(delayMs);
  }

  #recovered(meterId: string, loop: MeterLoop): void {
    if (loop.alarmed !== undefined) this.#raise(alarm('DELIVERY_RESUMED', `meter ${meterId}'s readings are delivered again`, { meterId }));
    loop.failures = 0;
    loop.alarmed = undefined;
  }

  #keepImage(entry: OutboxEntry, record: LedgerRecord): boolean {
    if (entry.image === undefined) return false;
    if (this.#evidencePolicy === 'all') return true;
    return this.#evidencePolicy === 'violations' && record.status === 'MEASURED' && record.speedLimitExceeded === true;
  }

  async #delivered(
    meterId: string,
    batch: readonly OutboxEntry[],
    records: readonly LedgerRecord[],
    started: number,
    settled: boolean,
  ): Promise<void> {
    await this.#store.markDelivered(
      meterId,
      batch.map((entry, i) => {
        const record = records[i]!;
        return {
          entry,
          keepImage: this.#keepImage(entry, record),
          summary: {
            status: record.status,
            ...(record.txId !== undefined && { txId: record.txId }),
            ...(record.speedLimitExceeded !== undefined && { speedLimitExceeded: record.speedLimitExceeded }),
          },
        };
      }),
    );
    this.stats.delivered += batch.length;
    if (settled) this.stats.settled += batch.length;
    if (batch.some((e) => e.image !== undefined) && this.#evidenceLoop !== undefined) this.#evidenceLoop.wake?.();
    const now = this.#clock.now();
    const txId = records[0]?.txId;
    this.#event({
      type: 'delivered',
      meterId,
      sequences: batch.map((e) => e.sequence),
      ...(txId !== undefined && { txId }),
      submitMs: now - started,
      atMs: now,
      settled,
    });
  }

  /**
   * The ledger has some of these sequences already. Each is looked up in order: the same reading
   * is delivered; another reading is a conflict (quarantined); none stops the walk (a lagging
   * peer, or the rest was never committed). Returns whether anything moved.
   */
  async #settle(meterId: string, batch: readonly OutboxEntry[], started: number): Promise<boolean> {
    let moved = false;
    for (const entry of batch) {
      let record: LedgerRecord | undefined;
      try {
        record = await this.#ledger.lookup(meterId, entry.sequence);
      } catch {
        return moved;
      }
      if (record === undefined) return moved;
      if (record.readingSha256 === entry.readingSha256) {
        await this.#delivered(meterId, [entry], [record], started, true);
      } else {
        await this.#quarantine(
          entry,
          'SEQUENCE_CONFLICT',
          `the ledger holds another reading under ${meterId} #${entry.sequence} (sha256 ${record.readingSha256 ?? 'unknown'}, transaction ${record.txId ?? 'unknown'})`,
        );
      }
      moved = true;
    }
    return moved;
  }

  async #quarantine(entry: OutboxEntry, code: string, message: string): Promise<void> {
    await this.#store.quarantine(entry, { code, message });
    this.stats.quarantined++;
    const evidence = entry.stage === 'evidence';
    this.#raise(
      alarm(
        evidence ? 'EVIDENCE_QUARANTINED' : 'READING_QUARANTINED',
        `${evidence ? 'the plate image of ' : ''}reading ${entry.meterId} #${entry.sequence} set aside (${code}): ${message}`,
        {
          meterId: entry.meterId,
          sequence: entry.sequence,
          details: { code },
        },
      ),
    );
    this.#event({ type: 'quarantined', meterId: entry.meterId, sequence: entry.sequence, code });
  }

  async #runEvidence(loop: { wake: (() => void) | undefined }): Promise<void> {
    const sink = this.#evidence!;
    let failures = 0;
    await Promise.resolve();
    while (!this.#stopping) {
      let entries: OutboxEntry[];
      try {
        entries = await this.#store.nextForEvidence(16);
      } catch (err) {
        if (err instanceof OutboxError && (err.code === 'CLOSED' || err.code === 'OUTBOX_FAILED')) return;
        this.#raise(
          alarm(
            'DELIVERY_STALLED',
            `reading the outbox for the evidence store failed: ${(err as Error)?.message ?? String(err)}; still retrying`,
            { details: { cause: 'UNEXPECTED' } },
          ),
        );
        await this.#sleep(this.#backoff.maxDelayMs);
        continue;
      }
      if (entries.length === 0) {
        const idle = this.#idle(loop);
        if (this.#store.stats().evidence === 0) await Promise.race([idle, this.#stopped]);
        continue;
      }
      try {
        for (const entry of entries) {
          if (this.#stopping) return;
          const image = await this.#store.image(entry.meterId, entry.sequence);
          if (image === undefined) {
            await this.#quarantine(entry, 'IMAGE_MISSING', 'the image is not in the outbox');
            continue;
          }
          let outcome: string;
          try {
            outcome = await sink.put({ signedReading: entry.signedReading, image, imageSignature: entry.image!.signature });
          } catch (err) {
            const verdict = sink.classify(err);
            if (verdict.kind === 'refused') {
              await this.#quarantine(entry, verdict.cause, (err as Error).message);
              continue;
            }
            failures++;
            const cause = verdict.kind === 'replayed' ? 'REPLAYED' : verdict.cause;
            this.stats.retries++;
            this.stats.retriesByCause[`evidence/${cause}`] = (this.stats.retriesByCause[`evidence/${cause}`] ?? 0) + 1;
            const delayMs = backoffDelayMs(
              { initialDelayMs: this.#backoff.initialDelayMs, maxDelayMs: this.#backoff.maxDelayMs },
              verdict.kind === 'blocked' ? 64 : failures,
              this.#random,
            );
            this.#event({ type: 'retry', meterId: entry.meterId, kind: verdict.kind, cause: `evidence/${cause}`, delayMs });
            await this.#sleep(delayMs);
            break;
          }
          failures = 0;
          await this.#store.markEvidenceStored(entry.meterId, entry.sequence);
          this.stats.evidenceStored++;
          this.#event({ type: 'evidence', meterId: entry.meterId, sequence: entry.sequence, outcome });
        }
      } catch (err) {
        if (err instanceof OutboxError && (err.code === 'CLOSED' || err.code === 'OUTBOX_FAILED')) return;
        this.#raise(
          alarm(
            'DELIVERY_STALLED',
            `handing images to the evidence store failed unexpectedly: ${(err as Error)?.message ?? String(err)}; still retrying`,
            { details: { cause: 'UNEXPECTED' } },
          ),
        );
        await this.#sleep(this.#backoff.maxDelayMs);
      }
    }
  }
}
