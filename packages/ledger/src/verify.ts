// SPDX-License-Identifier: Apache-2.0
// A full verification scan of a ledger's block files: every record's checksum, the hash chain,
// each block's data hash, and, where the index can be opened, what the index says exists.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { blockDataHash, blockHeaderHash } from '@metroledger/protocol';
import { decodeBlock } from './blockparse';
import { readBlockIndex, type BlockLocation } from './blockstore';
import { equalBytes } from './bytes';
import { LedgerError } from './errors';
import { blockFileName, readBlockRecords, type RecordDamageCode } from './records';

export type LedgerFindingCode =
  | RecordDamageCode
  | 'MALFORMED_BLOCK' // a record matches its checksum but does not decode as a block
  | 'BLOCK_OUT_OF_ORDER' // a block whose number is not the next one (a repeat, or an earlier number)
  | 'BAD_PREVIOUS_HASH' // header.previous_hash is not the hash of the block before
  | 'BAD_DATA_HASH' // header.data_hash does not match the block's envelopes
  | 'MISSING_BLOCKS' // block numbers the files skip, or blocks the index records that the files do not hold
  | 'INDEX_MISMATCH'; // the index places a block elsewhere than the files hold it

export interface LedgerFinding {
  readonly code: LedgerFindingCode;
  readonly message: string;
  readonly path?: string;
  readonly file?: number;
  readonly offset?: number;
  /** The block concerned (for damage: the number expected there). */
  readonly blockNumber?: number;
}

export interface LedgerVerification {
  /** The `chains` directory scanned. */
  readonly chainsDir: string;
  readonly files: number;
  /** Records read whole (checksum matched). */
  readonly blocks: number;
  /** Highest block number read, or -1. */
  readonly lastBlockNumber: number;
  /** Bytes scanned. */
  readonly bytes: number;
  /** The index's own count of blocks, when it could be opened (not while a peer holds it). */
  readonly index: { readonly checked: true; readonly height: number } | { readonly checked: false; readonly reason: string };
  /** Empty when the ledger is sound. */
  readonly findings: readonly LedgerFinding[];
}

export interface VerifyLedgerOptions {
  /** Compare with the block index (default true; skipped, with the reason, when it cannot be opened). */
  readonly index?: boolean;
}

/**
 * The directory of block files for `dir`: a ledger directory (`<dir>/chains`) or the `chains`
 * directory itself. @throws {LedgerError} NO_LEDGER
 */
export function resolveChainsDir(dir: string): string {
  for (const candidate of [join(dir, 'chains'), dir]) {
    if (existsSync(join(candidate, blockFileName(0))) || existsSync(join(candidate, 'index'))) return candidate;
  }
  throw new LedgerError(
    'NO_LEDGER',
    `no ledger under ${dir}: neither ${join(dir, 'chains')} nor ${dir} holds ${blockFileName(0)} or a block index`,
    { path: dir },
  );
}

/**
 * Reads every record of the ledger in `dir` and reports each damaged record (file, offset, block),
 * each break in the chain, and each block the index records but the files do not hold. It never
 * stops at the first finding, and changes nothing.
 * @throws {LedgerError} NO_LEDGER
 */
export async function verifyLedgerFiles(dir: string, opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
  const chainsDir = resolveChainsDir(dir);
  const findings: LedgerFinding[] = [];
  const found = new Map<number, BlockLocation>();
  const damaged: { file: number; start: number; end: number }[] = [];
  const files = new Set<number>();
  let blocks = 0;
  let bytes = 0;
  let expected = 0;
  let lastHash: Uint8Array | undefined;
  let lastBlockNumber = -1;
  // A gap right after damaged bytes is what those bytes held: told in that finding, not as a second one.
  let lastDamage: number | undefined;
  for await (const entry of readBlockRecords(chainsDir)) {
    files.add(entry.file);
    const where = { path: entry.path, file: entry.file, offset: entry.offset };
    if (entry.kind === 'damaged') {
      bytes += entry.length;
      damaged.push({ file: entry.file, start: entry.offset, end: entry.offset + entry.length });
      lastDamage =
        findings.push({ code: entry.code, message: entry.message, ...where, blockNumber: entry.expectedBlockNumber ?? expected }) - 1;
      lastHash = undefined; // the next block's link cannot be checked against a damaged one
      continue;
    }
    bytes += 12 + entry.length;
    blocks++;
    let block;
    try {
      block = decodeBlock(entry.bytes);
    } catch (e) {
      findings.push({
        code: 'MALFORMED_BLOCK',
        message: `${blockFileName(entry.file)} at offset ${entry.offset}: ${(e as Error).message}`,
        ...where,
        blockNumber: entry.blockNumber,
      });
      lastHash = undefined;
      continue;
    }
    const n = block.number;
    const at = `block ${n} (${blockFileName(entry.file)} at offset ${entry.offset})`;
    if (n < expected || found.has(n)) {
      findings.push({ code: 'BLOCK_OUT_OF_ORDER', message: `${at} comes after block ${expected - 1}`, ...where, blockNumber: n });
      continue;
    }
    if (n > expected && lastDamage !== undefined) {
      const damage = findings[lastDamage]!;
      findings[lastDamage] = { ...damage, message: `${damage.message}; blocks ${expected}..${n - 1} are unreadable` };
    } else if (n > expected) {
      findings.push({
        code: 'MISSING_BLOCKS',
        message: `blocks ${expected}..${n - 1} are not in the files (next readable: ${at})`,
        ...where,
        blockNumber: expected,
      });
      lastHash = undefined;
    }
    lastDamage = undefined;
    if (lastHash !== undefined && !equalBytes(block.previousHash, lastHash)) {
      findings.push({
        code: 'BAD_PREVIOUS_HASH',
        message: `${at}: previous_hash is not the hash of block ${n - 1}`,
        ...where,
        blockNumber: n,
      });
    }
    if (!equalBytes(block.dataHash, blockDataHash(block.envelopes))) {
      findings.push({ code: 'BAD_DATA_HASH', message: `${at}: data_hash does not match its envelopes`, ...where, blockNumber: n });
    }
    found.set(n, { file: entry.file, offset: entry.offset, length: entry.length });
    lastHash = blockHeaderHash(block);
    lastBlockNumber = Math.max(lastBlockNumber, n);
    expected = n + 1;
  }
  const index =
    opts.index === false
      ? { checked: false as const, reason: 'not asked for' }
      : await checkIndex(chainsDir, found, damaged, lastBlockNumber, findings);
  return { chainsDir, files: files.size, blocks, lastBlockNumber, bytes, index, findings };
}

async function checkIndex(
  chainsDir: string,
  found: ReadonlyMap<number, BlockLocation>,
  damaged: readonly { file: number; start: number; end: number }[],
  lastBlockNumber: number,
  findings: LedgerFinding[],
): Promise<LedgerVerification['index']> {
  let index: { height: number; locations: Map<number, BlockLocation> };
  try {
    const read = await readBlockIndex(chainsDir);
    if (read === undefined) return { checked: false, reason: `no index at ${join(chainsDir, 'index')}` };
    index = read;
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    return { checked: false, reason: `the index at ${join(chainsDir, 'index')} cannot be opened (a running peer holds it?): ${cause}` };
  }
  const { height, locations } = index;
  if (height > lastBlockNumber + 1) {
    findings.push({
      code: 'MISSING_BLOCKS',
      message: `the index records ${height} blocks (0..${height - 1}) but the files hold readable blocks only up to ${lastBlockNumber}: blocks ${lastBlockNumber + 1}..${height - 1} are gone or damaged`,
      blockNumber: lastBlockNumber + 1,
    });
  }
  for (const [n, indexed] of [...locations].sort(([a], [b]) => a - b)) {
    const at = found.get(n);
    const path = join(chainsDir, blockFileName(indexed.file));
    if (at === undefined) {
      // damage already reported where the index places the block
      if (damaged.some((d) => d.file === indexed.file && indexed.offset >= d.start && indexed.offset < d.end)) continue;
      if (n <= lastBlockNumber)
        findings.push({
          code: 'MISSING_BLOCKS',
          message: `the index has block ${n} at ${blockFileName(indexed.file)} offset ${indexed.offset}, but no readable record holds it`,
          path,
          file: indexed.file,
          offset: indexed.offset,
          blockNumber: n,
        });
    } else if (at.file !== indexed.file || at.offset !== indexed.offset || at.length !== indexed.length) {
      findings.push({
        code: 'INDEX_MISMATCH',
        message: `the index has block ${n} at ${blockFileName(indexed.file)} offset ${indexed.offset}, the files hold it at ${blockFileName(at.file)} offset ${at.offset}`,
        path: join(chainsDir, blockFileName(at.file)),
        file: at.file,
        offset: at.offset,
        blockNumber: n,
      });
    }
  }
  return { checked: true, height };
}
