// SPDX-License-Identifier: Apache-2.0
// What the audit can find, where, and how bad it is.

export type Severity = 'error' | 'warning' | 'info';

/** Finding codes, each with a fixed severity (see FINDING_SEVERITY). */
export type FindingCode =
  // storage and block chain
  | 'BLOCK_FILE_CHECKSUM' // a block record's checksum in the block file does not match its bytes
  | 'BLOCK_FILE_DAMAGED' // bytes of a block file that cannot be read as a block record (reading goes on after them)
  | 'BLOCK_FILE_INCOMPLETE' // unreadable bytes at the end of the newest block file, and nothing says whether that block was committed
  | 'BLOCK_BEING_WRITTEN' // unreadable bytes at the end of the newest block file, past the height the ledger's index records
  | 'MALFORMED_BLOCK' // bytes are not a common.Block
  | 'BLOCK_MISSING' // block numbers jump, or the ledger's index, a peer or the previous checkpoint says blocks exist that were not found
  | 'BLOCK_OUT_OF_ORDER' // a block number at or below one already audited
  | 'PREVIOUS_HASH_MISMATCH' // header.previous_hash is not the previous block's header hash
  | 'DATA_HASH_MISMATCH' // header.data_hash does not match the block's envelopes
  | 'GENESIS_MISMATCH' // the genesis block's hash differs from the pinned one
  | 'ORDERER_SIGNATURE' // the block lacks a valid orderer signature (solo) or a consenter quorum (BFT, bftQuorum)
  | 'CONFIG_UPDATE_UNAUTHORIZED' // a configuration transaction marked VALID that is not signed or not authorized as the configuration requires
  | 'TX_FILTER_MISSING' // the block has no validation code per transaction
  // transactions
  | 'MALFORMED_TRANSACTION'
  | 'WRONG_CHANNEL'
  | 'BAD_CREATOR' // the creator is not a valid member of a channel MSP at the transaction time
  | 'BAD_CREATOR_SIGNATURE'
  | 'BAD_TXID'
  | 'DUPLICATE_TXID'
  | 'ILLEGAL_WRITESET'
  | 'UNKNOWN_CHAINCODE' // no endorsement policy known for the chaincode
  | 'BAD_ENDORSEMENT_SIGNATURE' // an endorsement signature does not verify (reported even if the policy holds without it)
  | 'ENDORSEMENT_POLICY_FAILURE' // marked VALID, but the valid endorsements do not satisfy the policy in force
  | 'VALID_TX_MARKED_INVALID' // the audit finds valid a transaction the peers marked invalid for a non-MVCC reason
  // measurements
  | 'MALFORMED_READING'
  | 'METER_NOT_REGISTERED'
  | 'METER_REVOKED'
  | 'UNAUTHORIZED_SUBMITTER' // not the meter owner's organization
  | 'BAD_METER_SIGNATURE' // the reading is not signed by the meter's registered key at that time
  | 'SEQUENCE_GAP' // readings were lost between two accepted sequence numbers
  | 'REPLAYED_READING' // a sequence number at or below the last accepted one
  | 'RECORD_MISSING' // the valid transaction does not write the measurement record
  | 'REEXECUTION_MISMATCH' // re-running the recorded LR software version does not reproduce the stored record
  | 'UNKNOWN_LR_VERSION' // the recorded LR software version is not available to the auditor
  | 'UNAPPROVED_LR_VERSION' // the recorded LR software version was not approved on the ledger at that time
  | 'POLICY_NOT_APPROVED' // a Fabric chaincode definition carries another endorsement policy than the registry approved for that version
  | 'INTEGRITY_INCIDENT'; // an endorser recorded an integrity incident on the ledger

export const FINDING_SEVERITY: Readonly<Record<FindingCode, Severity>> = {
  BLOCK_FILE_CHECKSUM: 'error',
  BLOCK_FILE_DAMAGED: 'error',
  BLOCK_FILE_INCOMPLETE: 'warning',
  BLOCK_BEING_WRITTEN: 'info',
  MALFORMED_BLOCK: 'error',
  BLOCK_MISSING: 'error',
  BLOCK_OUT_OF_ORDER: 'error',
  PREVIOUS_HASH_MISMATCH: 'error',
  DATA_HASH_MISMATCH: 'error',
  GENESIS_MISMATCH: 'error',
  ORDERER_SIGNATURE: 'error',
  CONFIG_UPDATE_UNAUTHORIZED: 'error',
  TX_FILTER_MISSING: 'error',
  MALFORMED_TRANSACTION: 'error',
  WRONG_CHANNEL: 'error',
  BAD_CREATOR: 'error',
  BAD_CREATOR_SIGNATURE: 'error',
  BAD_TXID: 'error',
  DUPLICATE_TXID: 'error',
  ILLEGAL_WRITESET: 'error',
  UNKNOWN_CHAINCODE: 'error',
  BAD_ENDORSEMENT_SIGNATURE: 'error',
  ENDORSEMENT_POLICY_FAILURE: 'error',
  VALID_TX_MARKED_INVALID: 'warning',
  MALFORMED_READING: 'error',
  METER_NOT_REGISTERED: 'error',
  METER_REVOKED: 'error',
  UNAUTHORIZED_SUBMITTER: 'error',
  BAD_METER_SIGNATURE: 'error',
  SEQUENCE_GAP: 'warning',
  REPLAYED_READING: 'error',
  RECORD_MISSING: 'error',
  REEXECUTION_MISMATCH: 'error',
  UNKNOWN_LR_VERSION: 'warning',
  UNAPPROVED_LR_VERSION: 'error',
  POLICY_NOT_APPROVED: 'warning',
  INTEGRITY_INCIDENT: 'warning',
};

/** One finding, located as precisely as the evidence allows. */
export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly message: string;
  readonly blockNum: number;
  readonly txNum?: number;
  readonly txId?: string;
  readonly meterId?: string;
  readonly sequence?: number;
  readonly details?: Record<string, unknown>;
}

export interface FindingLocation {
  blockNum: number;
  txNum?: number | undefined;
  txId?: string | undefined;
  meterId?: string | undefined;
  sequence?: number | undefined;
}

export function finding(code: FindingCode, at: FindingLocation, message: string, details?: Record<string, unknown>): Finding {
  const f: { -readonly [K in keyof Finding]: Finding[K] } = { code, severity: FINDING_SEVERITY[code], message, blockNum: at.blockNum };
  if (at.txNum !== undefined) f.txNum = at.txNum;
  if (at.txId !== undefined && at.txId !== '') f.txId = at.txId;
  if (at.meterId !== undefined) f.meterId = at.meterId;
  if (at.sequence !== undefined) f.sequence = at.sequence;
  if (details !== undefined) f.details = details;
  return f;
}
