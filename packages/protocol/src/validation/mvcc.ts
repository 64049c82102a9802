// SPDX-License-Identifier: Apache-2.0
// Multi-version concurrency control, as Fabric's statebased validator: transactions are checked in
// block order against the committed state plus the writes of earlier valid transactions of the block.
import { peer } from '@hyperledger/fabric-protos';
import type { KVRead, NsReadWriteSet, StateReader, Version, VersionedValue } from '../rwset/types.js';
import type { TxValidationCode } from '../transaction/errors.js';
import { compareUtf8 } from '../transaction/rwset.js';
import { hashedStateKey } from '../rwset/private.js';

const V = peer.TxValidationCode;

/** One write of a valid transaction, with the version it gets in the world state. */
export interface StateUpdate {
  readonly ns: string;
  readonly key: string;
  readonly isDelete: boolean;
  /** Absent when isDelete. */
  readonly value?: Uint8Array;
  readonly version: Version;
}

export interface MvccInput {
  /** The code from validateBlockTransactions; only VALID transactions are checked, others pass through. */
  readonly code: TxValidationCode;
  readonly rwsets: readonly NsReadWriteSet[];
}

export interface MvccResult {
  /** Final code per transaction. */
  readonly codes: TxValidationCode[];
  /** Writes of the valid transactions, in block order (a later write of the same key comes later). */
  readonly updates: StateUpdate[];
}

const SEP = '\u0000';

function sameVersion(a: Version | undefined, b: Version | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

type Pending = { readonly isDelete: boolean; readonly value?: Uint8Array; readonly version: Version };

/** A namespace's point reads, its private key-hash reads included (at their place in the hashed state). */
function pointReads(rw: NsReadWriteSet): { ns: string; key: string; version?: Version }[] {
  const out: { ns: string; key: string; version?: Version }[] = rw.reads.map((r) => ({
    ns: rw.namespace,
    key: r.key,
    ...(r.version !== undefined && { version: r.version }),
  }));
  for (const c of rw.collections ?? []) {
    for (const r of c.reads)
      out.push({ ...hashedStateKey(rw.namespace, c.collection, r.keyHash), ...(r.version !== undefined && { version: r.version }) });
  }
  return out;
}

/** Range re-execution over committed state overlaid with the block's earlier valid writes. */
async function rangeNow(
  state: StateReader,
  written: Map<string, Pending>,
  ns: string,
  start: string,
  end: string,
): Promise<{ key: string; version: Version }[]> {
  const inBlock = new Map<string, Pending>();
  const prefix = ns + SEP;
  for (const [k, p] of written) {
    if (!k.startsWith(prefix)) continue;
    const key = k.slice(prefix.length);
    if (compareUtf8(key, start) >= 0 && (end === '' || compareUtf8(key, end) < 0)) inBlock.set(key, p);
  }
  const out: { key: string; version: Version }[] = [];
  for await (const kv of state.range(ns, start, end)) {
    if (!inBlock.has(kv.key)) out.push({ key: kv.key, version: kv.version });
  }
  for (const [key, p] of inBlock) if (!p.isDelete) out.push({ key, version: p.version });
  if (inBlock.size > 0) out.sort((a, b) => compareUtf8(a.key, b.key));
  return out;
}

function rangeMatches(now: readonly { key: string; version: Version }[], reads: readonly KVRead[], exhausted: boolean): boolean {
  // A range that stopped early is only checked up to (and including) its last key, as Fabric does.
  const limit = exhausted
    ? now.length
    : reads.length === 0
      ? 0
      : now.findIndex((r) => compareUtf8(r.key, reads[reads.length - 1]!.key) > 0);
  const upto = limit === -1 ? now.length : limit;
  if (upto !== reads.length) return false;
  for (let i = 0; i < upto; i++) {
    if (now[i]!.key !== reads[i]!.key || !sameVersion(now[i]!.version, reads[i]!.version)) return false;
  }
  return true;
}

/**
 * Checks the block's transactions in order: a read whose version differs from the committed version,
 * or of a key an earlier valid transaction of the block wrote -> MVCC_READ_CONFLICT; a range query
 * whose re-execution differs -> PHANTOM_READ_CONFLICT. Valid transactions' writes become updates
 * with version (blockNum, txNum).
 */
export async function checkMvcc(blockNum: number, txs: readonly MvccInput[], state: StateReader): Promise<MvccResult> {
  const committed = new Map<string, VersionedValue | undefined>();
  const written = new Map<string, Pending>();
  const codes: TxValidationCode[] = [];
  const updates: StateUpdate[] = [];

  // Fetch every point read of the candidates up front: the lookups are independent of each other.
  const toFetch: { id: string; ns: string; key: string }[] = [];
  for (const tx of txs) {
    if (tx.code !== V.VALID) continue;
    for (const rw of tx.rwsets) {
      for (const r of pointReads(rw)) {
        const id = r.ns + SEP + r.key;
        if (!committed.has(id)) {
          committed.set(id, undefined);
          toFetch.push({ id, ns: r.ns, key: r.key });
        }
      }
    }
  }
  const values = await Promise.all(toFetch.map((f) => state.get(f.ns, f.key)));
  for (let i = 0; i < toFetch.length; i++) committed.set(toFetch[i]!.id, values[i]);

  for (let txNum = 0; txNum < txs.length; txNum++) {
    const tx = txs[txNum]!;
    let code: TxValidationCode = tx.code;
    if (code === V.VALID) {
      outer: for (const rw of tx.rwsets) {
        // Private reads are checked by key hash against the hashed state, which every peer holds.
        for (const r of pointReads(rw)) {
          const id = r.ns + SEP + r.key;
          if (written.has(id) || !sameVersion(committed.get(id)?.version, r.version)) {
            code = V.MVCC_READ_CONFLICT;
            break outer;
          }
        }
        for (const q of rw.rangeQueries) {
          const now = await rangeNow(state, written, rw.namespace, q.startKey, q.endKey);
          if (!rangeMatches(now, q.reads, q.itrExhausted)) {
            code = V.PHANTOM_READ_CONFLICT;
            break outer;
          }
        }
      }
    }
    codes.push(code);
    if (code !== V.VALID) continue;
    const version = { blockNum, txNum };
    for (const rw of tx.rwsets) {
      for (const w of rw.writes) {
        const p: Pending = w.isDelete ? { isDelete: true, version } : { isDelete: false, value: w.value, version };
        written.set(rw.namespace + SEP + w.key, p);
        updates.push({ ns: rw.namespace, key: w.key, ...p });
      }
      for (const c of rw.collections ?? []) {
        for (const w of c.writes) {
          const at = hashedStateKey(rw.namespace, c.collection, w.keyHash);
          const p: Pending = w.isDelete ? { isDelete: true, version } : { isDelete: false, value: w.valueHash, version };
          written.set(at.ns + SEP + at.key, p);
          updates.push({ ...at, ...p });
        }
      }
    }
  }
  return { codes, updates };
}
