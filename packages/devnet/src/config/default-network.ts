// SPDX-License-Identifier: Apache-2.0
// The devnet's network, in one place: organizations, channel, chaincode, endorsement policy, batching.
import type { NetworkConfig } from '../network.js';

export const DEFAULT_NETWORK: NetworkConfig = {
  channelId: 'metrology',
  organizations: [
    // The notified body: approves the LR software and registers meters; its peer keeps the ledger
    // and can re-execute (audit) but is not needed to endorse measurements.
    {
      name: 'Inmetro',
      mspId: 'InmetroMSP',
      domain: 'inmetro.example.com',
      kind: 'peer',
      role: 'notified-body',
      peers: ['peer0'],
      users: ['User1'],
    },
    // Independent computing providers: their peers run the LR chaincode and endorse.
    {
      name: 'LaSIGE',
      mspId: 'LaSIGEMSP',
      domain: 'lasige.example.com',
      kind: 'peer',
      role: 'computing-provider',
      peers: ['peer0'],
      users: ['User1'],
    },
    {
      name: 'PUCPR',
      mspId: 'PUCPRMSP',
      domain: 'pucpr.example.com',
      kind: 'peer',
      role: 'computing-provider',
      peers: ['peer0'],
      users: ['User1'],
    },
    // The meter owner: clients only (its meters submit readings through the gateway).
    { name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', role: 'meter-owner', peers: [], users: ['User1'] },
    { name: 'Orderer', mspId: 'OrdererMSP', domain: 'orderer.example.com', kind: 'orderer', role: 'orderer', orderers: ['orderer0'] },
  ],
  // The gateway runs in this peer (its TLS certificate is the server's; its TLS CA is what clients trust).
  gatewayPeer: { mspId: 'LaSIGEMSP', peer: 'peer0' },
  chaincodes: [
    // The notified body's registry (organizations, approved LR software, meter models). Access
    // control is in the chaincode; the LR chaincode reads it through invokeChaincode on the same peer.
    // Fixed policy: every registry write is the notified body's act, so its peer must endorse it.
    {
      name: 'governance',
      version: '1.0',
      module: '@metroledger/governance',
      endorsementPolicy: "AND('InmetroMSP.peer')",
      installedOn: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
    },
    {
      // Governed by the registry: installed on each peer from the deterministic LR package; runs
      // only while the notified body's approval of its version names that package id; endorsed
      // under the approved record's policy. The policy below is what the bootstrap proposes.
      name: 'lr',
      version: '1.0',
      module: '@metroledger/chaincode',
      endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
      installedOn: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
      governance: 'registry',
    },
  ],
  batch: { maxMessageCount: 500, preferredMaxBytes: 2 * 1024 * 1024, absoluteMaxBytes: 10 * 1024 * 1024, batchTimeoutMs: 20 },
  ordering: 'solo',
};
