// SPDX-License-Identifier: Apache-2.0
// The meter's persistent outbox: every signed reading (and its plate image) is written here, and
// synced, before the meter counts it as captured; it leaves only once the ledger holds it (and the
// evidence store the image, where one is handed over). LevelDB, one directory per outbox, locked
// by one process at a time; its write-ahead log is what recovers the outbox after a crash.
//
// Layout (keys are a one-letter kind, the meter id, NUL, the sequence zero-padded to 16 digits):
//   E meter NUL seq16 -> entry: u32 header length | header JSON | signed reading bytes
//   I meter NUL seq16 -> the plate image bytes (when the reading has one)
//   S meter           -> the meter's last stored sequence (decimal), kept when its entries go
// An entry's stage is in its header: `L` waiting for the ledger, `E` delivered with an image still
// to hand over, `Q` quarantined (the ledger will never take it; kept for the operator).
//
// Writes go through one queue and are group-committed: what is queued while a write is in flight
// goes in the next LevelDB batch, in order. A batch is synced when any write in it must be durable
// (a new reading, a quarantine). Delivery marks are not synced: one lost in a crash only makes the
// forwarder send that reading again, and the ledger answers that it has it (REPLAYED_SEQUENCE).
import { createHash } from 'node:crypto';
import { ClassicLevel } from 'classic-level';
import { decodeReading, decodeSignedReading, LrError } from '@metroledger/lr';
import { alarm, type Alarm, type AlarmListener } from './alarms';
import { OutboxError } from './errors';

export interface OutboxLimits {
  /** Readings held at most: waiting for the ledger, for the evidence store, or quarantined. Default 500,000 (about 7.6 days of one meter at São Paulo's 0.76 vehicles/s). */
  readonly maxReadings: number;
  /** Bytes held at most, readings and images. Default 4 GiB. */
  readonly maxBytes: number;
  /** Fill share (the larger of readings/maxReadings and bytes/maxBytes) that raises OUTBOX_NEAR_FULL. Default 0.8. */
  readonly nearFullShare: number;
  /** Fill share below which OUTBOX_NEAR_FULL or OUTBOX_FULL clears. Default 0.6. */
  readonly clearShare: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = Object.freeze({
  maxReadings: 500_000,
  maxBytes: 4 * 1024 ** 3,
  nearFullShare: 0.8,
  clearShare: 0.6,
});

export type EntryStage = 'ledger' | 'evidence' | 'quarantined';

export interface StoredImage {
  /** SHA-256 of the image, hex (the digest the reading carries). */
  readonly sha256: string;
  readonly bytes: number;
  /** The meter's signature over the image statement (`@metroledger/evidence`). */
  readonly signature: Uint8Array;
}

/** What the ledger said about a delivered reading (kept while its image waits for the evidence store). */
export interface DeliveredSummary {
  readonly status: string;
  readonly txId?: string;
  readonly speedLimitExceeded?: boolean;
}

export interface OutboxEntry {
  readonly meterId: string;
  readonly sequence: number;
  readonly captureTimeMs: number;
  /** Wall-clock time it was stored, ms since the epoch. */
  readonly storedAtMs: number;
  /** SHA-256 (hex) of the canonical reading bytes: what the ledger records as `readingSha256`. */
  readonly readingSha256: string;
  /** The signed reading, as the meter produced it. */
  readonly signedReading: Uint8Array;
  readonly stage: EntryStage;
  readonly image?: StoredImage;
  readonly delivered?: DeliveredSummary;
  readonly quarantine?: { readonly code: string; readonly message: string; readonly atMs: number };
}

export interface AppendInput {
  readonly signedReading: Uint8Array;
  /** The plate image whose SHA-256 the reading carries, and the meter's signature over it. */
  readonly image?: { readonly bytes: Uint8Array; readonly signature: Uint8Array };
}

export interface MeterBacklog {
  readonly meterId: string;
  readonly lastSequence: number;
  /** Readings waiting for the ledger. */
  readonly pending: number;
  /** Delivered readings whose image waits for the evidence store. */
  readonly evidence: number;
  readonly quarantined: number;
  /** Lowest sequence waiting for the ledger. */
  readonly nextSequence?: number;
}

export interface OutboxStats {
  readonly readings: number;
  readonly bytes: number;
  readonly pending: number;
  readonly evidence: number;
  readonly quarantined: number;
  /** The larger of readings/maxReadings and bytes/maxBytes. */
  readonly fillShare: number;
  readonly state: 'OK' | 'NEAR_FULL' | 'FULL' | 'FAILED';
  readonly limits: OutboxLimits;
  readonly meters: MeterBacklog[];
}

export interface OpenOutboxOptions {
  readonly limits?: Partial<OutboxLimits>;
  readonly onAlarm?: AlarmListener;
  /** LevelDB's memory table size. Default 1 MiB (a meter writes about 1 KB a second). */
  readonly writeBufferBytes?: number;
}

interface MeterIndex {
  lastSequence: number;
  /** Ledger-stage sequences in order; `head` is the first one still pending. */
  readonly ledger: number[];
  head: number;
  readonly evidence: Set<number>;
  readonly quarantined: Set<number>;
  /** Bytes each stored entry takes (reading, header and image). */
  readonly sizes: Map<number, number>;
}

interface Header {
  c: number;
  t: number;
  h: string;
  st: 'L' | 'E' | 'Q';
  im?: { h: string; n: number; s: string };
  d?: DeliveredSummary;
  q?: { code: string; message: string; atMs: number };
}

type Op = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

interface QueuedWrite {
  readonly ops: Op[];
  readonly sync: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

const NUL = '\u0000';
const entryKey = (meterId: string, seq: number): string => `E${meterId}${NUL}${seq.toString().padStart(16, '0')}`;
const imageKey = (meterId: string, seq: number): string => `I${meterId}${NUL}${seq.toString().padStart(16, '0')}`;
const sequenceKey = (meterId: string): string => `S${meterId}`;
const STAGE: Record<Header['st'], EntryStage> = { L: 'ledger', E: 'evidence', Q: 'quarantined' };

function encodeEntry(header: Header, signedReading: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length + signedReading.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  out.set(signedReading, 4 + json.length);
  return out;
}

function decodeEntry(key: string, value: Buffer): { meterId: string; sequence: number; header: Header; signedReading: Buffer } {
  const sep = key.indexOf(NUL);
  const meterId = key.slice(1, sep);
  const sequence = Number(key.slice(sep + 1));
  try {
    const len = value.readUInt32BE(0);
    const header = JSON.parse(value.subarray(4, 4 + len).toString('utf8')) as Header;
    if (typeof header.h !== 'string' || !(header.st in STAGE)) throw new Error('header fields missing');
    return { meterId, sequence, header, signedReading: value.subarray(4 + len) };
  } catch (err) {
    throw new OutboxError(
      'OUTBOX_CORRUPT',
      `entry ${meterId} #${sequence} does not decode: ${(err as Error).message}`,
      { meterId, sequence },
      { cause: err },
    );
  }
}

function toEntry(meterId: string, sequence: number, header: Header, signedReading: Uint8Array): OutboxEntry {
  return {
    meterId,
    sequence,
    captureTimeMs: header.c,
    storedAtMs: header.t,
    readingSha256: header.h,
    signedReading,
    stage: STAGE[header.st],
    ...(header.im !== undefined && { image: { sha256: header.im.h, bytes: header.im.n, signature: Buffer.from(header.im.s, 'base64') } }),
    ...(header.d !== undefined && { delivered: header.d }),
    ...(header.q !== undefined && { quarantine: header.q }),
  };
}

function headerOf(e: OutboxEntry): Header {
  return {
    c: e.captureTimeMs,
    t: e.storedAtMs,
    h: e.readingSha256,
    st: e.stage === 'ledger' ? 'L' : e.stage === 'evidence' ? 'E' : 'Q',
    ...(e.image !== undefined && { im: { h: e.image.sha256, n: e.image.bytes, s: Buffer.from(e.image.signature).toString('base64') } }),
    ...(e.delivered !== undefined && { d: e.delivered }),
    ...(e.quarantine !== undefined && { q: e.quarantine }),
  };
}

function checkLimits(l: OutboxLimits): void {
  const ok =
    Number.isSafeInteger(l.maxReadings) &&
    l.maxReadings > 0 &&
    Number.isSafeInteger(l.maxBytes) &&
    l.maxBytes > 0 &&
    l.clearShare > 0 &&
    l.clearShare < l.nearFullShare &&
    l.nearFullShare <= 1;
  if (!ok)
    throw new OutboxError('BAD_OPTION', 'limits: maxReadings and maxBytes must be positive integers, 0 < clearShare < nearFullShare <= 1', {
      ...l,
    });
}

export class OutboxStore {
  readonly dir: string;
  readonly limits: OutboxLimits;
  readonly #db: ClassicLevel<string, Buffer>;
  readonly #meters = new Map<string, MeterIndex>();
  readonly #listeners = new Set<(meterId: string) => void>();
  readonly #onAlarm: AlarmListener | undefined;
  #readings = 0;
  #bytes = 0;
  #state: 'OK' | 'NEAR_FULL' | 'FULL' = 'OK';
  #failed: Error | undefined;
  #closed = false;
  #queue: QueuedWrite[] = [];
  #flushing: Promise<void> | undefined;

  private constructor(dir: string, db: ClassicLevel<string, Buffer>, limits: OutboxLimits, onAlarm: AlarmListener | undefined) {
    this.dir = dir;
    this.#db = db;
    this.limits = limits;
    this.#onAlarm = onAlarm;
  }

  /**
   * Opens (creating) the outbox in `dir` and recovers its index from what is stored.
   * @throws {@link OutboxError} OUTBOX_LOCKED when another process has it open; OUTBOX_CORRUPT; BAD_OPTION
   */
  static async open(dir: string, options: OpenOutboxOptions = {}): Promise<OutboxStore> {
    const limits = { ...DEFAULT_OUTBOX_LIMITS, ...options.limits };
    checkLimits(limits);
    const db = new ClassicLevel<string, Buffer>(dir, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
      writeBufferSize: options.writeBufferBytes ?? 1024 * 1024,
    });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED')
        throw new OutboxError('OUTBOX_LOCKED', `the outbox ${dir} is open in another process`, { dir }, { cause: err });
      throw new OutboxError('OUTBOX_FAILED', `cannot open the outbox ${dir}: ${(err as Error).message}`, { dir }, { cause: err });
    }
    const store = new OutboxStore(dir, db, limits, options.onAlarm);
    try {
      await store.#load();
    } catch (err) {
      await db.close();
      throw err;
    }
    return store;
  }

  async #load(): Promise<void> {
    for await (const [key, value] of this.#db.iterator({ gte: 'S', lt: 'T' })) {
      this.#meter(key.slice(1)).lastSequence = Number(value.toString('utf8'));
    }
    for await (const [key, value] of this.#db.iterator({ gte: 'E', lt: 'F' })) {
      const { meterId, sequence, header } = decodeEntry(key, value);
      const m = this.#meter(meterId);
      const size = value.length + (header.im?.n ?? 0);
      m.sizes.set(sequence, size);
      this.#readings++;
      this.#bytes += size;
      if (header.st === 'L') m.ledger.push(sequence);
      else if (header.st === 'E') m.evidence.add(sequence);
      else m.quarantined.add(sequence);
      if (sequence > m.lastSequence) m.lastSequence = sequence;
    }
    this.#state = this.#fillShare() >= this.limits.nearFullShare ? 'NEAR_FULL' : 'OK';
  }

  #meter(meterId: string): MeterIndex {
    let m = this.#meters.get(meterId);
    if (m === undefined) {
      m = { lastSequence: 0, ledger: [], head: 0, evidence: new Set(), quarantined: new Set(), sizes: new Map() };
      this.#meters.set(meterId, m);
    }
    return m;
  }

  #usable(): void {
    if (this.#closed) throw new OutboxError('CLOSED', `the outbox ${this.dir} is closed`);
    if (this.#failed !== undefined)
      throw new OutboxError(
        'OUTBOX_FAILED',
        `the outbox ${this.dir} stopped after a failed write (${this.#failed.message}); restart the meter`,
        { dir: this.dir },
        { cause: this.#failed },
      );
  }

  #fillShare(extraReadings = 0, extraBytes = 0): number {
    return Math.max((this.#readings + extraReadings) / this.limits.maxReadings, (this.#bytes + extraBytes) / this.limits.maxBytes);
  }

  #raise(a: Alarm): void {
    try {
      this.#onAlarm?.(a);
    } catch {
      // an alarm sink's failure must not fail the meter
    }
  }

  #updateFill(): void {
    const share = this.#fillShare();
    if (this.#state !== 'OK' && share < this.limits.clearShare) {
      this.#state = 'OK';
      this.#raise(alarm('OUTBOX_CLEARED', `outbox at ${(share * 100).toFixed(1)} %: capturing normally`, { details: this.#fillDetails() }));
    } else if (this.#state === 'OK' && share >= this.limits.nearFullShare) {
      this.#state = 'NEAR_FULL';
      this.#raise(
        alarm('OUTBOX_NEAR_FULL', `outbox at ${(share * 100).toFixed(1)} % of its capacity: the meter stops capturing when it is full`, {
          details: this.#fillDetails(),
        }),
      );
    }
  }

  #fillDetails(): Record<string, unknown> {
    return { readings: this.#readings, bytes: this.#bytes, maxReadings: this.limits.maxReadings, maxBytes: this.limits.maxBytes };
  }

  /** The meter's last stored sequence (0 when the outbox has none): a restarted meter continues after it. */
  lastSequence(meterId: string): number {
    return this.#meters.get(meterId)?.lastSequence ?? 0;
  }

  /** Meters with anything stored, or a recorded sequence. */
  meters(): string[] {
    return [...this.#meters.keys()];
  }

  /** Calls `listener(meterId)` after each reading is stored (synced). Returns the unsubscriber. */
  onAppend(listener: (meterId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stores a signed reading (and its plate image), synced, and resolves once it is durable.
   * The reading's sequence must follow the meter's last one (any sequence for a meter new to this
   * outbox). Refused when it would not fit: OUTBOX_FULL, and the meter stops capturing.
   * @throws {@link OutboxError} OUTBOX_FULL | SEQUENCE_CONFLICT | BAD_READING | OUTBOX_FAILED | CLOSED
   */
  async append(input: AppendInput, nowMs: number = Date.now()): Promise<OutboxEntry> {
    this.#usable();
    let meterId: string;
    let sequence: number;
    let captureTimeMs: number;
    let plate: Uint8Array | undefined;
    let readingBytes: Uint8Array;
    try {
      readingBytes = decodeSignedReading(input.signedReading).reading;
      ({ meterId, sequence, captureTimeMs, plateImageSha256: plate } = decodeReading(readingBytes));
    } catch (err) {
      if (err instanceof LrError) throw new OutboxError('BAD_READING', `not a signed reading: ${err.message}`, undefined, { cause: err });
      throw err;
    }
    let image: StoredImage | undefined;
    if (input.image !== undefined) {
      const digest = createHash('sha256').update(input.image.bytes).digest();
      if (plate === undefined || !digest.equals(plate)) {
        throw new OutboxError('BAD_READING', `the image is not the one reading ${meterId} #${sequence} carries the digest of`, {
          meterId,
          sequence,
        });
      }
      image = { sha256: digest.toString('hex'), bytes: input.image.bytes.length, signature: input.image.signature };
    }
    const known = this.#meters.get(meterId);
    if (known !== undefined && sequence !== known.lastSequence + 1) {
      throw new OutboxError(
        'SEQUENCE_CONFLICT',
        `reading ${meterId} #${sequence} does not follow the meter's last stored sequence ${known.lastSequence}`,
        { meterId, sequence, lastSequence: known.lastSequence },
      );
    }
    const entry: OutboxEntry = {
      meterId,
      sequence,
      captureTimeMs,
      storedAtMs: nowMs,
      readingSha256: createHash('sha256').update(readingBytes).digest('hex'),
      signedReading: input.signedReading,
      stage: 'ledger',
      ...(image !== undefined && { image }),
    };
    const value = encodeEntry(headerOf(entry), entry.signedReading);
    const size = value.length + (image?.bytes ?? 0);
    if (this.#readings + 1 > this.limits.maxReadings || this.#bytes + size > this.limits.maxBytes) {
      if (this.#state !== 'FULL') {
        this.#state = 'FULL';
        this.#raise(
          alarm(
            'OUTBOX_FULL',
            `outbox full (${this.#readings} readings, ${this.#bytes} bytes): the meter stops capturing until readings drain`,
            { meterId, details: this.#fillDetails() },
          ),
        );
      }
      throw new OutboxError(
        'OUTBOX_FULL',
        `the outbox holds ${this.#readings} readings (${this.#bytes} bytes) of at most ${this.limits.maxReadings} (${this.limits.maxBytes} bytes): reading ${meterId} #${sequence} is not stored`,
        { meterId, sequence, ...this.#fillDetails() },
      );
    }
    // Reserved at once, so that concurrent appends see each other; the write failing fail-stops the outbox.
    const m = this.#meter(meterId);
    m.lastSequence = sequence;
    m.sizes.set(sequence, size);
    this.#readings++;
    this.#bytes += size;
    const ops: Op[] = [
      { type: 'put', key: entryKey(meterId, sequence), value },
      { type: 'put', key: sequenceKey(meterId), value: Buffer.from(String(sequence)) },
    ];
    if (input.image !== undefined)
      ops.push({
        type: 'put',
        key: imageKey(meterId, sequence),
        value: Buffer.from(input.image.bytes.buffer, input.image.bytes.byteOffset, input.image.bytes.byteLength),
      });
    await this.#write(ops, true);
    m.ledger.push(sequence);
    this.#updateFill();
    for (const l of this.#listeners) l(meterId);
    return entry;
  }

  /** Up to `limit` of the meter's readings waiting for the ledger, in sequence order. */
  async nextForLedger(meterId: string, limit: number): Promise<OutboxEntry[]> {
    this.#usable();
    const m = this.#meters.get(meterId);
    if (m === undefined) return [];
    const seqs = m.ledger.slice(m.head, m.head + limit);
    return this.#read(meterId, seqs);
  }

  /** Up to `limit` delivered readings whose image waits for the evidence store, oldest meters' first. */
  async nextForEvidence(limit: number): Promise<OutboxEntry[]> {
    this.#usable();
    const out: OutboxEntry[] = [];
    for (const [meterId, m] of this.#meters) {
      if (m.evidence.size === 0) continue;
      out.push(...(await this.#read(meterId, [...m.evidence].sort((a, b) => a - b).slice(0, limit - out.length))));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Quarantined readings (kept for the operator), in meter and sequence order. */
  async quarantined(): Promise<OutboxEntry[]> {
    this.#usable();
    const out: OutboxEntry[] = [];
    for (const [meterId, m] of [...this.#meters].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out.push(
        ...(await this.#read(
          meterId,
          [...m.quarantined].sort((a, b) => a - b),
        )),
      );
    }
    return out;
  }

  /** The plate image stored with a reading. */
  async image(meterId: string, sequence: number): Promise<Buffer | undefined> {
    this.#usable();
    return this.#db.get(imageKey(meterId, sequence));
  }

  async #read(meterId: string, seqs: readonly number[]): Promise<OutboxEntry[]> {
    if (seqs.length === 0) return [];
    const values = await this.#db.getMany(seqs.map((s) => entryKey(meterId, s)));
    return values.map((v, i) => {
      if (v === undefined)
        throw new OutboxError('OUTBOX_CORRUPT', `entry ${meterId} #${seqs[i]} is indexed but not stored`, { meterId, sequence: seqs[i] });
      const d = decodeEntry(entryKey(meterId, seqs[i]!), v);
      return toEntry(meterId, seqs[i]!, d.header, d.signedReading);
    });
  }

  /**
   * The ledger holds these readings (the meter's next pending ones, in order). Each leaves the
   * outbox, or stays until its image is handed over when `keepImage` says so.
   */
  async markDelivered(
    meterId: string,
    delivered: readonly { entry: OutboxEntry; summary: DeliveredSummary; keepImage: boolean }[],
  ): Promise<void> {
    this.#usable();
    const m = this.#meters.get(meterId);
    if (m === undefined || delivered.length === 0) return;
    for (const [i, d] of delivered.entries()) {
      if (m.ledger[m.head + i] !== d.entry.sequence) {
        throw new OutboxError('SEQUENCE_CONFLICT', `${meterId} #${d.entry.sequence} is not the meter's next pending reading`, {
          meterId,
          sequence: d.entry.sequence,
        });
      }
    }
    const ops: Op[] = [];
    for (const d of delivered) {
      const seq = d.entry.sequence;
      if (d.keepImage && d.entry.image !== undefined) {
        const kept: OutboxEntry = { ...d.entry, stage: 'evidence', delivered: d.summary };
        const value = encodeEntry(headerOf(kept), kept.signedReading);
        ops.push({ type: 'put', key: entryKey(meterId, seq), value });
        m.evidence.add(seq);
        this.#resize(m, seq, value.length + d.entry.image.bytes);
      } else {
        ops.push(
          { type: 'del', key: entryKey(meterId, seq) },
          ...(d.entry.image !== undefined ? [{ type: 'del' as const, key: imageKey(meterId, seq) }] : []),
        );
        this.#forget(m, seq);
      }
    }
    m.head += delivered.length;
    this.#compactDeque(m);
    await this.#write(ops, false);
    this.#updateFill();
  }

  /** The image of a delivered reading is in the evidence store: the entry leaves the outbox. */
  async markEvidenceStored(meterId: string, sequence: number): Promise<void> {
    this.#usable();
    const m = this.#meters.get(meterId);
    if (m === undefined || !m.evidence.delete(sequence)) return;
    this.#forget(m, sequence);
    await this.#write(
      [
        { type: 'del', key: entryKey(meterId, sequence) },
        { type: 'del', key: imageKey(meterId, sequence) },
      ],
      false,
    );
    this.#updateFill();
  }

  /**
   * Sets a reading aside for good, with the reason (synced): the ledger will never accept it, or
   * the evidence store never its image. It still counts against the capacity, until an operator
   * has taken it out (`releaseQuarantined`).
   */
  async quarantine(entry: OutboxEntry, reason: { code: string; message: string }, nowMs: number = Date.now()): Promise<void> {
    this.#usable();
    const m = this.#meters.get(entry.meterId);
    if (m === undefined) return;
    if (entry.stage === 'ledger') {
      if (m.ledger[m.head] !== entry.sequence) {
        throw new OutboxError('SEQUENCE_CONFLICT', `${entry.meterId} #${entry.sequence} is not the meter's next pending reading`, {
          meterId: entry.meterId,
          sequence: entry.sequence,
        });
      }
      m.head++;
      this.#compactDeque(m);
    } else {
      m.evidence.delete(entry.sequence);
    }
    m.quarantined.add(entry.sequence);
    const kept: OutboxEntry = { ...entry, stage: 'quarantined', quarantine: { ...reason, atMs: nowMs } };
    await this.#write(
      [{ type: 'put', key: entryKey(entry.meterId, entry.sequence), value: encodeEntry(headerOf(kept), kept.signedReading) }],
      true,
    );
  }

  /** Removes a quarantined reading once the operator has exported it. Returns whether there was one. */
  async releaseQuarantined(meterId: string, sequence: number): Promise<boolean> {
    this.#usable();
    const m = this.#meters.get(meterId);
    if (m === undefined || !m.quarantined.delete(sequence)) return false;
    this.#forget(m, sequence);
    await this.#write(
      [
        { type: 'del', key: entryKey(meterId, sequence) },
        { type: 'del', key: imageKey(meterId, sequence) },
      ],
      true,
    );
    this.#updateFill();
    return true;
  }

  #resize(m: MeterIndex, seq: number, size: number): void {
    this.#bytes += size - (m.sizes.get(seq) ?? 0);
    m.sizes.set(seq, size);
  }

  #forget(m: MeterIndex, seq: number): void {
    this.#bytes -= m.sizes.get(seq) ?? 0;
    this.#readings--;
    m.sizes.delete(seq);
  }

  #compactDeque(m: MeterIndex): void {
    if (m.head > 1024 && m.head * 2 > m.ledger.length) {
      m.ledger.splice(0, m.head);
      m.head = 0;
    }
  }

  /** How many readings of the meter wait for the ledger. */
  pendingCount(meterId: string): number {
    const m = this.#meters.get(meterId);
    return m === undefined ? 0 : m.ledger.length - m.head;
  }

  stats(): OutboxStats {
    const meters = [...this.#meters]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([meterId, m]): MeterBacklog => ({
        meterId,
        lastSequence: m.lastSequence,
        pending: m.ledger.length - m.head,
        evidence: m.evidence.size,
        quarantined: m.quarantined.size,
        ...(m.head < m.ledger.length && { nextSequence: m.ledger[m.head]! }),
      }));
    const sum = (f: (b: MeterBacklog) => number): number => meters.reduce((a, b) => a + f(b), 0);
    return {
      readings: this.#readings,
      bytes: this.#bytes,
      pending: sum((b) => b.pending),
      evidence: sum((b) => b.evidence),
      quarantined: sum((b) => b.quarantined),
      fillShare: this.#fillShare(),
      state: this.#failed !== undefined ? 'FAILED' : this.#state,
      limits: this.limits,
      meters,
    };
  }

  #write(ops: Op[], sync: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops, sync, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const writes = this.#queue;
      this.#queue = [];
      if (this.#failed !== undefined) {
        for (const w of writes)
          w.reject(
            new OutboxError('OUTBOX_FAILED', `the outbox ${this.dir} stopped after a failed write`, undefined, { cause: this.#failed }),
          );
        continue;
      }
      try {
        await this.#db.batch(
          writes.flatMap((w) => w.ops),
          { sync: writes.some((w) => w.sync) },
        );
        for (const w of writes) w.resolve();
      } catch (err) {
        this.#failed = err as Error;
        this.#raise(
          alarm('OUTBOX_FAILED', `a write to the outbox failed: ${(err as Error).message}; the meter stops until restarted`, {
            details: { dir: this.dir },
          }),
        );
        const failure = new OutboxError(
          'OUTBOX_FAILED',
          `writing the outbox ${this.dir} failed: ${(err as Error).message}`,
          { dir: this.dir },
          { cause: err },
        );
        for (const w of writes) w.reject(failure);
      }
    }
    this.#flushing = undefined;
  }

  /** Waits for queued writes, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#flushing;
    this.#closed = true;
    await this.#db.close();
  }
}
