// SPDX-License-Identifier: Apache-2.0
// An append-only, hash-chained, fsync'd log of JSON entries (one per line). Each line carries its
// number, the previous line's hash and its own: hash = SHA-256(prev hash | canonical JSON of the
// line without its hash). Changing, removing or reordering any line breaks every later hash; the
// head (number and hash) is what an auditor keeps to notice a truncated tail later.
// Opening refuses a broken chain (LOG_TAMPERED) except a torn last line, which is an append that
// a crash cut short before it was acknowledged, and is cut off.
import { createHash } from 'node:crypto';
import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { EvidenceError } from './errors';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainHead {
  /** Number of the last entry (0 for an empty log: entries count from 1). */
  readonly n: number;
  readonly hash: string;
}

export type ChainEntry<T> = T & { readonly n: number; readonly prev: string; readonly hash: string };

/** JSON with object keys sorted at every level: the one byte string an entry hashes as. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

function entryHash(prev: string, body: Record<string, unknown>): string {
  return createHash('sha256').update(prev).update('|').update(canonicalJson(body)).digest('hex');
}

export interface ChainFinding {
  readonly line: number;
  readonly problem: string;
}

export interface ChainVerification {
  readonly entries: number;
  readonly head: ChainHead;
  readonly findings: ChainFinding[];
  /** Bytes of a torn last line (an unacknowledged append), not counted as a finding. */
  readonly tornTailBytes: number;
}

/** Verifies the chain of a log's text; `checkpoint` is a head seen earlier, which must still be on the chain. */
export function verifyChainText(text: string, checkpoint?: ChainHead): ChainVerification {
  const findings: ChainFinding[] = [];
  let prev = GENESIS_HASH;
  let n = 0;
  let tornTailBytes = 0;
  let checkpointSeen = checkpoint === undefined || checkpoint.n === 0;
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the text ends with a newline
  if (last !== '') tornTailBytes = Buffer.byteLength(last);
  for (const [i, line] of lines.entries()) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      findings.push({ line: i + 1, problem: 'not JSON' });
      continue;
    }
    const { hash, ...body } = entry;
    if (body['n'] !== n + 1) findings.push({ line: i + 1, problem: `entry number ${String(body['n'])} where ${n + 1} was due` });
    if (body['prev'] !== prev) findings.push({ line: i + 1, problem: 'does not chain to the entry before it' });
    const expected = entryHash(String(body['prev']), body);
    if (hash !== expected) findings.push({ line: i + 1, problem: 'its hash does not match its content' });
    n = typeof body['n'] === 'number' ? body['n'] : n + 1;
    prev = typeof hash === 'string' ? hash : prev;
    if (checkpoint !== undefined && n === checkpoint.n) {
      checkpointSeen = true;
      if (hash !== checkpoint.hash)
        findings.push({ line: i + 1, problem: `entry ${n} is not the one of the checkpoint (${checkpoint.hash})` });
    }
  }
  if (!checkpointSeen)
    findings.push({
      line: lines.length,
      problem: `the log ends at entry ${n}, before the checkpoint's entry ${checkpoint!.n}: entries were removed`,
    });
  return { entries: n, head: { n, hash: prev }, findings, tornTailBytes };
}

/** Verifies a log file (see verifyChainText). */
export async function verifyChainFile(path: string, checkpoint?: ChainHead): Promise<ChainVerification> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') text = '';
    else throw new EvidenceError('IO', `cannot read ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  return verifyChainText(text, checkpoint);
}

export class ChainLog<T extends object> {
  readonly path: string;
  readonly #fh: FileHandle;
  #head: ChainHead;
  #tail: Promise<unknown> = Promise.resolve();
  #failed: Error | undefined;

  private constructor(path: string, fh: FileHandle, head: ChainHead) {
    this.path = path;
    this.#fh = fh;
    this.#head = head;
  }

  /**
   * Opens (creating) the log, verifies its whole chain and returns it with its entries.
   * @throws {@link EvidenceError} LOG_TAMPERED | IO
   */
  static async open<T extends object>(path: string): Promise<{ log: ChainLog<T>; entries: ChainEntry<T>[] }> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new EvidenceError('IO', `cannot read ${path}: ${(err as Error).message}`, { path }, { cause: err });
    }
    const check = verifyChainText(text);
    if (check.findings.length > 0) {
      throw new EvidenceError(
        'LOG_TAMPERED',
        `${path}: ${check.findings
          .slice(0, 3)
          .map((f) => `line ${f.line} ${f.problem}`)
          .join('; ')}${check.findings.length > 3 ? ` (and ${check.findings.length - 3} more)` : ''}`,
        { path, findings: check.findings },
      );
    }
    try {
      if (check.tornTailBytes > 0) await truncate(path, Buffer.byteLength(text) - check.tornTailBytes);
      const fh = await open(path, 'a');
      const entries = text
        .split('\n')
        .slice(0, check.entries)
        .map((l) => JSON.parse(l) as ChainEntry<T>);
      return { log: new ChainLog<T>(path, fh, check.head), entries };
    } catch (err) {
      throw new EvidenceError('IO', `cannot open ${path}: ${(err as Error).message}`, { path }, { cause: err });
    }
  }

  get head(): ChainHead {
    return this.#head;
  }

  /** Appends an entry and resolves once it is on disk (fdatasync). */
  append(entry: T): Promise<ChainEntry<T>> {
    const next = this.#tail.then(async () => {
      if (this.#failed !== undefined)
        throw new EvidenceError('IO', `${this.path} stopped after a failed write: ${this.#failed.message}`, { path: this.path });
      const body = { ...entry, n: this.#head.n + 1, prev: this.#head.hash };
      const hash = entryHash(body.prev, body);
      const line = JSON.stringify({ ...body, hash }) + '\n';
      try {
        await this.#fh.appendFile(line);
        await this.#fh.datasync();
      } catch (err) {
        // what reached the file may be a torn line: the next open cuts it
        this.#failed = err as Error;
        throw new EvidenceError('IO', `cannot append to ${this.path}: ${(err as Error).message}`, { path: this.path }, { cause: err });
      }
      this.#head = { n: body.n, hash };
      return { ...body, hash } as ChainEntry<T>;
    });
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#fh.close();
  }
}
