// SPDX-License-Identifier: Apache-2.0
import type { BatchConfig, CollectionConfig } from '@metroledger/protocol';

/** What an organization is in the metrology network. */
export type OrgRole = 'notified-body' | 'computing-provider' | 'meter-owner' | 'orderer';

export interface OrgConfig {
  readonly name: string;
  readonly mspId: string;
  readonly domain: string;
  readonly kind: 'peer' | 'orderer';
  readonly role: OrgRole;
  readonly peers?: readonly string[];
  readonly orderers?: readonly string[];
  /** Client users besides Admin. */
  readonly users?: readonly string[];
}

export interface ChaincodeConfig {
  readonly name: string;
  readonly version: string;
  /** A package name or directory whose module exports `contracts` (fabric-contract-api). */
  readonly module: string;
  /**
   * Fabric policy syntax, e.g. AND('LaSIGEMSP.peer','PUCPRMSP.peer'). For a registry-governed
   * chaincode this is only the policy proposed to the notified body (the testing bootstrap and
   * `metroledger lr approve` default to it); the network enforces the approved record's policy.
   */
  readonly endorsementPolicy: string;
  /** MSP ids of the organizations whose peers have it installed. */
  readonly installedOn: readonly string[];
  /**
   * 'registry': governed by the notified body's registry on the ledger (the governance chaincode's
   * LR software approvals): each peer installs it from a package file and runs it only while that
   * package is the approved one for the version it states; the endorsement policy is the one in
   * the approval in force. 'config' (default): `module` and `endorsementPolicy` as configured.
   */
  readonly governance?: 'config' | 'registry';
  /** For a registry-governed chaincode: the package file peers install on first start (default: the LR chaincode's deterministic package). */
  readonly packageFile?: string;
  /**
   * Explicit private data collections of the chaincode definition, as Fabric's
   * collections_config.json writes them (protocol's parseCollectionsConfig reads the file). The
   * implicit `_implicit_org_<MSP>` collections need none.
   */
  readonly collections?: readonly CollectionConfig[];
}

export interface NetworkConfig {
  readonly channelId: string;
  readonly organizations: readonly OrgConfig[];
  readonly gatewayPeer: { readonly mspId: string; readonly peer: string };
  readonly chaincodes: readonly ChaincodeConfig[];
  readonly batch: BatchConfig;
  readonly ordering: 'solo' | 'bft';
}
