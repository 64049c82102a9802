// SPDX-License-Identifier: Apache-2.0
import { common, peer } from '../protos.js';
import type { NsReadWriteSet } from '../rwset/types.js';
import { encodeTxReadWriteSet } from '../transaction/rwset.js';
import { proposalError } from './errors.js';
import type { ParsedProposal } from './parse.js';

/** What simulating a proposal produced (the shape @metroledger/chaincode-host returns). */
export interface ChaincodeResult {
  readonly response: { readonly status: number; readonly message: string; readonly payload: Uint8Array };
  readonly rwset: NsReadWriteSet;
  /** All namespaces touched (the invoked chaincode's first, then those it called); default [rwset]. */
  readonly rwsets?: readonly NsReadWriteSet[];
  readonly event?: { readonly name: string; readonly payload: Uint8Array } | undefined;
}

/** The signer of an endorsement: a peer's SigningIdentity from @metroledger/identity fits. */
export interface Endorsing {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** A decoded peer.ProposalResponse. */
export interface ProposalResponseParts {
  readonly status: number;
  readonly message: string;
  /** The chaincode's response payload (the transaction result). */
  readonly payload: Uint8Array;
  /** ProposalResponsePayload bytes; empty when the endorsement failed. */
  readonly prpBytes: Uint8Array;
  readonly endorsement?: { readonly endorser: Uint8Array; readonly signature: Uint8Array } | undefined;
}

const EMPTY = new Uint8Array(0);

// The timestamp field of ProposalResponse is not signed; Fabric's endorsers leave it unset too.
function pbResponse(status: number, message: string, payload: Uint8Array): peer.Response {
  const r = new peer.Response();
  r.setStatus(status);
  r.setMessage(message);
  if (payload.length > 0) r.setPayload(payload);
  return r;
}

/**
 * Builds the ProposalResponsePayload bytes an endorser signs: the proposal hash and a
 * ChaincodeAction{results, events, response, chaincode_id}. Deterministic: endorsers that simulated
 * the same way produce the same bytes.
 */
export function newProposalResponsePayload(
  p: ParsedProposal,
  result: ChaincodeResult,
  chaincode: { name: string; version: string },
): Uint8Array {
  const action = new peer.ChaincodeAction();
  action.setResults(encodeTxReadWriteSet(result.rwsets ?? [result.rwset]));
  if (result.event !== undefined) {
    const ev = new peer.ChaincodeEvent();
    ev.setChaincodeId(chaincode.name);
    ev.setTxId(p.txId);
    ev.setEventName(result.event.name);
    ev.setPayload(result.event.payload);
    action.setEvents(ev.serializeBinary());
  }
  const { status, message, payload } = result.response;
  action.setResponse(pbResponse(status, message, payload));
  const id = new peer.ChaincodeID();
  id.setName(chaincode.name);
  id.setVersion(chaincode.version);
  action.setChaincodeId(id);

  const prp = new peer.ProposalResponsePayload();
  prp.setProposalHash(p.proposalHash);
  prp.setExtension$(action.serializeBinary());
  return prp.serializeBinary();
}

/**
 * Endorses a successful simulation (status < 400): the ProposalResponsePayload and the endorser's
 * signature over `payload ‖ endorser`, as decoded ProposalResponse parts (for in-process use).
 */
export function newEndorsement(
  p: ParsedProposal,
  result: ChaincodeResult,
  chaincode: { name: string; version: string },
  endorser: Endorsing,
): ProposalResponseParts {
  const prpBytes = newProposalResponsePayload(p, result, chaincode);
  const endorserBytes = endorser.serialize();
  const signed = Buffer.allocUnsafe(prpBytes.length + endorserBytes.length);
  signed.set(prpBytes, 0);
  signed.set(endorserBytes, prpBytes.length);
  const { status, message, payload } = result.response;
  return { status, message, payload, prpBytes, endorsement: { endorser: endorserBytes, signature: endorser.sign(signed) } };
}

/** peer.ProposalResponse bytes of decoded parts (version 1; no endorsement when the parts have none). */
export function encodeProposalResponse(parts: ProposalResponseParts): Uint8Array {
  const pr = new peer.ProposalResponse();
  pr.setVersion(1);
  pr.setResponse(pbResponse(parts.status, parts.message, parts.payload));
  if (parts.prpBytes.length > 0) pr.setPayload(parts.prpBytes);
  if (parts.endorsement !== undefined) {
    const e = new peer.Endorsement();
    e.setEndorser(parts.endorsement.endorser);
    e.setSignature(parts.endorsement.signature);
    pr.setEndorsement(e);
  }
  return pr.serializeBinary();
}

/**
 * A signed peer.ProposalResponse{version 1, response, payload, endorsement}, the endorsement
 * being the endorser's signature over `payload ‖ endorser`. Only for successful simulations
 * (status < 400); a failed one is answered with {@link newFailedProposalResponse}.
 */
export function newProposalResponse(
  p: ParsedProposal,
  result: ChaincodeResult,
  chaincode: { name: string; version: string },
  endorser: Endorsing,
): Uint8Array {
  return encodeProposalResponse(newEndorsement(p, result, chaincode, endorser));
}

/** An unendorsed peer.ProposalResponse carrying only an error status and message, as Fabric's endorser answers failures. */
export function newFailedProposalResponse(status: number, message: string): Uint8Array {
  return encodeProposalResponse({ status, message, payload: EMPTY, prpBytes: EMPTY });
}

/** @throws {@link ProtocolError} MALFORMED_PROPOSAL_RESPONSE */
export function decodeProposalResponse(bytes: Uint8Array): ProposalResponseParts {
  let pr: peer.ProposalResponse;
  try {
    pr = peer.ProposalResponse.deserializeBinary(bytes);
  } catch (err) {
    throw proposalError('MALFORMED_PROPOSAL_RESPONSE', `error unmarshalling ProposalResponse: ${(err as Error).message}`, undefined, err);
  }
  const response = pr.getResponse();
  const e = pr.getEndorsement();
  return {
    status: response?.getStatus() ?? 0,
    message: response?.getMessage() ?? '',
    payload: response?.getPayload_asU8() ?? new Uint8Array(0),
    prpBytes: pr.getPayload_asU8(),
    endorsement: e === undefined ? undefined : { endorser: e.getEndorser_asU8(), signature: e.getSignature_asU8() },
  };
}

/**
 * The unsigned common.Envelope the client signs: the client's own header, untouched, and one
 * TransactionAction whose ChaincodeEndorsedAction carries the common ProposalResponsePayload and
 * every distinct endorsement.
 * @throws {@link ProtocolError} MALFORMED_PROPOSAL_RESPONSE when a response failed or is unendorsed;
 * PAYLOAD_MISMATCH ("ProposalResponsePayloads do not match") when endorsers disagree.
 */
export function newTransactionEnvelope(p: ParsedProposal, proposalResponses: readonly (Uint8Array | ProposalResponseParts)[]): Uint8Array {
  if (proposalResponses.length === 0) throw proposalError('MALFORMED_PROPOSAL_RESPONSE', 'at least one proposal response is required');
  const parts = proposalResponses.map((r) => (r instanceof Uint8Array ? decodeProposalResponse(r) : r));
  const first = parts[0]!;
  const action = new peer.ChaincodeEndorsedAction();
  action.setProposalResponsePayload(first.prpBytes);
  const seen = new Set<string>();
  for (const r of parts) {
    if (r.status < 200 || r.status >= 400) {
      throw proposalError('MALFORMED_PROPOSAL_RESPONSE', `proposal response was not successful, error code ${r.status}, msg ${r.message}`, {
        status: r.status,
      });
    }
    if (r.endorsement === undefined) throw proposalError('MALFORMED_PROPOSAL_RESPONSE', 'proposal response has no endorsement');
    if (Buffer.compare(r.prpBytes, first.prpBytes) !== 0) throw proposalError('PAYLOAD_MISMATCH', 'ProposalResponsePayloads do not match');
    const key = Buffer.from(r.endorsement.endorser).toString('latin1');
    if (seen.has(key)) continue;
    seen.add(key);
    const e = new peer.Endorsement();
    e.setEndorser(r.endorsement.endorser);
    e.setSignature(r.endorsement.signature);
    action.addEndorsements(e);
  }

  const cap = new peer.ChaincodeActionPayload();
  cap.setChaincodeProposalPayload(p.payloadForTx);
  cap.setAction(action);
  const ta = new peer.TransactionAction();
  ta.setHeader(p.signatureHeaderBytes);
  ta.setPayload(cap.serializeBinary());
  const tx = new peer.Transaction();
  tx.addActions(ta);

  // Payload{header, data}: write the client's header bytes verbatim rather than re-encoding a
  // decoded Header, so the bytes the client signs are exactly the ones it built.
  const payload = concatFields([
    [1, p.headerBytes],
    [2, tx.serializeBinary()],
  ]);
  const envelope = new common.Envelope();
  envelope.setPayload(payload);
  return envelope.serializeBinary();
}

/** Protobuf encoding of length-delimited fields, in the given order. */
function concatFields(fields: readonly [number, Uint8Array][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const [num, value] of fields) {
    chunks.push(varint((num << 3) | 2), varint(value.length), value);
  }
  return Buffer.concat(chunks);
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Uint8Array.from(out);
}
