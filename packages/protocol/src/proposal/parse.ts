// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { common, peer } from '../protos.js';
import { computeTxId } from '../transaction/parse.js';
import { proposalError } from './errors.js';

/** A SignedProposal for a chaincode invocation, decoded once and kept with the bytes later steps need. */
export interface ParsedProposal {
  readonly channelId: string;
  readonly txId: string;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  readonly chaincodeName: string;
  /** args[0] is the function name. */
  readonly args: readonly Uint8Array[];
  readonly transient: ReadonlyMap<string, Uint8Array>;
  /** msp.SerializedIdentity bytes of the client. */
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
  /** common.Header bytes exactly as the client sent them (the envelope must reuse them). */
  readonly headerBytes: Uint8Array;
  readonly channelHeaderBytes: Uint8Array;
  readonly signatureHeaderBytes: Uint8Array;
  /** ChaincodeProposalPayload{input} without the transient map: what goes into the transaction. */
  readonly payloadForTx: Uint8Array;
  /** Proposal bytes, the message the client signed. */
  readonly proposalBytes: Uint8Array;
  readonly signature: Uint8Array;
  /** sha256(channel_header ‖ signature_header ‖ payloadForTx), bound into every endorsement. */
  readonly proposalHash: Uint8Array;
}

function malformed(what: string, cause?: unknown): Error {
  return proposalError('MALFORMED_PROPOSAL', what, undefined, cause);
}

function decode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw malformed(`error unmarshalling ${what}: ${(err as Error).message}`, err);
  }
}

const ENDORSER_TRANSACTION = common.HeaderType.ENDORSER_TRANSACTION;

/**
 * Decodes and checks the structure of a peer.SignedProposal: an ENDORSER_TRANSACTION on a named
 * channel, for a named chaincode, with a creator, a nonce and a correctly computed tx ID. It does
 * not verify the signature nor the creator; that is the endorser's job.
 * @throws {@link ProtocolError} MALFORMED_PROPOSAL, UNSUPPORTED_HEADER_TYPE or BAD_TXID.
 */
export function parseSignedProposal(bytes: Uint8Array): ParsedProposal {
  if (bytes.length === 0) throw malformed('empty signed proposal');
  const signed = decode('SignedProposal', () => peer.SignedProposal.deserializeBinary(bytes));
  const proposalBytes = signed.getProposalBytes_asU8();
  if (proposalBytes.length === 0) throw malformed('the proposed transaction must contain a signed proposal');
  return parseProposal(proposalBytes, signed.getSignature_asU8());
}

/** As {@link parseSignedProposal}, from the proposal bytes and signature already split. */
export function parseProposal(proposalBytes: Uint8Array, signature: Uint8Array): ParsedProposal {
  const proposal = decode('Proposal', () => peer.Proposal.deserializeBinary(proposalBytes));
  const headerBytes = proposal.getHeader_asU8();
  const header = decode('Header', () => common.Header.deserializeBinary(headerBytes));
  const channelHeaderBytes = header.getChannelHeader_asU8();
  const signatureHeaderBytes = header.getSignatureHeader_asU8();
  if (channelHeaderBytes.length === 0) throw malformed('channel header is missing');
  if (signatureHeaderBytes.length === 0) throw malformed('signature header is missing');
  const channelHeader = decode('ChannelHeader', () => common.ChannelHeader.deserializeBinary(channelHeaderBytes));
  const signatureHeader = decode('SignatureHeader', () => common.SignatureHeader.deserializeBinary(signatureHeaderBytes));

  const type = channelHeader.getType();
  if (type !== ENDORSER_TRANSACTION) {
    throw proposalError('UNSUPPORTED_HEADER_TYPE', `invalid header type ${type}: only ENDORSER_TRANSACTION proposals are supported`, {
      type,
    });
  }
  const channelId = channelHeader.getChannelId();
  if (channelId === '') throw malformed('no channel id provided');

  const creator = signatureHeader.getCreator_asU8();
  const nonce = signatureHeader.getNonce_asU8();
  if (creator.length === 0) throw malformed('creator is missing from the signature header');
  if (nonce.length === 0) throw malformed('nonce is missing from the signature header');
  const txId = channelHeader.getTxId();
  const expected = computeTxId(nonce, creator);
  if (txId !== expected) {
    throw proposalError('BAD_TXID', `incorrectly computed txid '${txId}' -- expected '${expected}'`, { txId, expected });
  }

  const extension = decode('ChaincodeHeaderExtension', () =>
    peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8()),
  );
  const payload = decode('ChaincodeProposalPayload', () => peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8()));
  const inputBytes = payload.getInput_asU8();
  const spec = decode('ChaincodeInvocationSpec', () => peer.ChaincodeInvocationSpec.deserializeBinary(inputBytes)).getChaincodeSpec();
  if (spec === undefined) throw malformed(`no chaincode spec is provided, channel id [${channelId}]`);
  const chaincodeName = spec.getChaincodeId()?.getName() ?? '';
  if (chaincodeName === '') throw malformed(`no chaincode name is provided, channel id [${channelId}]`);
  const headerChaincode = extension.getChaincodeId()?.getName() ?? '';
  if (headerChaincode !== '' && headerChaincode !== chaincodeName) {
    throw malformed(`chaincode name in the header (${headerChaincode}) differs from the invocation (${chaincodeName})`);
  }
  const args = spec.getInput()?.getArgsList_asU8() ?? [];
  if (args.length === 0) throw malformed('the invocation has no function name');

  const transient = new Map<string, Uint8Array>();
  const transientMap = payload.getTransientmapMap();
  for (const [key, value] of transientMap.entries()) transient.set(key, typeof value === 'string' ? Buffer.from(value, 'base64') : value);
  const payloadForTx = payloadWithoutTransient(inputBytes);

  const ts = channelHeader.getTimestamp();
  const proposalHash = createHash('sha256').update(channelHeaderBytes).update(signatureHeaderBytes).update(payloadForTx).digest();

  return {
    channelId,
    txId,
    timestamp: { seconds: ts?.getSeconds() ?? 0, nanos: ts?.getNanos() ?? 0 },
    chaincodeName,
    args,
    transient,
    creator,
    nonce,
    headerBytes,
    channelHeaderBytes,
    signatureHeaderBytes,
    payloadForTx,
    proposalBytes,
    signature,
    proposalHash,
  };
}

function payloadWithoutTransient(inputBytes: Uint8Array): Uint8Array {
  const cpp = new peer.ChaincodeProposalPayload();
  cpp.setInput(inputBytes);
  return cpp.serializeBinary();
}
