// SPDX-License-Identifier: Apache-2.0
// The measured CPU per reading that the sizing model starts from, each with where it was measured.
// A user's own figures (`metroledger bench endorse` on their machine, flags of `metroledger sizing`)
// replace these; docs/SIZING.md says how each was obtained.

/** CPU time of one core, in ms, per committed reading, by role. */
export interface PerReadingCpu {
  /** One endorsement by one provider: its peer's share and its chaincode servers'. Scales out over that provider's endorsing peers. */
  readonly endorseMs: number;
  /** Validating and committing, on one peer. Every peer of the channel does it for every block: it does not scale out. */
  readonly commitMs: number;
  /** One ordering node (solo orderer, Raft or BFT consenter). Every node handles every transaction. */
  readonly orderMs: number;
  /** The meter owner's submitting application (gateway client), without the meters' own work. */
  readonly clientMs: number;
}

/** A network whose figures are known: how its work is spread over nodes, and the figures. */
export interface FigureSet {
  readonly id: string;
  readonly kind: 'devnet' | 'fabric';
  readonly description: string;
  /** Where the figures come from (document, commit, machine, method). */
  readonly source: string;
  /** Organizations whose endorsement every reading needs (AND('LaSIGEMSP.peer','PUCPRMSP.peer'): 2). */
  readonly endorsingOrgs: number;
  /** Peers that validate and commit but do not endorse (Inmetro's). */
  readonly commitOnlyPeers: number;
  /** Ordering nodes (1: solo or Raft ×1; 4: BFT, tolerating one faulty replica). */
  readonly orderers: number;
  /** Readings per transaction (1: submitReading; 10: a concentrator's submitReadingBatch). */
  readonly readingsPerTx: number;
  readonly cpu: PerReadingCpu;
}

// docs/PRODUCTION.md, "Part 3: measured on this machine", "Where the CPU goes" (ms per committed
// reading, retries included; 2-core machine shared with other sessions, load 20–29: pessimistic).
// Three peers (LaSIGE, PUCPR endorse; Inmetro commits only); the peers' CPU is split evenly over
// the three and counted as commit work (it cannot be split further from those figures); each
// provider's chaincode servers (lr + governance) take half of theirs.
function fromProduction(row: {
  version: string;
  ordering: string;
  orderers: number;
  readingsPerTx: number;
  peers: number;
  orderersMs: number;
  lr: number;
  governance: number;
  client: number;
}): FigureSet {
  return {
    id: `fabric-${row.version}${row.readingsPerTx > 1 ? `-batch${row.readingsPerTx}` : ''}`,
    kind: 'fabric',
    description: `Hyperledger Fabric ${row.version}, ${row.ordering}, chaincode as a service, ${row.readingsPerTx === 1 ? 'one reading per transaction' : `${row.readingsPerTx} readings per transaction (submitReadingBatch)`}`,
    source: `docs/PRODUCTION.md, Part 3 ("Where the CPU goes", ${row.version} LR, ${row.readingsPerTx} per tx): peers ${row.peers}, orderers ${row.orderersMs}, lr servers ${row.lr}, governance servers ${row.governance}, client ${row.client} ms per reading, on a 2-core machine at load 20–29`,
    endorsingOrgs: 2,
    commitOnlyPeers: 1,
    orderers: row.orderers,
    readingsPerTx: row.readingsPerTx,
    cpu: {
      endorseMs: (row.lr + row.governance) / 2,
      commitMs: row.peers / 3,
      orderMs: row.orderersMs / row.orderers,
      clientMs: row.client,
    },
  };
}

export const FABRIC_FIGURES: readonly FigureSet[] = [
  fromProduction({
    version: '3.0',
    ordering: 'SmartBFT ×4',
    orderers: 4,
    readingsPerTx: 1,
    peers: 32.0,
    orderersMs: 19.9,
    lr: 21.1,
    governance: 10.5,
    client: 5.5,
  }),
  fromProduction({
    version: '3.0',
    ordering: 'SmartBFT ×4',
    orderers: 4,
    readingsPerTx: 10,
    peers: 15.6,
    orderersMs: 6.6,
    lr: 12.7,
    governance: 1.7,
    client: 1.4,
  }),
  fromProduction({
    version: '2.5',
    ordering: 'Raft ×1',
    orderers: 1,
    readingsPerTx: 1,
    peers: 26.3,
    orderersMs: 3.0,
    lr: 16.7,
    governance: 7.4,
    client: 4.8,
  }),
  fromProduction({
    version: '2.5',
    ordering: 'Raft ×1',
    orderers: 1,
    readingsPerTx: 10,
    peers: 12.0,
    orderersMs: 1.2,
    lr: 8.6,
    governance: 1.7,
    client: 1.2,
  }),
];

/** What the devnet's figures are made of: three measurements on one machine. */
export interface DevnetMeasurements {
  /** `metroledger bench endorse`: CPU per endorsement of one peer (its best point). */
  readonly endorseMs: number;
  /** `metroledger bench open-loop --ordering solo,bft`: the devnet process's CPU per committed reading, each ordering. */
  readonly soloMs: number;
  readonly bftMs: number;
  /** The same runs: the load generator's CPU per committed reading. */
  readonly clientMs: number;
  readonly source: string;
}

// Measured in one run of packages/bench/scripts/sizing-figures.mjs on this project's 2-core
// machine, shared with other sessions (load average 21–26, as docs/PRODUCTION.md's Fabric figures
// at 20–29: both pessimistic alike); docs/SIZING.md gives the run.
export const DEVNET_MEASURED: DevnetMeasurements = {
  endorseMs: 1.038,
  soloMs: 13.24,
  bftMs: 20.63,
  clientMs: 6.62,
  source: 'docs/SIZING.md (scripts/sizing-figures.mjs, 2-core machine at load 21–26)',
};

/**
 * The devnet as a figure set. Endorsement is what `bench endorse` measures; everything else the
 * process does for a reading with solo ordering (gateway, envelope check, block cutting, validation,
 * commit, CommitStatus) is counted as commit; BFT's extra CPU over solo is its four replicas' ordering.
 */
export function devnetFigures(ordering: 'solo' | 'bft', m: DevnetMeasurements = DEVNET_MEASURED): FigureSet {
  const orderers = ordering === 'bft' ? 4 : 1;
  return {
    id: `devnet-${ordering}`,
    kind: 'devnet',
    description: `the embedded devnet (one process), ${ordering === 'bft' ? 'BFT ordering, 4 replicas' : 'solo ordering'}, one reading per transaction`,
    source: `${m.source}: endorse ${m.endorseMs.toFixed(2)} ms (bench endorse); devnet ${m.soloMs.toFixed(2)} ms solo, ${m.bftMs.toFixed(2)} ms BFT, client ${m.clientMs.toFixed(2)} ms per reading (bench sweep, 16 clients)`,
    endorsingOrgs: 2,
    commitOnlyPeers: 0,
    orderers,
    readingsPerTx: 1,
    cpu: {
      endorseMs: m.endorseMs,
      commitMs: Math.max(0, m.soloMs - 2 * m.endorseMs),
      orderMs: ordering === 'bft' ? Math.max(0, m.bftMs - m.soloMs) / 4 : 0,
      clientMs: m.clientMs,
    },
  };
}
