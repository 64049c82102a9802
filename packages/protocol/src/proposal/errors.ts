// SPDX-License-Identifier: Apache-2.0
import { ProtocolError, type ProtocolErrorCode } from '../transaction/errors.js';

/** The ProtocolError codes the proposal module throws. */
export type ProposalErrorCode =
  | 'MALFORMED_PROPOSAL' // bytes are not a SignedProposal with the nested messages Fabric requires
  | 'UNSUPPORTED_HEADER_TYPE' // a channel header type other than ENDORSER_TRANSACTION
  | 'BAD_TXID' // tx_id is not hex(sha256(nonce ‖ creator))
  | 'MALFORMED_PROPOSAL_RESPONSE' // a ProposalResponse that does not parse, failed, or carries no endorsement
  | 'PAYLOAD_MISMATCH'; // endorsers returned different ProposalResponsePayloads

export function proposalError(code: ProposalErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown): ProtocolError {
  // The shared code union is defined in transaction/errors.ts; these codes are requested there.
  return new ProtocolError(code as string as ProtocolErrorCode, message, details, cause === undefined ? undefined : { cause });
}
