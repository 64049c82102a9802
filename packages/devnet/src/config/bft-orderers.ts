// SPDX-License-Identifier: Apache-2.0
// The BFT ordering service of the devnet: n >= 4 consenters, each run by its own orderer
// organization with its own CA, so no single organization decides the order of the ledger.
import type { OrgConfig } from '../network.js';

/** Replicas when `--bft-replicas` is not given: tolerates f = 1 faulty consenter. */
export const DEFAULT_BFT_REPLICAS = 4;

/**
 * The channel's BatchTimeout under BFT ordering (unless `batch` overrides it). Every block costs the
 * four replicas about 15 ms of CPU and 12 fdatasyncs on the devnet's one thread, so blocks cut every
 * 20 ms (the solo default) saturate it at low load; 100 ms blocks amortize that (Fabric's own BFT
 * samples use seconds).
 */
export const BFT_BATCH_TIMEOUT_MS = 100;

/** Orderer organizations Orderer1MSP..Orderer<n>MSP, one consenter (orderer0) each. */
export function bftOrdererOrganizations(n: number): OrgConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `Orderer${i + 1}`,
    mspId: `Orderer${i + 1}MSP`,
    domain: `orderer${i + 1}.example.com`,
    kind: 'orderer' as const,
    role: 'orderer' as const,
    orderers: ['orderer0'],
  }));
}
