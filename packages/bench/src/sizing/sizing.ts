// SPDX-License-Identifier: Apache-2.0
// How many endorsing peers, orderers and cores N meters at r vehicles/s need (the paper's section
// VII, aspect 1). A CPU model, pure and deterministic: every figure is CPU per committed reading
// by role (figures.ts), and the demand is N × r readings per second. docs/SIZING.md derives it.
//
// - Endorsement scales out: a provider with P endorsing peers gives each 1/P of its readings.
// - Validation and commit do not: every peer of the channel validates every block, so each peer
//   carries the whole commit load, whatever the number of endorsing peers.
// - Ordering does not: each ordering node (solo, Raft or BFT consenter) handles every transaction;
//   more BFT replicas add fault tolerance, not throughput.
// - A node is kept at `utilization` of its cores (headroom for bursts, GC and I/O).
// - The devnet is one process holding every role: one ledger (validation once per block), each
//   provider's endorser, every ordering node.
import { BenchError } from '../errors';
import type { FigureSet } from './figures';

export interface SizingDemand {
  readonly meters: number;
  /** Vehicles per second at each meter (one reading each): São Paulo's rush hour, 0.76. */
  readonly vehiclesPerS: number;
  /** Share of each node's cores the load may take (default 0.7). */
  readonly utilization?: number;
  /** Cores of one server (default 8: the paper's Dell R410 nodes, 2 × Xeon E5520 quad-core). */
  readonly coresPerNode?: number;
}

export interface NodeSizing {
  readonly count: number;
  /** Cores each node needs (rounded up). */
  readonly coresEach: number;
  /** Average busy cores each at the demand. */
  readonly busyCoresEach: number;
}

export interface Sizing {
  readonly figures: FigureSet;
  readonly meters: number;
  readonly vehiclesPerS: number;
  readonly readingsPerS: number;
  readonly transactionsPerS: number;
  readonly utilization: number;
  readonly coresPerNode: number;
  /** Fabric: endorsing peers of each endorsing organization. The devnet: one process, so undefined. */
  readonly endorsingPeersPerOrg?: NodeSizing;
  readonly commitOnlyPeers?: NodeSizing;
  readonly orderers?: NodeSizing;
  /** The devnet: its one process. */
  readonly devnetProcess?: NodeSizing;
  readonly client: NodeSizing;
  /** Cores of the whole network (clients excluded). */
  readonly networkCores: number;
  /** Readings/s at which the first role reaches its limit on `coresPerNode`-core servers, and which role. */
  readonly ceiling: { readonly readingsPerS: number; readonly limitedBy: 'commit' | 'ordering' | 'devnet process' };
  /** What a user must know: a role that does not fit on one server, a ceiling below the demand. */
  readonly warnings: readonly string[];
}

function check(name: string, v: number, ok: (v: number) => boolean, what: string): void {
  if (!Number.isFinite(v) || !ok(v)) throw new BenchError('BAD_OPTION', `${name} must be ${what}, not ${v}`);
}

const busy = (readingsPerS: number, msPerReading: number): number => (readingsPerS * msPerReading) / 1000;

/** Sizes a deployment of `figures` for the demand. Throws BenchError BAD_OPTION on nonsense input. */
export function sizeDeployment(figures: FigureSet, demand: SizingDemand): Sizing {
  const utilization = demand.utilization ?? 0.7;
  const coresPerNode = demand.coresPerNode ?? 8;
  check('meters', demand.meters, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  check('vehicles per second', demand.vehiclesPerS, (v) => v > 0, 'positive');
  check('utilization', utilization, (v) => v > 0 && v <= 1, 'in (0, 1]');
  check('cores per node', coresPerNode, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  const cpu = figures.cpu;
  for (const [k, v] of Object.entries(cpu)) check(k, v, (x) => x >= 0, 'a non-negative number of ms');

  const readingsPerS = demand.meters * demand.vehiclesPerS;
  const usable = coresPerNode * utilization;
  const node = (count: number, busyEach: number): NodeSizing => ({
    count,
    busyCoresEach: busyEach,
    coresEach: Math.max(1, Math.ceil(busyEach / utilization - 1e-9)),
  });
  const warnings: string[] = [];
  const client = node(1, busy(readingsPerS, cpu.clientMs));
  const base = {
    figures,
    meters: demand.meters,
    vehiclesPerS: demand.vehiclesPerS,
    readingsPerS,
    transactionsPerS: readingsPerS / figures.readingsPerTx,
    utilization,
    coresPerNode,
    client,
  };

  if (figures.kind === 'devnet') {
    const msPerReading = figures.endorsingOrgs * cpu.endorseMs + cpu.commitMs + figures.orderers * cpu.orderMs;
    const process = node(1, busy(readingsPerS, msPerReading));
    const ceiling = (usable * 1000) / msPerReading;
    if (ceiling < readingsPerS)
      warnings.push(
        `one ${coresPerNode}-core machine runs the devnet up to about ${fmt(ceiling)} readings/s: below the demand of ${fmt(readingsPerS)}`,
      );
    return {
      ...base,
      devnetProcess: process,
      networkCores: process.coresEach,
      ceiling: { readingsPerS: ceiling, limitedBy: 'devnet process' },
      warnings,
    };
  }

  // Each endorsing peer commits everything and endorses 1/P of its organization's readings.
  const commitBusy = busy(readingsPerS, cpu.commitMs);
  const endorseBusy = busy(readingsPerS, cpu.endorseMs);
  let peers: NodeSizing;
  if (commitBusy < usable) {
    const count = Math.max(1, Math.ceil(endorseBusy / (usable - commitBusy) - 1e-9));
    peers = node(count, endorseBusy / count + commitBusy);
  } else {
    // no number of endorsing peers helps: each peer's commit alone exceeds a server; one peer per org, bigger
    peers = node(1, endorseBusy + commitBusy);
    warnings.push(
      `validating and committing alone takes ${fmt(commitBusy)} cores on every peer, more than ${fmt(usable)} of a ${coresPerNode}-core server: peers need bigger servers (adding endorsing peers does not help)`,
    );
  }
  const orderers = node(figures.orderers, busy(readingsPerS, cpu.orderMs));
  if (orderers.coresEach > coresPerNode)
    warnings.push(
      `each ordering node needs ${orderers.coresEach} cores, more than a ${coresPerNode}-core server (more replicas do not help)`,
    );
  const commitOnly = node(figures.commitOnlyPeers, commitBusy);
  const commitCeiling = cpu.commitMs > 0 ? (usable * 1000) / cpu.commitMs : Infinity;
  const orderCeiling = cpu.orderMs > 0 ? (usable * 1000) / cpu.orderMs : Infinity;
  const ceiling =
    commitCeiling <= orderCeiling
      ? { readingsPerS: commitCeiling, limitedBy: 'commit' as const }
      : { readingsPerS: orderCeiling, limitedBy: 'ordering' as const };
  return {
    ...base,
    endorsingPeersPerOrg: peers,
    commitOnlyPeers: commitOnly,
    orderers,
    networkCores:
      figures.endorsingOrgs * peers.count * peers.coresEach + commitOnly.count * commitOnly.coresEach + orderers.count * orderers.coresEach,
    ceiling,
    warnings,
  };
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** The answer in words, one line each (what `metroledger sizing` prints). */
export function formatSizing(s: Sizing): string[] {
  const f = s.figures;
  const c = f.cpu;
  const nodes = (n: NodeSizing, what: string) =>
    `${n.count} ${what}${n.count === 1 ? '' : 's'} × ${n.coresEach} core${n.coresEach === 1 ? '' : 's'} (${fmt(n.busyCoresEach)} busy each)`;
  const lines = [
    `${s.meters} meters × ${s.vehiclesPerS} vehicles/s = ${fmt(s.readingsPerS)} readings/s${f.readingsPerTx > 1 ? ` in ${fmt(s.transactionsPerS)} transactions/s` : ''}`,
    `network: ${f.description}`,
    `figures (ms of CPU per reading): endorse ${fmt(c.endorseMs)} per endorsement, commit ${fmt(c.commitMs)} per peer, order ${fmt(c.orderMs)} per ordering node, client ${fmt(c.clientMs)}`,
    `  from ${f.source}`,
    `nodes kept at ${Math.round(s.utilization * 100)} % of their cores; servers of ${s.coresPerNode} cores`,
  ];
  if (s.devnetProcess !== undefined) {
    lines.push(
      `devnet: one process, ${s.devnetProcess.coresEach} cores (${fmt(s.devnetProcess.busyCoresEach)} busy): ${f.endorsingOrgs} endorsements, ${f.orderers} ordering node${f.orderers === 1 ? '' : 's'} and one commit per reading`,
    );
  } else {
    lines.push(`endorsing peers: ${nodes(s.endorsingPeersPerOrg!, 'peer')} for each of the ${f.endorsingOrgs} endorsing organizations`);
    if (s.commitOnlyPeers!.count > 0) lines.push(`committing peers (notified body): ${nodes(s.commitOnlyPeers!, 'peer')}`);
    lines.push(`ordering: ${nodes(s.orderers!, 'node')}`);
  }
  lines.push(
    `meter owner's client: ${s.client.coresEach} core${s.client.coresEach === 1 ? '' : 's'} (${fmt(s.client.busyCoresEach)} busy)`,
  );
  lines.push(`network total: ${s.networkCores} cores`);
  lines.push(`ceiling on ${s.coresPerNode}-core servers: about ${fmt(s.ceiling.readingsPerS)} readings/s (${s.ceiling.limitedBy})`);
  for (const w of s.warnings) lines.push(`WARNING: ${w}`);
  return lines;
}
