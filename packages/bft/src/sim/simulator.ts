// SPDX-License-Identifier: Apache-2.0
// Deterministic simulation (after TigerBeetle's VOPR): all replicas run in one thread on a
// simulated clock, a seeded PRNG picks every fault, and checkers judge the whole cluster.
// Same seed and options => same run, same trace.
import { bftProposalDigest, bftSigningBytes, bytesEqual, decodeMessage, encodeMessage, hex } from '../codec';
import { bftFaultTolerance } from '../quorum';
import { Replica, type ReplicaOptions } from '../replica';
import type { CommitMsg, Decision, Message, PrepareMsg, PrePrepareMsg, ReplicaId, Request, SignedMessage } from '../types';
import { commitBytesFor, verifyDecision } from '../verify';
import { createSimApp, decodeSimPayload, encodeSimPayload, makeClientRequest } from './app';
import { createFastSimCrypto, createHmacCrypto } from './crypto';
import { Prng } from './prng';
import { createMemoryStorage } from './storage';

export type FaultMix = 'none' | 'crash' | 'network' | 'partition' | 'byzantine' | 'all' | 'random';
export type ByzantineMode = 'equivocate' | 'wrongvote' | 'badsig' | 'silent';
export interface ScheduledFault {
  readonly atMs: number;
  readonly kind: 'crash' | 'restart' | 'partition' | 'heal' | 'slow' | 'unslow';
  readonly replica?: ReplicaId;
  /** For 'partition': groups of replicas that can talk among themselves. */
  readonly groups?: readonly (readonly ReplicaId[])[];
}
type TimeoutOptions = Pick<
  ReplicaOptions,
  | 'batchSizeMax'
  | 'batchTimeoutMs'
  | 'poolSizeMax'
  | 'requestTimeoutMs'
  | 'leaderTimeoutMs'
  | 'heartbeatMs'
  | 'viewChangeTimeoutMs'
  | 'viewChangeTimeoutMaxMs'
  | 'retransmitMs'
  | 'fetchBatchMax'
  | 'fetchTimeoutMs'
>;

export interface SimulationOptions {
  readonly seed: number;
  /** Replicas; default: 4, or drawn by the seed from CLUSTER_SIZES when faults is 'random'. */
  readonly n?: number;
  /** Which random faults the seed may inject; default 'random' (the seed picks a mix). */
  readonly faults?: FaultMix;
  /** Explicit Byzantine replicas (added to any the mix picks; at most f in total). */
  readonly byzantine?: readonly { readonly replica: ReplicaId; readonly mode: ByzantineMode }[];
  /** Explicit faults at given times (in addition to the mix). */
  readonly schedule?: readonly ScheduledFault[];
  /** Random faults stop here; crashed replicas restart and partitions heal. Default 6,000 ms. */
  readonly faultEndMs?: number;
  /** Clients stop creating requests here (they keep retrying). Default: faultEndMs. */
  readonly loadEndMs?: number;
  /** After faultEndMs, everything submitted must be decided everywhere within this. Default 30,000 ms. */
  readonly quietMs?: number;
  /** Clients; default 3. */
  readonly clients?: number;
  /** Mean time between a client's requests. Default 80 ms. */
  readonly requestIntervalMs?: number;
  /** Outstanding requests per client; default 16. */
  readonly clientOutstandingMax?: number;
  /** Simulated signatures: 'fast' keyed hash (default) or 'hmac' (HMAC-SHA256 per replica key). */
  readonly crypto?: 'fast' | 'hmac';
  /** Round-trip every message through the wire codec. Default true. */
  readonly wire?: boolean;
  /** Replica timeouts and limits (simulation defaults are shorter than production ones). */
  readonly replica?: TimeoutOptions;
  /** TEST ONLY: lower quorum, to prove the checkers catch an unsafe protocol. */
  readonly unsafeQuorumForTesting?: number;
  /** Trace lines kept for a failure report. Default 300. */
  readonly traceTailLines?: number;
  /** Receives every trace line (for debugging one seed). */
  readonly traceSink?: (line: string) => void;
}

export interface FaultCounts {
  crashes: number;
  restarts: number;
  partitions: number;
  heals: number;
  slowPeriods: number;
  messagesDropped: number;
  messagesDuplicated: number;
  messagesDelayed: number;
  byzantineReplicas: number;
  equivocations: number;
  wrongVotes: number;
  corruptedSignatures: number;
  silencedMessages: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violations: readonly string[];
  readonly faults: FaultCounts;
  /** The mix and cluster size this seed ran with. */
  readonly mix: FaultMix;
  readonly n: number;
  readonly heights: readonly number[];
  readonly requestsSubmitted: number;
  readonly requestsDecided: number;
  readonly poolFullRefusals: number;
  /** Client retries of a request not yet decided (each one a potential duplicate). */
  readonly clientResubmissions: number;
  readonly maxView: number;
  readonly viewChanges: number;
  readonly fetchedDecisions: number;
  readonly messagesDelivered: number;
  readonly simulatedMs: number;
  /** FNV-1a of every trace line: equal for equal (seed, options). */
  readonly traceDigest: string;
  readonly traceTail: readonly string[];
}

const MIXES: readonly FaultMix[] = ['none', 'crash', 'network', 'partition', 'byzantine', 'all'];
/** Cluster sizes a random seed draws from: 3f+1 (4, 7, 10) and the sizes between, whose quorum is not 2f+1. */
const CLUSTER_SIZES: readonly number[] = [4, 5, 6, 7, 8, 10];
const BYZ_MODES: readonly ByzantineMode[] = ['equivocate', 'wrongvote', 'badsig', 'silent'];
const TICK_MS = 25;

const SIM_REPLICA_DEFAULTS: Required<TimeoutOptions> = {
  batchSizeMax: 16,
  batchTimeoutMs: 20,
  poolSizeMax: 2_000,
  requestTimeoutMs: 1_500,
  leaderTimeoutMs: 1_000,
  heartbeatMs: 200,
  viewChangeTimeoutMs: 1_000,
  viewChangeTimeoutMaxMs: 8_000,
  retransmitMs: 300,
  fetchBatchMax: 16,
  fetchTimeoutMs: 500,
};

class EventQueue {
  private heap: { t: number; o: number; run: () => void }[] = [];
  private order = 0;
  get size(): number {
    return this.heap.length;
  }
  push(t: number, run: () => void): void {
    const h = this.heap;
    h.push({ t, o: this.order++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): { t: number; run: () => void } | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
  peekTime(): number {
    return this.heap.length ? this.heap[0]!.t : Infinity;
  }
  private less(a: { t: number; o: number }, b: { t: number; o: number }): boolean {
    return a.t < b.t || (a.t === b.t && a.o < b.o);
  }
}

interface Node {
  readonly id: ReplicaId;
  readonly storage: ReturnType<typeof createMemoryStorage>;
  replica: Replica | undefined;
  incarnation: number;
  byzantine: ByzantineMode | undefined;
  slow: boolean;
  /** Request ids in this replica's decided log (checker state; survives restarts like the log). */
  readonly decidedIds: Set<string>;
}

interface Outstanding {
  readonly request: Request;
  lastTryMs: number;
  tries: number;
}

/** Runs one seed. Never throws for protocol failures: they come back as `violations`. */
export function runSimulation(options: SimulationOptions): SimulationResult {
  const seed = options.seed >>> 0;
  const rng = new Prng(seed);
  const mix: FaultMix = options.faults === undefined || options.faults === 'random' ? rng.pick(MIXES) : options.faults;
  const n = options.n ?? (options.faults === undefined || options.faults === 'random' ? rng.pick(CLUSTER_SIZES) : 4);
  const f = bftFaultTolerance(n);
  const faultEndMs = options.faultEndMs ?? 6_000;
  const loadEndMs = options.loadEndMs ?? faultEndMs;
  const endMs = faultEndMs + (options.quietMs ?? 30_000);
  const wire = options.wire ?? true;
  const tailMax = options.traceTailLines ?? 300;
  const replicaCfg = { ...SIM_REPLICA_DEFAULTS, ...options.replica };

  const queue = new EventQueue();
  let now = 0;
  const faults: FaultCounts = {
    crashes: 0,
    restarts: 0,
    partitions: 0,
    heals: 0,
    slowPeriods: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    messagesDelayed: 0,
    byzantineReplicas: 0,
    equivocations: 0,
    wrongVotes: 0,
    corruptedSignatures: 0,
    silencedMessages: 0,
  };
  const violations: string[] = [];
  const violate = (what: string) => {
    if (violations.length < 20) violations.push(`t=${now} ${what}`);
  };

  // Trace: a ring buffer for failure reports plus a digest of everything for replay checks.
  const tail: string[] = [];
  let fnv = 0x811c9dc5;
  const trace = (line: string) => {
    for (let i = 0; i < line.length; i++) fnv = Math.imul(fnv ^ line.charCodeAt(i), 0x01000193);
    fnv = Math.imul(fnv ^ 10, 0x01000193);
    tail.push(line);
    if (tail.length > tailMax * 2) tail.splice(0, tail.length - tailMax);
    options.traceSink?.(line);
  };
  const simEvent = (what: string) => trace(`${now} sim ${what}`);

  // ---- network model (the seed picks its parameters per mix) ----
  const netFaults = mix === 'network' || mix === 'all';
  const lossP = netFaults ? rng.float() * 0.12 : 0;
  const dupP = netFaults ? rng.float() * 0.08 : 0;
  const jitterMs = netFaults ? rng.int(0, 150) : rng.int(0, 5);
  const spikeP = netFaults ? 0.01 : 0;
  let partition: number[] | undefined; // group index per replica
  const submitted = new Map<string, Request>();
  const decidedBy = new Map<string, Set<ReplicaId>>();
  const canonical = new Map<number, Uint8Array>();
  const votesSent = new Map<string, string>();
  let delivered = 0;

  const newCrypto = options.crypto === 'hmac' ? createHmacCrypto : createFastSimCrypto;
  const crypto0 = newCrypto(0, n);
  const verifyApp = createSimApp(0, () => undefined);
  const nodes: Node[] = [];
  const byzCryptos = new Map<ReplicaId, ReturnType<typeof createHmacCrypto>>();

  const faultyCount = () => nodes.filter((x) => x.byzantine || !x.replica).length;
  const isCorrect = (x: Node) => x.byzantine === undefined;

  // ---- checkers on every decision ----
  const onDecided = (r: ReplicaId, d: Decision) => {
    const node = nodes[r]!;
    if (!isCorrect(node)) return;
    if (!verifyDecision(d, { n, crypto: crypto0, app: verifyApp }))
      violate(`certificate: r${r} seq ${d.seq} lacks a valid quorum certificate`);
    const known = canonical.get(d.seq);
    if (!known) canonical.set(d.seq, d.certificate.digest);
    else if (!bytesEqual(known, d.certificate.digest))
      violate(`safety: r${r} decided ${hex(d.certificate.digest)} at seq ${d.seq}, another correct replica decided ${hex(known)}`);
    const p = decodeSimPayload(d.payload);
    if (!p) {
      violate(`validity: r${r} seq ${d.seq} payload does not decode`);
      return;
    }
    for (const q of p.requests) {
      const orig = submitted.get(q.id);
      if (!orig || !bytesEqual(orig.data, q.data)) violate(`validity: r${r} decided request ${q.id} that no client submitted`);
      if (node.decidedIds.has(q.id)) violate(`validity: r${r} decided request ${q.id} twice (seq ${d.seq})`);
      node.decidedIds.add(q.id);
      let by = decidedBy.get(q.id);
      if (!by) {
        by = new Set();
        decidedBy.set(q.id, by);
      }
      by.add(r);
    }
  };

  // ---- Byzantine behaviour: honest code, outgoing messages rewritten ----
  const equivocations = new Map<string, { alt: Uint8Array; altDigest: Uint8Array; half: Set<ReplicaId> } | null>();
  const resign = <M extends Message>(from: ReplicaId, body: M): SignedMessage<M> => ({
    from,
    body,
    signature: byzCryptos.get(from)!.sign(bftSigningBytes(from, body)),
  });
  const byzantineRewrite = (node: Node, to: ReplicaId, m: SignedMessage): SignedMessage | undefined => {
    const b = m.body;
    switch (node.byzantine) {
      case 'silent':
        faults.silencedMessages++;
        return undefined;
      case 'badsig': {
        if (!rng.chance(0.5)) return m;
        const sig = Uint8Array.from(m.signature);
        sig[rng.int(0, sig.length - 1)] ^= 0xff;
        faults.corruptedSignatures++;
        return { ...m, signature: sig };
      }
      case 'wrongvote': {
        if ((b.type !== 'prepare' && b.type !== 'commit') || !rng.chance(0.7)) return m;
        faults.wrongVotes++;
        const digest = new Uint8Array(32);
        for (let i = 0; i < 32; i++) digest[i] = rng.int(0, 255);
        return resign(node.id, { ...b, digest } as PrepareMsg | CommitMsg);
      }
      case 'equivocate': {
        if (b.type !== 'preprepare' && b.type !== 'prepare' && b.type !== 'commit') return m;
        const key = `${b.view}:${b.seq}`;
        let e = equivocations.get(key);
        if (e === undefined && b.type === 'preprepare') {
          const p = decodeSimPayload((b as PrePrepareMsg).payload);
          if (p && p.requests.length >= 2) {
            const alt = encodeSimPayload(b.seq, [...p.requests].reverse());
            const half = new Set<ReplicaId>();
            for (let r = 0; r < n; r++) if (r !== node.id && rng.chance(0.5)) half.add(r);
            e = { alt, altDigest: bftProposalDigest(b.seq, alt), half };
            faults.equivocations++;
            simEvent(`equivocate r${node.id} v${b.view} s${b.seq} half=${[...half].join(',')}`);
          } else e = null;
          equivocations.set(key, e);
        }
        if (!e || !e.half.has(to)) return m;
        if (b.type === 'preprepare') return resign(node.id, { ...b, payload: e.alt });
        if (b.type === 'prepare') return resign(node.id, { ...b, digest: e.altDigest });
        const certSignature = byzCryptos.get(node.id)!.sign(commitBytesFor(verifyApp, b.seq, b.view, e.altDigest, e.alt, node.id));
        return resign(node.id, { ...(b as CommitMsg), digest: e.altDigest, certSignature });
      }
      default:
        return m;
    }
  };

  // ---- transport ----
  const deliverAt = (from: ReplicaId, to: ReplicaId, m: SignedMessage, t: number) => {
    const bytes = wire ? encodeMessage(m) : undefined;
    queue.push(t, () => {
      const dst = nodes[to]!;
      if (!dst.replica) return; // crashed: lost
      if (partition && partition[from] !== partition[to]) {
        faults.messagesDropped++;
        return;
      }
      delivered++;
      dst.replica.onMessage(from, bytes ? decodeMessage(bytes) : m);
    });
  };
  const send = (from: ReplicaId, to: ReplicaId, original: SignedMessage) => {
    const src = nodes[from]!;
    const b = original.body;
    if (isCorrect(src) && (b.type === 'preprepare' || b.type === 'prepare' || b.type === 'commit')) {
      // Persistence checker: a correct replica never votes two digests for one (view, seq, phase), even across restarts.
      const digest = b.type === 'preprepare' ? hex(bftProposalDigest(b.seq, b.payload), 64) : hex((b as PrepareMsg).digest, 64);
      const key = `${from}:${b.type}:${b.view}:${b.seq}`;
      const prev = votesSent.get(key);
      if (prev === undefined) votesSent.set(key, digest);
      else if (prev !== digest) violate(`persistence: r${from} sent conflicting ${b.type} for view ${b.view} seq ${b.seq}`);
    }
    const m = src.byzantine ? byzantineRewrite(src, to, original) : original;
    if (!m) return;
    if (partition && partition[from] !== partition[to]) {
      faults.messagesDropped++;
      return;
    }
    if (lossP > 0 && now < faultEndMs && rng.chance(lossP)) {
      faults.messagesDropped++;
      return;
    }
    let delay = 1 + rng.int(0, 4) + rng.int(0, jitterMs);
    if (src.slow || nodes[to]!.slow) delay += rng.int(100, 400);
    if (spikeP > 0 && now < faultEndMs && rng.chance(spikeP)) {
      delay += rng.int(300, 1500);
      faults.messagesDelayed++;
    }
    deliverAt(from, to, m, now + delay);
    if (dupP > 0 && now < faultEndMs && rng.chance(dupP)) {
      faults.messagesDuplicated++;
      deliverAt(from, to, m, now + delay + rng.int(0, 200));
    }
  };

  // ---- replicas ----
  const start = (node: Node) => {
    node.incarnation++;
    const inc = node.incarnation;
    const crypto = newCrypto(node.id, n);
    node.replica = new Replica({
      id: node.id,
      n,
      ...replicaCfg,
      network: { send: (to, m) => send(node.id, to, m) },
      clock: { nowMs: () => now },
      crypto,
      storage: node.storage,
      app: createSimApp(node.id, onDecided),
      trace,
      ...(options.unsafeQuorumForTesting !== undefined && { unsafeQuorumForTesting: options.unsafeQuorumForTesting }),
    });
    const tick = () => {
      if (node.incarnation !== inc || !node.replica) return;
      node.replica.onTick(now);
      queue.push(now + TICK_MS, tick);
    };
    queue.push(now + rng.int(1, TICK_MS), tick);
  };
  for (let i = 0; i < n; i++) {
    nodes.push({
      id: i,
      storage: createMemoryStorage(),
      replica: undefined,
      incarnation: 0,
      byzantine: undefined,
      slow: false,
      decidedIds: new Set(),
    });
  }
  for (const b of options.byzantine ?? []) {
    if (b.replica >= 0 && b.replica < n && nodes.filter((x) => x.byzantine).length < f) nodes[b.replica]!.byzantine = b.mode;
  }
  if (mix === 'byzantine' || mix === 'all') {
    // 'all' leaves room for crashes: at most f faulty replicas at any time, Byzantine ones included.
    const want = mix === 'all' ? (f > 1 ? rng.int(1, f - 1) : rng.int(0, 1)) : rng.int(1, f);
    for (const id of rng.shuffle([...Array(n).keys()])) {
      if (nodes.filter((x) => x.byzantine).length >= Math.min(want, f)) break;
      nodes[id]!.byzantine = rng.pick(BYZ_MODES);
    }
  }
  for (const node of nodes) {
    if (node.byzantine) {
      faults.byzantineReplicas++;
      byzCryptos.set(node.id, newCrypto(node.id, n));
      simEvent(`byzantine r${node.id} ${node.byzantine}`);
    }
    start(node);
  }

  const crash = (node: Node) => {
    if (!node.replica) return;
    node.replica = undefined;
    faults.crashes++;
    simEvent(`crash r${node.id}`);
  };
  const restart = (node: Node) => {
    if (node.replica) return;
    faults.restarts++;
    simEvent(`restart r${node.id}`);
    start(node);
  };
  const heal = () => {
    if (partition) {
      partition = undefined;
      faults.heals++;
      simEvent('heal');
    }
  };

  // ---- random faults ----
  if (mix === 'crash' || mix === 'all') {
    const crashLoop = () => {
      if (now >= faultEndMs) return;
      const candidates = nodes.filter((x) => x.replica && isCorrect(x));
      if (faultyCount() < f && candidates.length > 0) {
        const node = rng.pick(candidates);
        crash(node);
        queue.push(now + rng.int(200, 3_000), () => restart(node));
      }
      queue.push(now + rng.int(300, 2_500), crashLoop);
    };
    queue.push(rng.int(100, 1_500), crashLoop);
  }
  if (mix === 'partition' || mix === 'all') {
    const partitionLoop = () => {
      if (now >= faultEndMs) return;
      if (!partition) {
        const groups = new Array<number>(n).fill(0);
        if (rng.chance(0.5))
          groups[rng.int(0, n - 1)] = 1; // isolate one
        else for (let r = 0; r < n; r++) groups[r] = rng.int(0, 1); // arbitrary split: may leave no quorum
        partition = groups;
        faults.partitions++;
        simEvent(`partition ${groups.join('')}`);
        queue.push(now + rng.int(200, 2_000), heal);
      }
      queue.push(now + rng.int(500, 2_500), partitionLoop);
    };
    queue.push(rng.int(100, 1_500), partitionLoop);
  }
  if (netFaults) {
    const slowLoop = () => {
      if (now >= faultEndMs) return;
      const node = rng.pick(nodes);
      if (!node.slow) {
        node.slow = true;
        faults.slowPeriods++;
        simEvent(`slow r${node.id}`);
        queue.push(Math.min(faultEndMs, now + rng.int(500, 3_000)), () => {
          node.slow = false;
          simEvent(`unslow r${node.id}`);
        });
      }
      queue.push(now + rng.int(1_000, 4_000), slowLoop);
    };
    queue.push(rng.int(100, 2_000), slowLoop);
  }
  for (const s of options.schedule ?? []) {
    queue.push(s.atMs, () => {
      const node = s.replica !== undefined ? nodes[s.replica] : undefined;
      switch (s.kind) {
        case 'crash':
          if (node) crash(node);
          return;
        case 'restart':
          if (node) restart(node);
          return;
        case 'partition': {
          const groups = new Array<number>(n).fill(-1);
          (s.groups ?? []).forEach((g, i) =>
            g.forEach((r) => {
              groups[r] = i;
            }),
          );
          partition = groups.map((g, r) => (g === -1 ? 1000 + r : g));
          faults.partitions++;
          simEvent(`partition ${partition.join(',')}`);
          return;
        }
        case 'heal':
          heal();
          return;
        case 'slow':
          if (node) {
            node.slow = true;
            faults.slowPeriods++;
          }
          return;
        case 'unslow':
          if (node) node.slow = false;
          return;
      }
    });
  }
  // Faults stop: restart the crashed, heal the network (Byzantine replicas stay Byzantine).
  queue.push(Math.max(faultEndMs, ...(options.schedule ?? []).map((s) => s.atMs + 1)), () => {
    simEvent('faults-end');
    heal();
    for (const node of nodes) {
      node.slow = false;
      if (!node.replica) restart(node);
    }
  });

  // ---- clients: submit throughout, retry elsewhere as a real client would ----
  const clientCount = options.clients ?? 3;
  const meanGapMs = options.requestIntervalMs ?? 80;
  const outstandingMax = options.clientOutstandingMax ?? 16;
  let poolFullRefusals = 0;
  let resubmissions = 0;
  let requestCounter = 0;
  const trySubmit = (o: Outstanding) => {
    o.lastTryMs = now;
    o.tries++;
    if (o.tries > 1) resubmissions++;
    const target = nodes[rng.int(0, n - 1)]!;
    if (!target.replica) return; // connection refused; retry later
    try {
      target.replica.submit(o.request);
    } catch (e) {
      if ((e as { code?: string }).code === 'POOL_FULL') poolFullRefusals++;
      else violate(`client: unexpected submit error ${(e as Error).message}`);
    }
  };
  for (let c = 0; c < clientCount; c++) {
    const outstanding = new Map<string, Outstanding>();
    const clientLoop = () => {
      for (const [id, o] of outstanding) {
        if ((decidedBy.get(id)?.size ?? 0) >= f + 1) outstanding.delete(id);
        else if (now - o.lastTryMs >= 1_000 + 500 * Math.min(o.tries, 6)) trySubmit(o);
      }
      if (now < loadEndMs && outstanding.size < outstandingMax) {
        const id = `c${c}-${requestCounter++}`;
        const body = new Uint8Array(rng.int(8, 64));
        for (let i = 0; i < body.length; i++) body[i] = rng.int(0, 255);
        const request = makeClientRequest(id, body);
        submitted.set(id, request);
        const o = { request, lastTryMs: now, tries: 0 };
        outstanding.set(id, o);
        trySubmit(o);
      }
      if (now < endMs) queue.push(now + 1 + rng.int(0, 2 * meanGapMs), clientLoop);
    };
    queue.push(rng.int(0, meanGapMs), clientLoop);
  }

  // ---- run ----
  const correct = () => nodes.filter(isCorrect);
  const converged = () => {
    if (nodes.some((x) => !x.replica)) return false;
    const hs = correct().map((x) => x.storage.height());
    if (hs.some((h) => h !== hs[0])) return false;
    for (const id of submitted.keys()) if (correct().some((x) => !x.decidedIds.has(id))) return false;
    return true;
  };
  let stop = false;
  const convergenceCheck = () => {
    if (now >= Math.max(faultEndMs, loadEndMs) && converged()) {
      stop = true;
      return;
    }
    queue.push(now + 250, convergenceCheck);
  };
  queue.push(Math.max(faultEndMs, loadEndMs), convergenceCheck);
  let events = 0;
  const eventsMax = 50_000_000;
  while (!stop && queue.size > 0 && queue.peekTime() <= endMs && events++ < eventsMax) {
    const e = queue.pop()!;
    now = e.t;
    try {
      e.run();
    } catch (err) {
      violate(`crash: ${(err as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      break;
    }
  }

  // ---- final checks: identical logs, liveness ----
  const good = correct();
  const ref = good.reduce((a, b) => (b.storage.height() > a.storage.height() ? b : a));
  for (const node of good) {
    for (let s = 1; s <= node.storage.height(); s++) {
      const a = node.storage.readDecision(s)!;
      const b = ref.storage.readDecision(s)!;
      if (!bytesEqual(a.payload, b.payload)) {
        violate(`safety: r${node.id} and r${ref.id} logs differ at seq ${s}`);
        break;
      }
    }
  }
  if (!stop) {
    const hs = good.map((x) => `r${x.id}=${x.storage.height()}`).join(' ');
    const missing = [...submitted.keys()].filter((id) => good.some((x) => !x.decidedIds.has(id)));
    violate(
      `liveness: not converged ${endMs - faultEndMs} ms after faults stopped (heights ${hs}; ${missing.length} of ${submitted.size} requests not decided everywhere${missing.length ? `, e.g. ${missing[0]}` : ''})`,
    );
  }
  let maxView = 0,
    viewChanges = 0,
    fetched = 0;
  for (const node of nodes) {
    if (!node.replica) continue;
    maxView = Math.max(maxView, node.replica.getView());
    viewChanges += node.replica.stats.viewChanges;
    fetched += node.replica.stats.fetchedDecisions;
  }
  return {
    seed,
    ok: violations.length === 0,
    violations,
    faults,
    mix,
    n,
    heights: nodes.map((x) => x.storage.height()),
    requestsSubmitted: submitted.size,
    requestsDecided: [...submitted.keys()].filter((id) => good.every((x) => x.decidedIds.has(id))).length,
    poolFullRefusals,
    clientResubmissions: resubmissions,
    maxView,
    viewChanges,
    fetchedDecisions: fetched,
    messagesDelivered: delivered,
    simulatedMs: now,
    traceDigest: (fnv >>> 0).toString(16).padStart(8, '0'),
    traceTail: tail.slice(-tailMax),
  };
}

export interface SoakOptions extends Omit<SimulationOptions, 'seed'> {
  /** Number of seeds. */
  readonly seeds: number;
  /** First seed. Default 1. */
  readonly from?: number;
  /** Progress and failure output; default console.log. Pass () => {} to silence. */
  readonly log?: (line: string) => void;
}

export interface SoakResult {
  readonly ran: number;
  readonly failed: readonly { readonly seed: number; readonly violations: readonly string[] }[];
  readonly faults: FaultCounts;
  readonly byMix: Record<string, number>;
  readonly decided: number;
  readonly viewChanges: number;
  readonly wallMs: number;
}

/** Runs `seeds` consecutive seeds and prints a summary (how many ran, failed seeds, faults injected). */
export function runSoak(opts: SoakOptions): SoakResult {
  const log = opts.log ?? ((l: string) => console.log(l));
  const from = opts.from ?? 1;
  const started = Date.now();
  const total: FaultCounts = {
    crashes: 0,
    restarts: 0,
    partitions: 0,
    heals: 0,
    slowPeriods: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    messagesDelayed: 0,
    byzantineReplicas: 0,
    equivocations: 0,
    wrongVotes: 0,
    corruptedSignatures: 0,
    silencedMessages: 0,
  };
  const failed: { seed: number; violations: readonly string[] }[] = [];
  const byMix: Record<string, number> = {};
  let decided = 0,
    viewChanges = 0;
  const { seeds: _s, from: _f, log: _l, ...simOpts } = opts;
  for (let i = 0; i < opts.seeds; i++) {
    const seed = from + i;
    const r = runSimulation({ ...simOpts, seed });
    for (const k of Object.keys(total) as (keyof FaultCounts)[]) total[k] += r.faults[k];
    byMix[`${r.mix}/n${r.n}`] = (byMix[`${r.mix}/n${r.n}`] ?? 0) + 1;
    decided += r.requestsDecided;
    viewChanges += r.viewChanges;
    if (!r.ok) {
      failed.push({ seed, violations: r.violations });
      log(`FAIL seed=${seed} mix=${r.mix} n=${r.n} options=${JSON.stringify(simOpts)}`);
      for (const v of r.violations) log(`  ${v}`);
      log(`  replay: runSimulation(${JSON.stringify({ ...simOpts, seed })}); trace tail:`);
      for (const line of r.traceTail.slice(-40)) log(`    ${line}`);
    }
    if ((i + 1) % 500 === 0) log(`... ${i + 1}/${opts.seeds} seeds, ${failed.length} failed`);
  }
  const wallMs = Date.now() - started;
  log(
    `ran ${opts.seeds} seeds (${from}..${from + opts.seeds - 1}) in ${(wallMs / 1000).toFixed(1)} s: ${failed.length} failed${failed.length ? ` (seeds ${failed.map((x) => x.seed).join(', ')})` : ''}`,
  );
  log(
    `faults injected: ${Object.entries(total)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  log(
    `mixes: ${Object.entries(byMix)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}; requests decided everywhere: ${decided}; view changes: ${viewChanges}`,
  );
  return { ran: opts.seeds, failed, faults: total, byMix, decided, viewChanges, wallMs };
}
