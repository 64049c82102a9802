// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type PeerErrorCode =
  | 'MALFORMED_PROPOSAL' // the SignedProposal does not parse, has a bad tx ID or an unsupported header type
  | 'CHANNEL_NOT_FOUND' // the proposal names a channel this peer has not joined
  | 'ACCESS_DENIED' // creator unknown to the channel's MSPs, invalid, or its signature does not verify
  | 'DUPLICATE_TXID'; // a transaction with this ID is already in the ledger

/** The error class of @metroledger/peer; branch on `code`. Messages follow Fabric's peer. */
export class PeerError extends MetroledgerError<PeerErrorCode> {}
