// SPDX-License-Identifier: Apache-2.0
// The kit's network: organizations, nodes and ports, in one place. config/configtx.yaml repeats
// the anchor peers, orderer endpoints and consenters (configtxgen needs them there) for the default
// port base; a test keeps both in agreement. All nodes listen on 127.0.0.1, on ports base+101 to
// base+632 (default base 20000: 20101-20632), so two networks fit in 20000-21999.
import type { OrgSpec } from '@metroledger/identity';

export const HOST = '127.0.0.1';
export const CHANNEL = 'metrology';

/** Ordering service profiles of config/configtx.yaml. */
export type OrderingProfile = 'raft' | 'raft3' | 'bft';
export const ORDERING_PROFILES: readonly OrderingProfile[] = ['raft', 'raft3', 'bft'];

export const CONFIGTX_PROFILE: Readonly<Record<OrderingProfile, string>> = {
  raft: 'MetrologyRaft',
  raft3: 'MetrologyRaft3',
  bft: 'MetrologyBFT',
};

export interface PeerOrg {
  readonly spec: OrgSpec;
  /** What the organization is in the paper's terms. */
  readonly role: 'notified-body' | 'computing-provider' | 'meter-owner';
}

export interface PeerNode {
  readonly mspId: string;
  readonly domain: string;
  readonly name: string;
  /** peer0.lasige.example.com */
  readonly fqdn: string;
  readonly port: number;
  readonly chaincodePort: number;
  readonly operationsPort: number;
}

export interface OrdererNode {
  readonly mspId: string;
  readonly domain: string;
  readonly name: string;
  readonly fqdn: string;
  readonly port: number;
  readonly adminPort: number;
  readonly operationsPort: number;
}

/** The channel's application organizations (the devnet's, docs/ARCHITECTURE.md). */
export const PEER_ORGS: readonly PeerOrg[] = [
  {
    role: 'notified-body',
    spec: { name: 'Inmetro', mspId: 'InmetroMSP', domain: 'inmetro.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] },
  },
  {
    role: 'computing-provider',
    spec: { name: 'LaSIGE', mspId: 'LaSIGEMSP', domain: 'lasige.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] },
  },
  {
    role: 'computing-provider',
    spec: { name: 'PUCPR', mspId: 'PUCPRMSP', domain: 'pucpr.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] },
  },
  {
    role: 'meter-owner',
    spec: { name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', peers: [], users: ['User1'] },
  },
];

/** The port base of config/configtx.yaml as written; `--port-base` moves every port by the difference. */
export const DEFAULT_PORT_BASE = 20_000;

/** Peers: base+x01 listen, +x02 chaincode, +x03 operations (x = 1, 2, 3). */
export function peersAt(portBase: number): PeerNode[] {
  return PEER_ORGS.filter((o) => (o.spec.peers ?? []).length > 0).map((o, i) => {
    const base = portBase + 100 * (i + 1);
    return {
      mspId: o.spec.mspId,
      domain: o.spec.domain,
      name: 'peer0',
      fqdn: `peer0.${o.spec.domain}`,
      port: base + 1,
      chaincodePort: base + 2,
      operationsPort: base + 3,
    };
  });
}

/** The peer whose Gateway service clients use (a computing provider's, as on the devnet). */
export const GATEWAY_PEER = 'peer0.lasige.example.com';

function orderer(mspId: string, domain: string, name: string, base: number): OrdererNode {
  return { mspId, domain, name, fqdn: `${name}.${domain}`, port: base + 1, adminPort: base + 2, operationsPort: base + 3 };
}

const RAFT_ORG: OrgSpec = {
  name: 'Orderer',
  mspId: 'OrdererMSP',
  domain: 'orderer.example.com',
  kind: 'orderer',
  orderers: ['orderer0', 'orderer1', 'orderer2'],
};
const BFT_ORGS: readonly OrgSpec[] = [1, 2, 3, 4].map((i) => ({
  name: `Orderer${i}`,
  mspId: `Orderer${i}MSP`,
  domain: `orderer${i}.example.com`,
  kind: 'orderer' as const,
  orderers: ['orderer0'],
}));

/** The orderer organizations of a profile (their crypto material is generated with the network). */
export function ordererOrgs(profile: OrderingProfile): OrgSpec[] {
  if (profile === 'bft') return BFT_ORGS.map((o) => ({ ...o }));
  return [{ ...RAFT_ORG, orderers: profile === 'raft' ? ['orderer0'] : ['orderer0', 'orderer1', 'orderer2'] }];
}

/** Orderers: Raft base+4x1 (x = 0, 1, 2), SmartBFT base+5x1 (x = 0..3); +1 admin, +2 operations. */
export function orderersOf(profile: OrderingProfile, portBase: number): OrdererNode[] {
  if (profile === 'bft') return BFT_ORGS.map((o, i) => orderer(o.mspId, o.domain, 'orderer0', portBase + 500 + 10 * i));
  const n = profile === 'raft' ? 1 : 3;
  return Array.from({ length: n }, (_, i) => orderer(RAFT_ORG.mspId, RAFT_ORG.domain, `orderer${i}`, portBase + 400 + 10 * i));
}

/** The chaincodes the kit deploys; `basic` is the trivial one the bench compares the LR workload with. */
export type ChaincodeName = 'governance' | 'lr' | 'basic';
export const CHAINCODES: readonly ChaincodeName[] = ['governance', 'lr', 'basic'];

/** Endorsement policy of each chaincode definition. */
export const ENDORSEMENT_POLICY: Readonly<Record<ChaincodeName, string>> = {
  // every registry write is the notified body's act (docs/GOVERNANCE.md)
  governance: "AND('InmetroMSP.peer')",
  // the policy of the notified body's approval record
  lr: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
  // the same two endorsements as lr, so the comparison measures the chaincode, not the policy
  basic: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
};

/**
 * Each peer organization runs its own chaincode servers (a provider runs the code it approved):
 * base+6x0 + index of the chaincode in CHAINCODES, x = 1, 2, 3 in peer order.
 */
export function chaincodeServerPort(peer: PeerNode, chaincode: ChaincodeName, portBase: number): number {
  const i = peersAt(portBase).findIndex((p) => p.fqdn === peer.fqdn);
  if (i < 0) throw new Error(`unknown peer ${peer.fqdn}`);
  return portBase + 600 + 10 * (i + 1) + CHAINCODES.indexOf(chaincode);
}

/** Every port the network uses, for the check that they are free before `up`. */
export function allPorts(profile: OrderingProfile, portBase: number): number[] {
  const ports: number[] = [];
  for (const p of peersAt(portBase))
    ports.push(p.port, p.chaincodePort, p.operationsPort, ...CHAINCODES.map((c) => chaincodeServerPort(p, c, portBase)));
  for (const o of orderersOf(profile, portBase)) ports.push(o.port, o.adminPort, o.operationsPort);
  return ports;
}
