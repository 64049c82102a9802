// SPDX-License-Identifier: Apache-2.0
// Collections for the private-data test chaincode (testing/pdc) whose endorsement differs from the
// chaincode's (test fixture, Fabric's collections_config.json form).
import { parseCollectionsConfig, type CollectionConfig } from '@metroledger/protocol';
import { DEFAULT_NETWORK } from '../config/default-network.js';

/**
 * `notarized`: the notified body's peer alone endorses a write to it, whatever the chaincode's
 * policy; `plain`: no policy of its own (the chaincode's applies).
 */
export const NOTARIZED_COLLECTIONS: readonly CollectionConfig[] = parseCollectionsConfig(
  JSON.stringify([
    {
      name: 'notarized',
      policy: "OR('InmetroMSP.member', 'LaSIGEMSP.member', 'PUCPRMSP.member')",
      requiredPeerCount: 0,
      maxPeerCount: 1,
      blockToLive: 0,
      endorsementPolicy: { signaturePolicy: "OR('InmetroMSP.peer')" },
    },
    { name: 'plain', policy: "OR('LaSIGEMSP.member', 'PUCPRMSP.member')", requiredPeerCount: 0, maxPeerCount: 1, blockToLive: 0 },
  ]),
  DEFAULT_NETWORK.organizations.filter((o) => o.kind === 'peer').map((o) => o.mspId),
);
