// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';
import { peer } from '@hyperledger/fabric-protos';

/**
 * Why bytes could not be read as a transaction, block or channel configuration. The transaction
 * codes are named after the Fabric TxValidationCode that a committing peer records for them.
 */
export type ProtocolErrorCode =
  | 'NIL_ENVELOPE' // no bytes, or not a common.Envelope
  | 'BAD_PAYLOAD' // envelope payload is not a common.Payload, or it has no header
  | 'BAD_COMMON_HEADER' // signature header missing or malformed (creator, nonce)
  | 'BAD_CHANNEL_HEADER' // channel header missing or malformed
  | 'UNKNOWN_TX_TYPE' // a header type the commit path does not process
  | 'BAD_HEADER_EXTENSION' // ChaincodeHeaderExtension missing or malformed
  | 'NIL_TXACTION' // peer.Transaction without exactly one action, or an action without its parts
  | 'BAD_RESPONSE_PAYLOAD' // ProposalResponsePayload or ChaincodeAction malformed
  | 'BAD_RWSET' // the results are not a KV TxReadWriteSet
  | 'INVALID_ENDORSER_TRANSACTION' // parts that parse but disagree (action header vs payload header, proposal hash)
  | 'MALFORMED_BLOCK' // bytes are not a common.Block with header, data and metadata
  | 'MALFORMED_CONFIG' // a config block or channel configuration that cannot be read or built
  | 'BAD_ARGUMENT' // a caller passed values that cannot be encoded
  // proposal module (endorse path)
  | 'MALFORMED_PROPOSAL' // bytes are not a SignedProposal with the nested messages Fabric requires
  | 'UNSUPPORTED_HEADER_TYPE' // a channel header type other than ENDORSER_TRANSACTION
  | 'BAD_TXID' // tx_id is not hex(sha256(nonce ‖ creator))
  | 'MALFORMED_PROPOSAL_RESPONSE' // a ProposalResponse that does not parse, failed, or carries no endorsement
  | 'PAYLOAD_MISMATCH' // endorsers returned different ProposalResponsePayloads
  // collections module
  | 'BAD_COLLECTION_CONFIG'; // a collections configuration (JSON or CollectionConfigPackage) Fabric would refuse

/** The one error class of @metroledger/protocol; branch on `code`, never on the message. */
export class ProtocolError extends MetroledgerError<ProtocolErrorCode> {}

/** Fabric's TxValidationCode numbers (peer.TxValidationCode). */
export const TxValidationCode = peer.TxValidationCode;
export type TxValidationCode = (typeof peer.TxValidationCode)[keyof typeof peer.TxValidationCode];

const codeNames = new Map<number, string>(Object.entries(peer.TxValidationCode).map(([k, v]) => [v as number, k]));

/** `MVCC_READ_CONFLICT` for 11, etc.; `UNKNOWN(n)` for numbers Fabric does not define. */
export function txValidationCodeName(code: number): string {
  return codeNames.get(code) ?? `UNKNOWN(${code})`;
}

/** The validation code a committer records for a transaction that failed to parse with `err`. */
export function validationCodeOf(err: ProtocolError): TxValidationCode {
  switch (err.code) {
    case 'NIL_ENVELOPE':
    case 'BAD_PAYLOAD':
    case 'BAD_COMMON_HEADER':
    case 'BAD_CHANNEL_HEADER':
    case 'UNKNOWN_TX_TYPE':
    case 'BAD_HEADER_EXTENSION':
    case 'NIL_TXACTION':
    case 'BAD_RESPONSE_PAYLOAD':
    case 'BAD_RWSET':
    case 'INVALID_ENDORSER_TRANSACTION':
      return peer.TxValidationCode[err.code];
    default:
      return peer.TxValidationCode.INVALID_OTHER_REASON;
  }
}
