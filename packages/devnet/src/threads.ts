// SPDX-License-Identifier: Apache-2.0
// How many threads the devnet gives each kind of work, from the cores it may use. One event loop
// serves gRPC, the gateway and the committer; the rest runs beside it:
// - the BFT replicas (consensus, signatures, WALs) in one ordering thread, with verification
//   threads of their own on larger machines;
// - endorsement (proposal check, chaincode, LR, signing) in endorsement threads;
// - commit-time signature checks in the verification pool.
import { availableParallelism } from 'node:os';
import { DevnetError } from './errors.js';

export interface ThreadOptions {
  /** Cores to size the pools for. Default os.availableParallelism(). */
  readonly cores?: number;
  /** Commit-time (and, without an ordering thread, broadcast and replica) signature checks; 0: on the event loop. */
  readonly verifyThreads?: number;
  /** Endorsement threads; 0: endorsers run on the event loop. */
  readonly endorseThreads?: number;
  /** BFT replicas in a thread of their own; default off (see threadPlan). */
  readonly orderingThread?: boolean;
  /** Verification threads of the ordering thread; 0: its replicas verify inline. */
  readonly orderingVerifyThreads?: number;
}

export interface ThreadPlan {
  readonly cores: number;
  readonly verifyThreads: number;
  readonly endorseThreads: number;
  readonly orderingThread: boolean;
  readonly orderingVerifyThreads: number;
}

/**
 * `METROLEDGER_THREADS`, e.g. `cores=16` or `endorse=0,ordering=off`: the same overrides as the
 * options, for a devnet started by another command (the main job, the bench). Options win.
 */
export function threadsFromEnv(text = process.env['METROLEDGER_THREADS']): ThreadOptions {
  if (text === undefined || text.trim() === '') return {};
  const out: Record<string, number | boolean> = {};
  const names: Record<string, keyof ThreadOptions> = {
    cores: 'cores',
    verify: 'verifyThreads',
    endorse: 'endorseThreads',
    ordering: 'orderingThread',
    orderingVerify: 'orderingVerifyThreads',
  };
  for (const part of text.split(',')) {
    const [key = '', value = ''] = part.split('=').map((x) => x.trim());
    const name = names[key];
    if (name === undefined)
      throw new DevnetError(
        'BAD_CONFIG',
        `METROLEDGER_THREADS: unknown ${JSON.stringify(key)} (cores, verify, endorse, ordering, orderingVerify)`,
      );
    if (name === 'orderingThread') {
      if (!['on', 'off', '1', '0', 'true', 'false'].includes(value))
        throw new DevnetError('BAD_CONFIG', `METROLEDGER_THREADS: ordering=${value} (on or off)`);
      out[name] = ['on', '1', 'true'].includes(value);
    } else {
      const n = Number(value);
      if (value === '' || !Number.isInteger(n))
        throw new DevnetError('BAD_CONFIG', `METROLEDGER_THREADS: ${key}=${value} is not an integer`);
      out[name] = n;
    }
  }
  return out as ThreadOptions;
}

function count(v: number | undefined, name: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new DevnetError('BAD_CONFIG', `${name} must be an integer in 0..${max}, not ${v}`);
  return v;
}

/**
 * Thread counts for `cores` (defaults: measured in docs/PERFORMANCE.md). Per transaction the
 * endorsement costs about as much as the ordering and the commit-time checks together, so they get
 * about a quarter of the cores each, the rest going to the event loop, the GC and the clients.
 */
export function threadPlan(o: ThreadOptions = {}): ThreadPlan {
  const cores = count(o.cores, 'cores', 1024) ?? availableParallelism();
  if (cores < 1) throw new DevnetError('BAD_CONFIG', 'cores must be at least 1');
  const quarter = Math.floor(cores / 4);
  return {
    cores,
    verifyThreads: count(o.verifyThreads, 'verifyThreads', 64) ?? Math.min(4, Math.max(1, cores - 1)),
    endorseThreads: count(o.endorseThreads, 'endorseThreads', 64) ?? (cores < 2 ? 0 : Math.min(8, Math.max(1, quarter))),
    // off unless asked (ordering=on): it lost acknowledged transactions around a leader crash until fixed on 5 December 2026 (docs/BFT.md)
    orderingThread: o.orderingThread ?? false,
    orderingVerifyThreads: count(o.orderingVerifyThreads, 'orderingVerifyThreads', 64) ?? (cores >= 8 ? Math.min(4, quarter) : 0),
  };
}
