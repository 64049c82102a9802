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

/** An approval of chaincode software recorded on the ledger (the notified body's, in a governance registry). */
export interface SoftwareApprovalView {
  readonly chaincodeName: string;
  /** The chaincode version approved. */
  readonly chaincodeVersion: string;
  /** The approved node package id. */
  readonly packageId: string;
  /** The approved code digest (@metroledger/lifecycle's sourceDigest of the package's files); absent in checkpoints written before it was kept. */
  readonly codeDigest?: string;
  /** Where the approval was recorded. */
  readonly blockNum?: number;
  readonly txId?: string;
}

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
  /**
   * Every approval of `chaincodeName`'s software recorded so far (withdrawn ones included: a
   * withdrawal does not change what code the earlier readings ran).
   */
  softwareApprovals?(chaincodeName: string): readonly SoftwareApprovalView[];
  /** State to keep in the checkpoint (JSON-serializable), and to restore from it. */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}
