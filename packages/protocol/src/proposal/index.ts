// SPDX-License-Identifier: Apache-2.0
// Proposals: parsing what clients send, endorsing it, assembling the transaction envelope.
export type { ProposalErrorCode } from './errors.js';
export { parseProposal, parseSignedProposal, type ParsedProposal } from './parse.js';
export {
  decodeProposalResponse,
  encodeProposalResponse,
  newEndorsement,
  newFailedProposalResponse,
  newProposalResponse,
  newProposalResponsePayload,
  newTransactionEnvelope,
  type ChaincodeResult,
  type Endorsing,
  type ProposalResponseParts,
} from './response.js';
