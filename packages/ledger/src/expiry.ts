// SPDX-License-Identifier: Apache-2.0
// Fabric's blockToLive bookkeeping (core/ledger/pvtstatepurgemgmt): a private write committed in
// block b of a collection with blockToLive n > 0 expires at block b + n + 1 (ComputeExpiringBlock):
// it is readable while the last block is at most b + n, and purged in the commit of block b + n + 1,
// unless a later write replaced it. The schedule lives in the same LevelDB as the data it purges,
// written in the same batch, so a crash or a restart neither loses nor repeats a purge.
//
// Key:   'x' | u64 BE expiring block | the data's own key in that database -> u64 BE blockNum | u32 BE txNum
import type { ClassicLevel } from 'classic-level';
import type { Version } from '@metroledger/protocol';
import { readU64, writeU64 } from './bytes';

const K_EXPIRY = 0x78; // 'x'

/** How many blocks a collection's private data lives (0: forever), as its chaincode definition says. */
export type BlockToLive = (namespace: string, collection: string) => number;

/** The block whose commit purges a write of block `blockNum` with blockToLive `btl`; undefined for 0 (never). */
export function expiringBlock(blockNum: number, btl: number): number | undefined {
  return btl > 0 ? blockNum + btl + 1 : undefined;
}

export function expiryKey(expiring: number, dataKey: Buffer): Buffer {
  const k = Buffer.allocUnsafe(9 + dataKey.length);
  k[0] = K_EXPIRY;
  writeU64(k, 1, expiring);
  dataKey.copy(k, 9);
  return k;
}

export function expiryValue(version: Version): Buffer {
  const v = Buffer.allocUnsafe(12);
  writeU64(v, 0, version.blockNum);
  v.writeUInt32BE(version.txNum, 8);
  return v;
}

export interface DueExpiry {
  /** The schedule entry (delete it with the purge). */
  readonly entry: Buffer;
  /** The key of the data that expires. */
  readonly dataKey: Buffer;
  /** The version whose expiry this is: purge only if the data is still at it. */
  readonly version: Version;
}

/** Schedule entries due at or before block `blockNum`. */
export async function dueExpiries(db: ClassicLevel<Buffer, Buffer>, blockNum: number): Promise<DueExpiry[]> {
  const out: DueExpiry[] = [];
  for await (const [k, v] of db.iterator({ gte: Buffer.from([K_EXPIRY]), lt: Buffer.from([K_EXPIRY + 1]) })) {
    if (readU64(k, 1) > blockNum) break;
    out.push({ entry: k, dataKey: k.subarray(9), version: { blockNum: readU64(v, 0), txNum: v.readUInt32BE(8) } });
  }
  return out;
}

/** The earliest block with a scheduled purge, or undefined when none is (so blocks without one cost nothing). */
export async function nextExpiry(db: ClassicLevel<Buffer, Buffer>): Promise<number | undefined> {
  for await (const [k] of db.iterator({ gte: Buffer.from([K_EXPIRY]), lt: Buffer.from([K_EXPIRY + 1]), limit: 1 })) return readU64(k, 1);
  return undefined;
}
