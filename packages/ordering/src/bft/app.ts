// SPDX-License-Identifier: Apache-2.0
// The BFT Application of one replica: payloads are Fabric blocks chained on the replica's own
// decided log, requests are transaction envelopes checked like Fabric's broadcast handler.
import { createHash } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import type { Application, Decision, Request } from '@metroledger/bft';
import { verifySignature, type Identity } from '@metroledger/identity';
import { blockDataHash, type BatchConfig } from '@metroledger/protocol';
import { OrderingError } from '../errors.js';
import { blockCommitSigningBytes, encodeProposal, isCanonicalProposal, proposalHeaderBytes } from './blocks.js';

/** What an envelope is checked against before it may be ordered. */
export interface EnvelopeChecks {
  readonly channelId: string;
  readonly absoluteMaxBytes: number;
  readonly deserializer: { deserialize(serialized: Uint8Array): Identity };
  readonly msps: { isValidAt(identity: Identity, atTimeMs: number): boolean };
  /**
   * Wall clock (ms): the creator's certificate must be valid at its reading when the envelope enters
   * a replica (Fabric's broadcast ExpirationRejectRule). Commit-time validation never looks at time.
   */
  readonly clock: () => number;
}

const TX_ID_MAX = 256;

function headersOf(envelope: Uint8Array): {
  ch: common.ChannelHeader;
  sh: common.SignatureHeader;
  payload: Uint8Array;
  signature: Uint8Array;
} {
  const env = common.Envelope.deserializeBinary(envelope);
  const payload = env.getPayload_asU8();
  const header = common.Payload.deserializeBinary(payload).getHeader();
  if (header === undefined) throw new Error('payload has no header');
  return {
    ch: common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()),
    sh: common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()),
    payload,
    signature: env.getSignature_asU8(),
  };
}

/** An envelope that passed every broadcast check but its signature, with what that check needs. */
export interface InspectedEnvelope {
  readonly txId: string;
  readonly creator: Identity;
  /** The signed bytes (the envelope's payload) and the signature over them. */
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Fabric's broadcast checks except the signature (size, header, channel, type, creator a valid
 * channel member with an unexpired certificate), so that the signature can be verified elsewhere (a worker thread).
 * @throws OrderingError BAD_REQUEST
 */
export function inspectEnvelope(envelope: Uint8Array, c: EnvelopeChecks): InspectedEnvelope {
  if (envelope.length > c.absoluteMaxBytes)
    throw new OrderingError('BAD_REQUEST', `envelope of ${envelope.length} bytes exceeds absoluteMaxBytes ${c.absoluteMaxBytes}`);
  let h: ReturnType<typeof headersOf>;
  try {
    h = headersOf(envelope);
  } catch (err) {
    throw new OrderingError('BAD_REQUEST', 'envelope does not parse', undefined, { cause: err });
  }
  if (h.ch.getChannelId() !== c.channelId)
    throw new OrderingError('BAD_REQUEST', `envelope is for channel ${JSON.stringify(h.ch.getChannelId())}`, {
      channelId: h.ch.getChannelId(),
    });
  if (h.ch.getType() !== common.HeaderType.ENDORSER_TRANSACTION)
    throw new OrderingError('BAD_REQUEST', `header type ${h.ch.getType()} is not accepted (config updates are not supported)`);
  const txId = h.ch.getTxId();
  if (txId.length === 0 || txId.length > TX_ID_MAX)
    throw new OrderingError('BAD_REQUEST', 'envelope has no transaction id (or one longer than 256 characters)');
  let creator: Identity;
  try {
    creator = c.deserializer.deserialize(h.sh.getCreator_asU8());
  } catch (err) {
    throw new OrderingError('BAD_REQUEST', 'creator is not a valid identity', undefined, { cause: err });
  }
  if (!c.msps.isValidAt(creator, c.clock()))
    throw new OrderingError('BAD_REQUEST', `creator is not a valid member of ${JSON.stringify(creator.mspId)} on this channel`, {
      mspId: creator.mspId,
    });
  return { txId, creator, payload: h.payload, signature: h.signature };
}

export const BAD_ENVELOPE_SIGNATURE = 'envelope signature does not verify against its creator';

/**
 * Fabric's broadcast checks (size, header, channel, type, creator a valid channel member, signature).
 * @returns the transaction id. @throws OrderingError BAD_REQUEST
 */
export function checkEnvelope(envelope: Uint8Array, c: EnvelopeChecks): string {
  const h = inspectEnvelope(envelope, c);
  if (!verifySignature(h.creator.publicKey, h.payload, h.signature)) throw new OrderingError('BAD_REQUEST', BAD_ENVELOPE_SIGNATURE);
  return h.txId;
}

/** The transaction id of an envelope that was already checked (no signature work). */
function txIdOf(envelope: Uint8Array): string {
  return headersOf(envelope).ch.getTxId();
}

export interface FabricAppOptions {
  readonly checks: EnvelopeChecks;
  readonly batch: BatchConfig;
  readonly lastConfigIndex: number;
  /** Header hash of the block before seq 1 (the genesis block). */
  readonly genesisHeaderHash: Uint8Array;
  /** Called after each decision is persisted, in order. */
  readonly onDecided: (d: Decision) => void;
}

/** Envelopes remembered as checked, per replica (bounded; older ones are simply checked again). */
const VERIFIED_MAX = 50_000;

export class FabricBftApp implements Application {
  readonly #o: FabricAppOptions;
  #lastHash: Uint8Array;
  /** Envelopes this replica checked, by tx id: a proposal's envelopes are then compared, not re-verified. */
  readonly #verified = new Map<string, Uint8Array>();
  readonly #ids = new WeakMap<Uint8Array, readonly string[]>();

  constructor(o: FabricAppOptions) {
    this.#o = o;
    this.#lastHash = o.genesisHeaderHash;
  }

  /** Continue the chain after the replica's last decided block (on restart). */
  resumeAfter(last: Decision | undefined): void {
    if (last !== undefined) this.#lastHash = createHash('sha256').update(proposalHeaderBytes(last.payload)).digest();
  }

  /** Checks a request entering this replica (from a client or forwarded); returns its tx id. @throws OrderingError BAD_REQUEST */
  admit(envelope: Uint8Array): string {
    const txId = checkEnvelope(envelope, this.#o.checks);
    this.#remember(txId, envelope);
    return txId;
  }

  /** Records an envelope whose every check (signature included) passed outside this replica's turn. */
  admitChecked(txId: string, envelope: Uint8Array): void {
    this.#remember(txId, envelope);
  }

  /** Whether this replica already checked exactly this request. */
  knows(r: Request): boolean {
    const known = this.#verified.get(r.id);
    return known !== undefined && Buffer.from(known.buffer, known.byteOffset, known.byteLength).equals(r.data);
  }

  /** Whether a forwarded request is a valid envelope whose tx id is `id`. */
  admitForwarded(r: Request): boolean {
    if (this.knows(r)) return true;
    try {
      return this.admit(r.data) === r.id;
    } catch {
      return false;
    }
  }

  #remember(txId: string, envelope: Uint8Array): void {
    if (this.#verified.size >= VERIFIED_MAX) this.#verified.delete(this.#verified.keys().next().value as string);
    this.#verified.set(txId, envelope);
  }

  buildProposal(seq: number, requests: readonly Request[]): Uint8Array {
    const payload = encodeProposal(
      seq,
      this.#lastHash,
      requests.map((r) => r.data),
    );
    this.#ids.set(
      payload,
      requests.map((r) => r.id),
    );
    return payload;
  }

  validateProposal(seq: number, payload: Uint8Array): boolean {
    if (!isCanonicalProposal(payload)) return false;
    let block: common.Block;
    try {
      block = common.Block.deserializeBinary(payload);
    } catch {
      return false;
    }
    const header = block.getHeader();
    if (header === undefined || header.getNumber() !== seq) return false;
    if (!Buffer.from(header.getPreviousHash_asU8()).equals(this.#lastHash)) return false;
    const envelopes = block.getData()?.getDataList_asU8() ?? [];
    if (envelopes.length === 0 || envelopes.length > this.#o.batch.maxMessageCount) return false;
    if (!Buffer.from(header.getDataHash_asU8()).equals(blockDataHash(envelopes))) return false;
    const ids: string[] = [];
    for (const env of envelopes) {
      let id: string;
      try {
        id = txIdOf(env);
        if (!this.knows({ id, data: env }) && this.admit(env) !== id) return false;
      } catch {
        return false;
      }
      ids.push(id);
    }
    this.#ids.set(payload, ids);
    return true;
  }

  requestIds(payload: Uint8Array): readonly string[] {
    let ids = this.#ids.get(payload);
    if (ids === undefined) {
      ids = (common.Block.deserializeBinary(payload).getData()?.getDataList_asU8() ?? []).map(txIdOf);
      this.#ids.set(payload, ids);
    }
    return ids;
  }

  onDecided(d: Decision): void {
    this.#lastHash = createHash('sha256').update(proposalHeaderBytes(d.payload)).digest();
    for (const id of this.requestIds(d.payload)) this.#verified.delete(id);
    this.#o.onDecided(d);
  }

  commitSigningBytes(seq: number, view: number, digest: Uint8Array, payload: Uint8Array, signer: number): Uint8Array {
    return blockCommitSigningBytes(seq, view, digest, payload, signer, this.#o.lastConfigIndex);
  }
}
