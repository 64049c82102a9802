// SPDX-License-Identifier: Apache-2.0
// common.Envelope bytes -> the fields the commit path needs, with a typed error per malformation.
import { createHash } from 'node:crypto';
import { common, peer } from '../protos.js';
import type { NsReadWriteSet } from '../rwset/types.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { decodeTxReadWriteSet } from './rwset.js';

export interface Endorsement {
  /** msp.SerializedIdentity bytes of the endorsing peer. */
  readonly endorser: Uint8Array;
  /** DER ECDSA signature over `prpBytes ‖ endorser`. */
  readonly signature: Uint8Array;
}

export interface ChaincodeEventRecord {
  readonly chaincodeId: string;
  readonly txId: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
}

export interface ChaincodeResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
}

/** A transaction envelope, decoded. Endorser fields are empty for CONFIG transactions. */
export interface ParsedTransaction {
  /** common.HeaderType: ENDORSER_TRANSACTION (3) or CONFIG (1). */
  readonly type: number;
  readonly channelId: string;
  readonly txId: string;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  readonly epoch: number;
  /** SignatureHeader.creator: msp.SerializedIdentity bytes. */
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
  /** Envelope.payload: the bytes the creator signed. */
  readonly payloadBytes: Uint8Array;
  /** Envelope.signature: creator's DER signature over `payloadBytes`. */
  readonly signature: Uint8Array;
  /** From the ChaincodeHeaderExtension ('' for CONFIG). */
  readonly chaincodeName: string;
  /** From ChaincodeAction.chaincode_id. */
  readonly chaincodeVersion: string;
  /** Chaincode input args; args[0] is the function name. */
  readonly args: readonly Uint8Array[];
  /** ProposalResponsePayload bytes, as the endorsers signed them. */
  readonly prpBytes: Uint8Array;
  readonly rwsets: readonly NsReadWriteSet[];
  readonly endorsements: readonly Endorsement[];
  readonly response: ChaincodeResponse;
  readonly event?: ChaincodeEventRecord;
  /** CONFIG only: the common.ConfigEnvelope bytes. */
  readonly configEnvelope?: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const NO_RESPONSE: ChaincodeResponse = Object.freeze({ status: 0, message: '', payload: EMPTY });

function decode<T>(code: ProtocolErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new ProtocolError(code, `${what} does not parse`, undefined, { cause: err });
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Decodes a transaction envelope as the committing peer sees it.
 * @throws {@link ProtocolError} with the code of the first malformation found; `validationCodeOf(err)`
 * gives the Fabric TxValidationCode to record.
 */
export function parseEnvelope(bytes: Uint8Array): ParsedTransaction {
  if (bytes.length === 0) throw new ProtocolError('NIL_ENVELOPE', 'empty envelope');
  const env = decode('NIL_ENVELOPE', 'envelope', () => common.Envelope.deserializeBinary(bytes));
  const payloadBytes = env.getPayload_asU8();
  if (payloadBytes.length === 0) throw new ProtocolError('BAD_PAYLOAD', 'envelope has no payload');
  const payload = decode('BAD_PAYLOAD', 'payload', () => common.Payload.deserializeBinary(payloadBytes));
  const header = payload.getHeader();
  if (header === undefined) throw new ProtocolError('BAD_PAYLOAD', 'payload has no header');

  const chBytes = header.getChannelHeader_asU8();
  if (chBytes.length === 0) throw new ProtocolError('BAD_CHANNEL_HEADER', 'missing channel header');
  const ch = decode('BAD_CHANNEL_HEADER', 'channel header', () => common.ChannelHeader.deserializeBinary(chBytes));
  const shBytes = header.getSignatureHeader_asU8();
  const sh = decode('BAD_COMMON_HEADER', 'signature header', () => common.SignatureHeader.deserializeBinary(shBytes));
  const creator = sh.getCreator_asU8();
  const nonce = sh.getNonce_asU8();

  const type = ch.getType();
  const channelId = ch.getChannelId();
  if (channelId === '') throw new ProtocolError('BAD_CHANNEL_HEADER', 'channel header has no channel id');
  const ts = ch.getTimestamp();
  const base = {
    type,
    channelId,
    txId: ch.getTxId(),
    timestamp: { seconds: ts?.getSeconds() ?? 0, nanos: ts?.getNanos() ?? 0 },
    epoch: ch.getEpoch(),
    creator,
    nonce,
    payloadBytes,
    signature: env.getSignature_asU8(),
  };

  // configtxgen writes the genesis config envelope unsigned, with an empty signature header.
  if (type === common.HeaderType.CONFIG) {
    return {
      ...base,
      chaincodeName: '',
      chaincodeVersion: '',
      args: [],
      prpBytes: EMPTY,
      rwsets: [],
      endorsements: [],
      response: NO_RESPONSE,
      configEnvelope: payload.getData_asU8(),
    };
  }
  if (type !== common.HeaderType.ENDORSER_TRANSACTION) throw new ProtocolError('UNKNOWN_TX_TYPE', `header type ${type}`, { type });
  if (creator.length === 0 || nonce.length === 0) throw new ProtocolError('BAD_COMMON_HEADER', 'signature header lacks creator or nonce');

  const extBytes = ch.getExtension_asU8();
  const ext = decode('BAD_HEADER_EXTENSION', 'chaincode header extension', () => peer.ChaincodeHeaderExtension.deserializeBinary(extBytes));
  const chaincodeName = ext.getChaincodeId()?.getName() ?? '';
  if (chaincodeName === '') throw new ProtocolError('BAD_HEADER_EXTENSION', 'header extension names no chaincode');

  const tx = decode('NIL_TXACTION', 'transaction', () => peer.Transaction.deserializeBinary(payload.getData_asU8()));
  const actions = tx.getActionsList();
  if (actions.length !== 1) throw new ProtocolError('NIL_TXACTION', `transaction has ${actions.length} actions, expected 1`);
  const action = actions[0]!;
  const actionHeader = decode('NIL_TXACTION', 'action header', () => common.SignatureHeader.deserializeBinary(action.getHeader_asU8()));
  if (!bytesEqual(actionHeader.getCreator_asU8(), creator) || !bytesEqual(actionHeader.getNonce_asU8(), nonce)) {
    throw new ProtocolError('INVALID_ENDORSER_TRANSACTION', 'action header differs from the payload signature header');
  }
  const cap = decode('NIL_TXACTION', 'chaincode action payload', () =>
    peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()),
  );
  const endorsed = cap.getAction();
  if (endorsed === undefined) throw new ProtocolError('NIL_TXACTION', 'action payload has no endorsed action');
  const cppBytes = cap.getChaincodeProposalPayload_asU8();
  const cpp = decode('NIL_TXACTION', 'chaincode proposal payload', () => peer.ChaincodeProposalPayload.deserializeBinary(cppBytes));
  const cis = decode('NIL_TXACTION', 'chaincode invocation spec', () =>
    peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()),
  );
  const args = cis.getChaincodeSpec()?.getInput()?.getArgsList_asU8() ?? [];

  const prpBytes = endorsed.getProposalResponsePayload_asU8();
  const prp = decode('BAD_RESPONSE_PAYLOAD', 'proposal response payload', () => peer.ProposalResponsePayload.deserializeBinary(prpBytes));
  // The endorsers signed a hash of the proposal they simulated: it must be this transaction's proposal.
  const proposalHash = createHash('sha256').update(chBytes).update(shBytes).update(cppBytes).digest();
  if (!bytesEqual(proposalHash, prp.getProposalHash_asU8())) {
    throw new ProtocolError('INVALID_ENDORSER_TRANSACTION', 'proposal hash in the response does not match the transaction');
  }
  const ccAction = decode('BAD_RESPONSE_PAYLOAD', 'chaincode action', () =>
    peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()),
  );
  const resp = ccAction.getResponse();
  if (resp === undefined) throw new ProtocolError('BAD_RESPONSE_PAYLOAD', 'chaincode action has no response');
  const rwsets = decodeTxReadWriteSet(ccAction.getResults_asU8());

  let event: ChaincodeEventRecord | undefined;
  const evBytes = ccAction.getEvents_asU8();
  if (evBytes.length > 0) {
    const ev = decode('BAD_RESPONSE_PAYLOAD', 'chaincode event', () => peer.ChaincodeEvent.deserializeBinary(evBytes));
    if (ev.getEventName() !== '')
      event = { chaincodeId: ev.getChaincodeId(), txId: ev.getTxId(), eventName: ev.getEventName(), payload: ev.getPayload_asU8() };
  }

  const parsed: ParsedTransaction = {
    ...base,
    chaincodeName,
    chaincodeVersion: ccAction.getChaincodeId()?.getVersion() ?? '',
    args,
    prpBytes,
    rwsets,
    endorsements: endorsed.getEndorsementsList().map((e) => ({ endorser: e.getEndorser_asU8(), signature: e.getSignature_asU8() })),
    response: { status: resp.getStatus(), message: resp.getMessage(), payload: resp.getPayload_asU8() },
  };
  return event === undefined ? parsed : { ...parsed, event };
}

/** hex(sha256(nonce ‖ creator)): the only transaction id Fabric accepts for a given signature header. */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex');
}
