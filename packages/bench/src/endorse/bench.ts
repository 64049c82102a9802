// SPDX-License-Identifier: Apache-2.0
// `metroledger bench endorse`: one endorsing peer's throughput and latency on the LR chaincode (the
// paper's section VII, aspect 1: how many endorsing peers a meter owner needs). The devnet's own
// Endorser on a bootstrapped devnet data directory, called in this process (no gRPC, no ordering,
// no commit), N proposals in flight at a time: each one checked (creator in a channel MSP, its
// signature, tx id not committed), simulated by the approved LR chaincode behind its fingerprint
// guard (meter signature, LR speed computation, the governance registry's approval), and signed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { startDevnet } from '@metroledger/devnet';
import type { Endorser } from '@metroledger/peer';
import { devnetAccess, LatencyRecorder, type LatencySummary } from '@metroledger/scenario';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { BenchError } from '../errors';
import { benchMeters, prepareNetwork } from '../network';
import { machineInfo, type MachineInfo } from '../output';
import { ReadingPool } from '../readings';
import { ENDORSING_ORG, ENDORSING_PEER, openBenchEndorser } from './peer';
import { ProposalMaker } from './proposals';

export interface EndorseBenchOptions {
  /** A devnet data directory: created if absent; the bench's meters are registered in it either way. */
  readonly dataDir: string;
  /** Concurrent proposals per point (the peer's clients), ascending. */
  readonly concurrency: readonly number[];
  readonly warmupS: number;
  readonly durationS: number;
  /** Meters whose readings the proposals carry (registered on the ledger first). */
  readonly meters: number;
  /** Distinct signed proposals, sent round-robin (nothing commits, so each is endorsed afresh). */
  readonly proposals: number;
  readonly seed: string;
  /** The endorser's signature-verification threads (default: the devnet's; 0: on its own thread). */
  readonly verifyThreads?: number;
  readonly log?: (line: string) => void;
}

export interface EndorsePoint {
  readonly concurrency: number;
  /** 'pool': the devnet's configuration (signature checks on worker threads); 'inline': one thread. */
  readonly verification: 'pool' | 'inline';
  readonly durationS: number;
  readonly endorsed: number;
  /** Proposals answered with anything but a signed endorsement (should be 0). */
  readonly failed: number;
  readonly throughputPerS: number;
  /** processProposal's time, call to answer, ms. */
  readonly latency: LatencySummary;
  /** CPU of this process (every thread) per endorsement, ms; the proposal loop itself is negligible. */
  readonly cpuMsPerEndorsement: number;
  /** Cores busy on average (CPU time / wall time). */
  readonly cores: number;
}

export interface EndorseBenchResult {
  readonly machine: MachineInfo;
  readonly peer: string;
  readonly chaincode: { readonly name: string; readonly version: string };
  readonly verifyThreads: number;
  /** Mean size of a signed reading (canonical bytes) in the proposals. */
  readonly readingBytes: number;
  readonly points: readonly EndorsePoint[];
  /** The pool point with the highest throughput: what one peer sustains, and its CPU per endorsement. */
  readonly best: EndorsePoint;
  /** The inline point at concurrency 1: the single-thread CPU cost of one endorsement. */
  readonly singleThread: EndorsePoint;
}

/** Starts a devnet on `dataDir` (creating it if needed), bootstraps the registry, registers the meters, stops it. */
async function bootstrap(opts: EndorseBenchOptions, log: (line: string) => void): Promise<ReturnType<typeof benchMeters>> {
  const meters = benchMeters(opts.meters, opts.seed, `E${Date.now().toString(36).toUpperCase()}`);
  log(
    `${existsSync(join(opts.dataDir, 'ledger')) ? 'reusing' : 'creating'} the devnet in ${opts.dataDir}: type approval (if not done) and ${meters.length} meters`,
  );
  const devnet = await startDevnet({ dataDir: opts.dataDir, port: 0, ordering: 'solo', batch: { batchTimeoutMs: 20 } });
  try {
    const network = await prepareNetwork(await devnetAccess({ ...devnet, dataDir: opts.dataDir }, await packageLrChaincode()), meters);
    network.close();
  } finally {
    await devnet.stop();
  }
  return meters;
}

async function runPoint(
  endorser: Endorser,
  ring: readonly Uint8Array[],
  concurrency: number,
  verification: EndorsePoint['verification'],
  opts: EndorseBenchOptions,
): Promise<EndorsePoint> {
  const latency = new LatencyRecorder();
  let next = 0;
  let measuring = false;
  let stopped = false;
  let endorsed = 0;
  let failed = 0;
  const client = async (): Promise<void> => {
    for (let i = 0; !stopped; i++) {
      const proposal = ring[next++ % ring.length]!;
      const counted = measuring;
      const t0 = performance.now();
      let ok: boolean;
      try {
        const r = await endorser.processProposal(proposal);
        ok = r.status === 200 && r.endorsement !== undefined;
      } catch {
        ok = false;
      }
      if (counted && measuring) {
        if (ok) {
          latency.record(performance.now() - t0);
          endorsed++;
        } else {
          failed++;
        }
      }
      // an inline endorsement can complete on microtasks alone: let the timers that end the window run
      if ((i & 7) === 7) await yieldToLoop();
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  await sleep(opts.warmupS * 1000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await sleep(opts.durationS * 1000);
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  stopped = true;
  await Promise.all(clients);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    concurrency,
    verification,
    durationS: wallS,
    endorsed,
    failed,
    throughputPerS: endorsed / wallS,
    latency: latency.summary(),
    cpuMsPerEndorsement: endorsed > 0 ? cpuMs / endorsed : Number.NaN,
    cores: cpuMs / 1000 / wallS,
  };
}

/** Bootstraps `dataDir`, then measures LaSIGE's peer0 endorsing `submitReading` proposals at each concurrency. */
export async function runEndorseBench(opts: EndorseBenchOptions): Promise<EndorseBenchResult> {
  const log = opts.log ?? (() => undefined);
  if (opts.concurrency.length === 0 || opts.concurrency.some((c) => !Number.isInteger(c) || c < 1))
    throw new BenchError('BAD_OPTION', 'concurrency: positive integers');
  if (!(opts.durationS > 0) || !(opts.warmupS >= 0))
    throw new BenchError('BAD_OPTION', 'duration must be positive and warm-up not negative');
  if (!Number.isInteger(opts.meters) || opts.meters < 1 || !Number.isInteger(opts.proposals) || opts.proposals < 1)
    throw new BenchError('BAD_OPTION', 'meters and proposals: positive integers');

  const meters = await bootstrap(opts, log);
  const peer = await openBenchEndorser(opts.dataDir, { ...(opts.verifyThreads !== undefined && { verifyThreads: opts.verifyThreads }) });
  const maker = new ProposalMaker(peer.owner, { channelId: peer.channelId, chaincodeName: peer.lr.name });
  try {
    log(`signing ${opts.proposals} submitReading proposals of ${meters.length} meters`);
    const pool = new ReadingPool(meters, { faultShare: 0, seed: opts.seed });
    await pool.refill(meters.map((_, m) => Math.ceil(opts.proposals / meters.length) + (m < opts.proposals % meters.length ? 1 : 0)));
    const ring: Uint8Array[] = [];
    let readingBytes = 0;
    for (let i = 0; i < opts.proposals; i++) {
      const reading = pool.next(i % meters.length);
      readingBytes += (reading.base64.length * 3) / 4;
      ring.push(await maker.signedProposal('submitReading', [reading.base64]));
    }
    // every proposal must be endorsed before anything is timed: a refusal would flatter the figures
    for (const p of ring) {
      const r = await peer.endorser.processProposal(p);
      if (r.status !== 200 || r.endorsement === undefined)
        throw new BenchError(
          'SETUP_FAILED',
          `${ENDORSING_PEER} of ${ENDORSING_ORG} did not endorse a bench proposal: ${r.status} ${r.message} ${Buffer.from(r.payload).toString('utf8').slice(0, 200)}`,
        );
    }

    const points: EndorsePoint[] = [];
    const report = (p: EndorsePoint) => {
      points.push(p);
      log(
        `${p.verification.padEnd(6)} ${String(p.concurrency).padStart(4)} in flight: ${p.throughputPerS.toFixed(0).padStart(5)} endorsements/s, p50 ${p.latency.p50Ms.toFixed(2)} ms, p99 ${p.latency.p99Ms.toFixed(2)} ms, ${p.cpuMsPerEndorsement.toFixed(3)} ms CPU each, ${p.cores.toFixed(2)} cores${p.failed > 0 ? `, ${p.failed} FAILED` : ''}`,
      );
    };
    report(await runPoint(peer.inlineEndorser, ring, 1, 'inline', opts));
    for (const c of opts.concurrency) report(await runPoint(peer.endorser, ring, c, 'pool', opts));
    const poolPoints = points.filter((p) => p.verification === 'pool');
    const best = poolPoints.reduce((a, b) => (b.throughputPerS > a.throughputPerS ? b : a));
    return {
      machine: { ...machineInfo(), loadGenerator: 'the same process: proposals signed before the timed windows, sent round-robin' },
      peer: peer.peerAddress,
      chaincode: { name: peer.lr.name, version: peer.lr.version },
      verifyThreads: peer.verifyThreads,
      readingBytes: Math.round(readingBytes / ring.length),
      points,
      best,
      singleThread: points[0]!,
    };
  } finally {
    maker.close();
    await peer.close();
  }
}
