// SPDX-License-Identifier: Apache-2.0
// The evidence store on disk: content-addressed, durable, append-only.
//   objects/<aa>/<sha256 hex>   each image once, named by its SHA-256; written to a temporary file,
//                                fsync'd, renamed, and the directory fsync'd
//   records.log                  which image is the evidence of which reading (hash-chained, fsync'd)
//   access.log                   every request, allowed or refused (hash-chained, fsync'd)
// A record is appended only after its image is durable, so every record's image exists. An image
// without a record (a crash between the two) was never acknowledged: it is removed on open, and the
// meter's retry stores it again. Nothing is ever overwritten or deleted otherwise.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ChainLog, type ChainEntry, type ChainHead } from './chainlog';
import { EvidenceError } from './errors';
import type { Caller } from './auth';

export interface EvidenceStoreOptions {
  readonly dir: string;
  /** Largest image accepted. Default 2 MiB. */
  readonly maxImageBytes?: number;
  /** Image bytes the store holds at most. Default 16 GiB. */
  readonly maxStoreBytes?: number;
}

/** One reading's evidence as recorded. */
export interface EvidenceRecord {
  readonly meterId: string;
  readonly sequence: number;
  /** SHA-256 of the image, hex: its name in the store and the digest the reading carries. */
  readonly imageSha256: string;
  readonly imageBytes: number;
  /** SHA-256 of the canonical reading bytes, hex: the ledger's `readingSha256`. */
  readonly readingSha256: string;
  /** The signed reading (base64), as the meter signed it. */
  readonly signedReading: string;
  /** The meter's signature over the image statement (base64). */
  readonly imageSignature: string;
  /** ISO 8601. */
  readonly storedAt: string;
  readonly submittedBy: Caller;
}

/** One request, as the access log keeps it. */
export interface AccessEntry {
  readonly at: string;
  readonly action: string;
  /** `OK`, or the refusal's code. */
  readonly outcome: string;
  readonly caller?: Caller;
  readonly meterId?: string;
  readonly sequence?: number;
  readonly imageSha256?: string;
  readonly remote?: string;
  readonly detail?: string;
}

const readingKey = (meterId: string, sequence: number): string => `${meterId}\u0000${sequence}`;

export class EvidenceStore {
  readonly dir: string;
  readonly maxImageBytes: number;
  readonly maxStoreBytes: number;
  readonly #records: ChainLog<EvidenceRecord>;
  readonly #access: ChainLog<AccessEntry>;
  readonly #byReading = new Map<string, EvidenceRecord>();
  readonly #byImage = new Map<string, EvidenceRecord>();
  #bytes = 0;
  /** Serialises puts: the capacity and uniqueness checks and the write are one step. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(opts: EvidenceStoreOptions, records: ChainLog<EvidenceRecord>, access: ChainLog<AccessEntry>) {
    this.dir = opts.dir;
    this.maxImageBytes = opts.maxImageBytes ?? 2 * 1024 * 1024;
    this.maxStoreBytes = opts.maxStoreBytes ?? 16 * 1024 ** 3;
    this.#records = records;
    this.#access = access;
  }

  /**
   * Opens (creating) the store: verifies both logs' chains, checks that every recorded image is
   * present, and removes images no record names (never acknowledged).
   * @throws {@link EvidenceError} LOG_TAMPERED | IO | BAD_CONFIG
   */
  static async open(opts: EvidenceStoreOptions): Promise<EvidenceStore> {
    if ((opts.maxImageBytes ?? 1) <= 0 || (opts.maxStoreBytes ?? 1) <= 0)
      throw new EvidenceError('BAD_CONFIG', 'maxImageBytes and maxStoreBytes must be positive');
    try {
      await mkdir(join(opts.dir, 'objects'), { recursive: true });
    } catch (err) {
      throw new EvidenceError('IO', `cannot create ${opts.dir}: ${(err as Error).message}`, { dir: opts.dir }, { cause: err });
    }
    const { log: records, entries } = await ChainLog.open<EvidenceRecord>(join(opts.dir, 'records.log'));
    const { log: access } = await ChainLog.open<AccessEntry>(join(opts.dir, 'access.log'));
    const store = new EvidenceStore(opts, records, access);
    for (const r of entries) store.#index(r);
    await store.#checkObjects();
    return store;
  }

  #index(r: EvidenceRecord): void {
    this.#byReading.set(readingKey(r.meterId, r.sequence), r);
    this.#byImage.set(r.imageSha256, r);
    this.#bytes += r.imageBytes;
  }

  #objectPath(sha256Hex: string): string {
    return join(this.dir, 'objects', sha256Hex.slice(0, 2), sha256Hex);
  }

  async #checkObjects(): Promise<void> {
    const root = join(this.dir, 'objects');
    for (const r of this.#byImage.values()) {
      try {
        await stat(this.#objectPath(r.imageSha256));
      } catch (err) {
        throw new EvidenceError(
          'IO',
          `the image ${r.imageSha256} of ${r.meterId} #${r.sequence} is recorded but missing from ${root}`,
          { meterId: r.meterId, sequence: r.sequence },
          { cause: err },
        );
      }
    }
    for (const sub of await readdir(root)) {
      for (const name of await readdir(join(root, sub))) {
        if (!this.#byImage.has(name)) await rm(join(root, sub, name), { force: true });
      }
    }
  }

  get bytesUsed(): number {
    return this.#bytes;
  }

  get count(): number {
    return this.#byReading.size;
  }

  get heads(): { records: ChainHead; access: ChainHead } {
    return { records: this.#records.head, access: this.#access.head };
  }

  byReading(meterId: string, sequence: number): EvidenceRecord | undefined {
    return this.#byReading.get(readingKey(meterId, sequence));
  }

  byImage(imageSha256Hex: string): EvidenceRecord | undefined {
    return this.#byImage.get(imageSha256Hex);
  }

  /**
   * Stores a verified image for a reading (see EvidenceService for the checks). The same image for
   * the same reading again is no error: `alreadyStored`.
   * @throws {@link EvidenceError} EVIDENCE_EXISTS | REPLAYED_IMAGE | STORE_FULL | IMAGE_TOO_LARGE | IO
   */
  put(record: Omit<EvidenceRecord, 'storedAt'>, image: Uint8Array): Promise<{ record: EvidenceRecord; alreadyStored: boolean }> {
    const next = this.#tail.then(() => this.#put(record, image));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #put(record: Omit<EvidenceRecord, 'storedAt'>, image: Uint8Array): Promise<{ record: EvidenceRecord; alreadyStored: boolean }> {
    if (image.length > this.maxImageBytes)
      throw new EvidenceError('IMAGE_TOO_LARGE', `the image has ${image.length} bytes; at most ${this.maxImageBytes}`, {
        bytes: image.length,
        maxImageBytes: this.maxImageBytes,
      });
    const existing = this.byReading(record.meterId, record.sequence);
    if (existing !== undefined) {
      if (existing.imageSha256 === record.imageSha256 && existing.readingSha256 === record.readingSha256)
        return { record: existing, alreadyStored: true };
      throw new EvidenceError(
        'EVIDENCE_EXISTS',
        `reading ${record.meterId} #${record.sequence} already has its evidence (image ${existing.imageSha256})`,
        { meterId: record.meterId, sequence: record.sequence },
      );
    }
    const sameImage = this.byImage(record.imageSha256);
    if (sameImage !== undefined) {
      throw new EvidenceError(
        'REPLAYED_IMAGE',
        `the image ${record.imageSha256} is already the evidence of ${sameImage.meterId} #${sameImage.sequence}; one image is the evidence of one reading`,
        {
          imageSha256: record.imageSha256,
          storedFor: { meterId: sameImage.meterId, sequence: sameImage.sequence },
        },
      );
    }
    if (this.#bytes + image.length > this.maxStoreBytes) {
      throw new EvidenceError(
        'STORE_FULL',
        `the store holds ${this.#bytes} bytes of at most ${this.maxStoreBytes}; ${image.length} more do not fit`,
        { bytesUsed: this.#bytes, maxStoreBytes: this.maxStoreBytes },
      );
    }
    await this.#writeObject(record.imageSha256, image);
    const stored = await this.#records.append({ ...record, storedAt: new Date().toISOString() } as EvidenceRecord);
    this.#index(stored);
    return { record: stored, alreadyStored: false };
  }

  async #writeObject(sha256Hex: string, image: Uint8Array): Promise<void> {
    const dir = join(this.dir, 'objects', sha256Hex.slice(0, 2));
    const final = join(dir, sha256Hex);
    const tmp = join(dir, `.tmp-${sha256Hex}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(image);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      const dh = await open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new EvidenceError(
        'IO',
        `cannot store the image ${sha256Hex}: ${(err as Error).message}`,
        { code: (err as NodeJS.ErrnoException).code },
        { cause: err },
      );
    }
  }

  /**
   * The stored image of a record, checked against its name: a damaged file is an IO error, never
   * served.
   */
  async image(record: EvidenceRecord): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#objectPath(record.imageSha256));
    } catch (err) {
      throw new EvidenceError('IO', `cannot read the image ${record.imageSha256}: ${(err as Error).message}`, undefined, { cause: err });
    }
    if (createHash('sha256').update(bytes).digest('hex') !== record.imageSha256) {
      throw new EvidenceError(
        'IO',
        `the stored image ${record.imageSha256} of ${record.meterId} #${record.sequence} is damaged (its SHA-256 no longer matches)`,
        { meterId: record.meterId, sequence: record.sequence },
      );
    }
    return bytes;
  }

  /** Records a request in the access log and resolves once it is on disk. */
  logAccess(entry: Omit<AccessEntry, 'at'>): Promise<ChainEntry<AccessEntry>> {
    return this.#access.append({ at: new Date().toISOString(), ...entry } as AccessEntry);
  }

  /** Access-log entries from number `from` (1 is the first), at most `limit`. */
  async accessLog(from: number, limit: number): Promise<ChainEntry<AccessEntry>[]> {
    const text = await readFile(this.#access.path, 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    return lines.slice(Math.max(0, from - 1), Math.max(0, from - 1) + limit).map((l) => JSON.parse(l) as ChainEntry<AccessEntry>);
  }

  async close(): Promise<void> {
    await this.#tail;
    await Promise.all([this.#records.close(), this.#access.close()]);
  }
}
