// SPDX-License-Identifier: Apache-2.0
// The BFT Storage port on disk, per replica under `<dir>`:
//   blocks.wal  the decided log = the replica's block log (committed Fabric blocks with their
//               quorum of consenter signatures; block n is record n-1)
//   state.wal   the vote log (view, target view, last vote, prepared certificate, NEW-VIEW proof);
//               the last record wins, compacted when it grows.
// Both are append-only and a torn last record (crash mid-append) is dropped at open. A vote never
// leaves a replica before it is durable: either every write syncs before returning, or (deferSync)
// writes go to libuv's thread pool and the host holds the replica's output until `sync()` settles.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodePersistedState, encodePersistedState, type Decision, type PersistedState, type Storage } from '@metroledger/bft';
import { OrderingError } from '../errors.js';
import { committedBlockBytes, decisionOfBlock } from './blocks.js';
import { AppendLog } from './wal.js';

/** The state log is rewritten to its last record beyond this size. */
const STATE_COMPACT_BYTES = 16 * 1024 * 1024;
/** Decisions kept decoded in memory (the latest ones; state transfer and view changes read them). */
const RECENT_MAX = 8;

export interface ReplicaStorage extends Storage {
  /** The committed block bytes of block `seq` (1-based), as stored. */
  readBlock(seq: number): Uint8Array;
  /** Bytes cut from torn tails at open (0 after a clean stop). */
  readonly tornBytes: number;
  /** Makes the deferred writes durable (both logs, in the thread pool). */
  sync(): Promise<void>;
  close(): void;
}

/** Opens (creating) a replica's WAL files in `dir`. @throws OrderingError STORAGE */
export function openReplicaStorage(dir: string, opts: { lastConfigIndex: number; deferSync?: boolean }): ReplicaStorage {
  const deferSync = opts.deferSync === true;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new OrderingError('STORAGE', `cannot create ${dir}: ${(err as Error).message}`, { dir }, { cause: err });
  }
  const statePath = join(dir, 'state.wal');
  const blocks = AppendLog.open(join(dir, 'blocks.wal'));
  let state: AppendLog;
  try {
    state = AppendLog.open(statePath);
  } catch (err) {
    blocks.close();
    throw err;
  }
  const recent = new Map<number, Decision>();
  const remember = (d: Decision): void => {
    recent.set(d.seq, d);
    if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value as number);
  };
  let current: PersistedState | undefined;
  if (state.count > 0) {
    try {
      current = decodePersistedState(state.read(state.count - 1));
    } catch (err) {
      throw new OrderingError('STORAGE', `${statePath}: last state record does not decode`, { path: statePath }, { cause: err });
    }
  }

  return {
    tornBytes: blocks.tornBytes + state.tornBytes,
    readState: () => current,
    writeState(s) {
      const bytes = encodePersistedState(s);
      if (state.bytes > STATE_COMPACT_BYTES) {
        state.close();
        AppendLog.rewrite(statePath, bytes);
        state = AppendLog.open(statePath);
      } else {
        state.append(bytes, deferSync);
      }
      current = s;
    },
    height: () => blocks.count,
    readDecision(seq) {
      if (!Number.isInteger(seq) || seq < 1 || seq > blocks.count) return undefined;
      let d = recent.get(seq);
      if (d === undefined) {
        d = decisionOfBlock(blocks.read(seq - 1));
        if (d.seq !== seq) throw new OrderingError('STORAGE', `${blocks.path}: record ${seq - 1} holds block ${d.seq}`);
      }
      return d;
    },
    appendDecision(d) {
      if (d.seq !== blocks.count + 1) throw new OrderingError('STORAGE', `decision ${d.seq} appended at height ${blocks.count}`);
      blocks.append(committedBlockBytes(d, opts.lastConfigIndex), deferSync);
      remember(d);
    },
    async sync() {
      await Promise.all([blocks.sync(), state.sync()]);
    },
    readBlock(seq) {
      return blocks.read(seq - 1);
    },
    close() {
      blocks.close();
      state.close();
    },
  };
}
