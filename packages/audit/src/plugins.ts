// SPDX-License-Identifier: Apache-2.0
// Ledger-sourced knowledge other than the meter registry (a governance registry: approved LR
// versions, endorsement policies, integrity incidents) plugs into the audit through this interface.
import type { Policy } from '@metroledger/policy';
import type { WriteFact } from './analyze';
import type { FindingCode } from './findings';

/** A transaction the audit accepted as valid, as plugins see it (in ledger order). */
export interface ValidTxView {
  readonly blockNum: number;
  readonly txNum: number;
  readonly txId: string;
  readonly chaincodeName: string;
  /** The chaincode version the endorsers ran. */
  readonly chaincodeVersion: string;
  /** args[0]. */
  readonly fn: string;
  readonly creatorMspId: string;
  readonly endorserMspIds: readonly string[];
  readonly timestampMs: number;
  /** The writes in the plugin's namespaces. */
  readonly writes: readonly WriteFact[];
}

export type PluginReport = (code: FindingCode, message: string, extra?: { meterId?: string; details?: Record<string, unknown> }) => void;

export interface AuditPlugin {
  readonly name: string;
  /** Chaincode namespaces whose writes the plugin follows. */
  readonly namespaces: readonly string[];
  /**
   * Called for every valid transaction, after its own checks, in ledger order: the plugin checks it
   * against what it knows so far (e.g. the chaincode version is approved), then follows its writes.
   */
  onValidTransaction?(tx: ValidTxView, report: PluginReport): void;
  /** The endorsement policy in force now for a chaincode version, when the ledger defines it. */
  endorsementPolicy?(chaincodeName: string, chaincodeVersion: string): Policy | undefined;
  /** State to keep in the checkpoint (JSON-serializable), and to restore from it. */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}
