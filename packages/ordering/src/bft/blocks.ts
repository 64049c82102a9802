// SPDX-License-Identifier: Apache-2.0
// The BFT payload is a Fabric block, and its commit certificate is the block's SIGNATURES metadata.
//
// A proposal is `common.Block{header, data, metadata: five empty slots}` serialized. Each replica's
// commit signature is a Fabric 3 BFT block signature: ECDSA over
//   OrdererBlockMetadata{last_config, consenter_metadata: ViewMetadata{view, seq}}
//   ‖ IdentifierHeader{identifier: consenter id, nonce} ‖ BlockHeaderBytes(header),
// so the quorum of signatures of the certificate go into the committed block unchanged, where a peer's
// quorum verifier (protoutil.BlockSignatureVerifier's identifier-header form) checks them.
// The committed block differs from the proposal only in its metadata field, so both are built by
// byte concatenation around the same header+data prefix (no re-encoding of the envelopes).
import { createHash } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { bftProposalDigest, type CommitSignature, type Decision } from '@metroledger/bft';
import { blockHeaderBytes, newBlock, ordererBlockMetadata } from '@metroledger/protocol';
import { OrderingError } from '../errors.js';

const METADATA_SLOTS = 5;
const FIELD_HEADER = 1;
const FIELD_DATA = 2;
const FIELD_METADATA = 3;

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Length-delimited protobuf field `field` holding `body`. */
function lenField(field: number, body: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.from([(field << 3) | 2, ...varint(body.length)]), body]);
}

function emptyMetadata(): Uint8Array {
  const md = new common.BlockMetadata();
  md.setMetadataList(Array.from({ length: METADATA_SLOTS }, () => new Uint8Array(0)));
  return md.serializeBinary();
}

/** Encoded `metadata` field of a proposal: five empty slots. */
const PROPOSAL_METADATA_FIELD = lenField(FIELD_METADATA, emptyMetadata());

interface TopFields {
  /** Bytes of fields 1 and 2 (header, data), as they appear. */
  readonly prefix: Uint8Array;
  readonly header: Uint8Array;
  /** The whole encoded metadata field (tag, length, body). */
  readonly metadataField: Uint8Array;
  readonly metadata: Uint8Array;
}

/** Splits an encoded Block into its top-level fields; throws unless it is header, data, metadata in that order. */
function topFields(bytes: Uint8Array): TopFields {
  const fields: { field: number; start: number; bodyStart: number; end: number }[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const key = bytes[pos++]!;
    if ((key & 7) !== 2 || key >> 3 < 1 || key >> 3 > 3) throw new OrderingError('BAD_REQUEST', 'block is not header, data and metadata');
    let len = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (pos >= bytes.length || i > 6) throw new OrderingError('BAD_REQUEST', 'truncated block');
      const b = bytes[pos++]!;
      len += (b & 0x7f) * mul;
      mul *= 0x80;
      if (b < 0x80) break;
    }
    if (pos + len > bytes.length) throw new OrderingError('BAD_REQUEST', 'truncated block');
    fields.push({ field: key >> 3, start, bodyStart: pos, end: pos + len });
    pos += len;
  }
  const [h, d, m] = fields;
  if (fields.length !== 3 || h!.field !== FIELD_HEADER || d!.field !== FIELD_DATA || m!.field !== FIELD_METADATA) {
    throw new OrderingError('BAD_REQUEST', 'block must hold header, data and metadata, in that order');
  }
  return {
    prefix: bytes.subarray(0, m!.start),
    header: bytes.subarray(h!.bodyStart, h!.end),
    metadataField: bytes.subarray(m!.start, m!.end),
    metadata: bytes.subarray(m!.bodyStart, m!.end),
  };
}

/** A proposal for block `number`: the canonical payload replicas agree on. */
export function encodeProposal(number: number, previousHash: Uint8Array, envelopes: readonly Uint8Array[]): Uint8Array {
  const block = newBlock(number, previousHash, envelopes);
  const prefix = Buffer.concat([
    lenField(FIELD_HEADER, block.getHeader()!.serializeBinary()),
    lenField(FIELD_DATA, block.getData()!.serializeBinary()),
  ]);
  return Buffer.concat([prefix, PROPOSAL_METADATA_FIELD]);
}

/** Whether `payload` is laid out exactly as `encodeProposal` lays it out (so it maps to one committed block). */
export function isCanonicalProposal(payload: Uint8Array): boolean {
  try {
    return Buffer.from(topFields(payload).metadataField).equals(PROPOSAL_METADATA_FIELD);
  } catch {
    return false;
  }
}

const headerBytesCache = new WeakMap<Uint8Array, Uint8Array>();

/** BlockHeaderBytes (the DER the signatures cover) of a proposal's header; cached per payload. */
export function proposalHeaderBytes(payload: Uint8Array): Uint8Array {
  let hb = headerBytesCache.get(payload);
  if (hb === undefined) {
    hb = blockHeaderBytes(common.BlockHeader.deserializeBinary(topFields(payload).header));
    headerBytesCache.set(payload, hb);
  }
  return hb;
}

/** SmartBFT's ViewMetadata{view_id = 1, latest_sequence = 2} (protobuf), Fabric's consenter metadata of BFT blocks. */
function viewMetadata(view: number, seq: number): Uint8Array {
  const out: number[] = [];
  if (view > 0) out.push(0x08, ...varint(view));
  if (seq > 0) out.push(0x10, ...varint(seq));
  return Uint8Array.from(out);
}

function readViewMetadata(bytes: Uint8Array): { view: number; seq: number } {
  let view = 0;
  let seq = 0;
  let pos = 0;
  const readVarint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (pos >= bytes.length || i > 7) throw new OrderingError('STORAGE', 'malformed view metadata');
      const b = bytes[pos++]!;
      v += (b & 0x7f) * mul;
      mul *= 0x80;
      if (b < 0x80) return v;
    }
  };
  while (pos < bytes.length) {
    const key = readVarint();
    if (key === 0x08) view = readVarint();
    else if (key === 0x10) seq = readVarint();
    else throw new OrderingError('STORAGE', 'unexpected field in view metadata');
  }
  return { view, seq };
}

/** The SIGNATURES `value` every replica signs for a block decided at (view, seq). */
function signaturesValue(view: number, seq: number, lastConfigIndex: number): Uint8Array {
  return ordererBlockMetadata(lastConfigIndex, viewMetadata(view, seq));
}

/** Replica r is consenter r+1 (Fabric consenter ids start at 1). */
export const consenterIdOf = (replica: number): number => replica + 1;

/** The nonce of a replica's identifier header: derived, so anyone can rebuild the signed bytes from the certificate. */
function nonceOf(digest: Uint8Array, replica: number): Uint8Array {
  return createHash('sha256')
    .update('mlbft/nonce/1')
    .update(digest)
    .update(Uint8Array.of(replica >>> 24, replica >>> 16, replica >>> 8, replica))
    .digest()
    .subarray(0, 24);
}

function identifierHeader(digest: Uint8Array, replica: number): Uint8Array {
  const ih = new common.IdentifierHeader();
  ih.setIdentifier(consenterIdOf(replica));
  ih.setNonce(nonceOf(digest, replica));
  return ih.serializeBinary();
}

/** `Application.commitSigningBytes`: the Fabric block-signature message of `signer` for this block. */
export function blockCommitSigningBytes(
  seq: number,
  view: number,
  digest: Uint8Array,
  payload: Uint8Array,
  signer: number,
  lastConfigIndex: number,
): Uint8Array {
  return Buffer.concat([signaturesValue(view, seq, lastConfigIndex), identifierHeader(digest, signer), proposalHeaderBytes(payload)]);
}

const committedCache = new WeakMap<Decision, Uint8Array>();

/** The committed block (bytes): the decided proposal with the certificate as SIGNATURES metadata. Cached per decision. */
export function committedBlockBytes(d: Decision, lastConfigIndex: number): Uint8Array {
  let bytes = committedCache.get(d);
  if (bytes === undefined) {
    bytes = buildCommittedBlock(d, lastConfigIndex);
    committedCache.set(d, bytes);
  }
  return bytes;
}

function buildCommittedBlock(d: Decision, lastConfigIndex: number): Uint8Array {
  const { prefix } = topFields(d.payload);
  const c = d.certificate;
  const md = new common.Metadata();
  md.setValue(signaturesValue(c.view, c.seq, lastConfigIndex));
  md.setSignaturesList(
    c.signatures.map((s) => {
      const sig = new common.MetadataSignature();
      sig.setIdentifierHeader(identifierHeader(c.digest, s.replica));
      sig.setSignature(s.signature);
      return sig;
    }),
  );
  const bm = new common.BlockMetadata();
  bm.setMetadataList([md.serializeBinary(), ...Array.from({ length: METADATA_SLOTS - 1 }, () => new Uint8Array(0))]);
  return Buffer.concat([prefix, lenField(FIELD_METADATA, bm.serializeBinary())]);
}

/** The decision a committed block records (inverse of `committedBlockBytes`). @throws OrderingError STORAGE */
export function decisionOfBlock(bytes: Uint8Array): Decision {
  try {
    const { prefix, metadata } = topFields(bytes);
    const payload = Buffer.concat([prefix, PROPOSAL_METADATA_FIELD]);
    const slot = common.BlockMetadata.deserializeBinary(metadata).getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES];
    const md = common.Metadata.deserializeBinary(slot ?? new Uint8Array(0));
    const obm = common.OrdererBlockMetadata.deserializeBinary(md.getValue_asU8());
    const { view, seq } = readViewMetadata(obm.getConsenterMetadata_asU8());
    const signatures: CommitSignature[] = md.getSignaturesList().map((s) => ({
      replica: common.IdentifierHeader.deserializeBinary(s.getIdentifierHeader_asU8()).getIdentifier() - 1,
      signature: s.getSignature_asU8(),
    }));
    return { seq, payload, certificate: { seq, view, digest: bftProposalDigest(seq, payload), signatures } };
  } catch (err) {
    if (err instanceof OrderingError && err.code === 'STORAGE') throw err;
    throw new OrderingError('STORAGE', `stored block does not decode: ${(err as Error).message}`, undefined, { cause: err });
  }
}
