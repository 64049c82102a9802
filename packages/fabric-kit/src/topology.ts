// SPDX-License-Identifier: Apache-2.0
// The kit's network: organizations, nodes and ports, in one place. config/configtx.yaml repeats
// the anchor peers, orderer endpoints and consenters (configtxgen needs them there); a test keeps
// both in agreement. All nodes listen on 127.0.0.1, in the port range 20000-21999.
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
  { role: 'notified-body', spec: { name: 'Inmetro', mspId: 'InmetroMSP', domain: 'inmetro.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] } },
  { role: 'computing-provider', spec: { name: 'LaSIGE', mspId: 'LaSIGEMSP', domain: 'lasige.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] } },
  { role: 'computing-provider', spec: { name: 'PUCPR', mspId: 'PUCPRMSP', domain: 'pucpr.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] } },
  { role: 'meter-owner', spec: { name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', peers: [], users: ['User1'] } },
];

/** Peers: 20x01 listen, 20x02 chaincode, 20x03 operations (x = 1, 2, 3). */
export const PEERS: readonly PeerNode[] = PEER_ORGS.filter((o) => (o.spec.peers ?? []).length > 0).map((o, i) => {
  const base = 20_100 + 100 * i;
  return {
    mspId: o.spec.mspId, domain: o.spec.domain, name: 'peer0', fqdn: `peer0.${o.spec.domain}`,
    port: base + 1, chaincodePort: base + 2, operationsPort: base + 3,
  };
});

/** The peer whose Gateway service clients use (a computing provider's, as on the devnet). */
export const GATEWAY_PEER = 'peer0.lasige.example.com';

function orderer(mspId: string, domain: string, name: string, base: number): OrdererNode {
  return { mspId, domain, name, fqdn: `${name}.${domain}`, port: base + 1, adminPort: base + 2, operationsPort: base + 3 };
}

const RAFT_ORG: OrgSpec = { name: 'Orderer', mspId: 'OrdererMSP', domain: 'orderer.example.com', kind: 'orderer', orderers: ['orderer0', 'orderer1', 'orderer2'] };
const BFT_ORGS: readonly OrgSpec[] = [1, 2, 3, 4].map((i) => ({
  name: `Orderer${i}`, mspId: `Orderer${i}MSP`, domain: `orderer${i}.example.com`, kind: 'orderer' as const, orderers: ['orderer0'],
}));

/** The orderer organizations of a profile (their crypto material is generated with the network). */
export function ordererOrgs(profile: OrderingProfile): OrgSpec[] {
  if (profile === 'bft') return BFT_ORGS.map((o) => ({ ...o }));
  return [{ ...RAFT_ORG, orderers: profile === 'raft' ? ['orderer0'] : ['orderer0', 'orderer1', 'orderer2'] }];
}

/** Orderers: Raft 204x1.. (x = 0, 1, 2), SmartBFT 205x1.. (x = 0..3); +1 admin, +2 operations. */
export function orderersOf(profile: OrderingProfile): OrdererNode[] {
  if (profile === 'bft') return BFT_ORGS.map((o, i) => orderer(o.mspId, o.domain, 'orderer0', 20_500 + 10 * i));
  const n = profile === 'raft' ? 1 : 3;
  return Array.from({ length: n }, (_, i) => orderer(RAFT_ORG.mspId, RAFT_ORG.domain, `orderer${i}`, 20_400 + 10 * i));
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
 * 21x00 + index of the chaincode in CHAINCODES, x = 1, 2, 3 in PEERS order.
 */
export function chaincodeServerPort(peer: PeerNode, chaincode: ChaincodeName): number {
  const i = PEERS.findIndex((p) => p.fqdn === peer.fqdn);
  if (i < 0) throw new Error(`unknown peer ${peer.fqdn}`);
  return 21_000 + 100 * (i + 1) + CHAINCODES.indexOf(chaincode);
}

/** Every port the network uses, for the check that they are free before `up`. */
export function allPorts(profile: OrderingProfile): number[] {
  const ports: number[] = [];
  for (const p of PEERS) ports.push(p.port, p.chaincodePort, p.operationsPort, ...CHAINCODES.map((c) => chaincodeServerPort(p, c)));
  for (const o of orderersOf(profile)) ports.push(o.port, o.adminPort, o.operationsPort);
  return ports;
}
