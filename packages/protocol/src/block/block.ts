// SPDX-License-Identifier: Apache-2.0
// common.Block construction, hashes, metadata slots and orderer signatures, as Fabric 2.5/3 lays them out.
import { createHash, randomBytes } from 'node:crypto';
import { common } from '../protos.js';
import { ProtocolError } from '../transaction/errors.js';

export type Block = common.Block;
export const BlockMetadataIndex = common.BlockMetadataIndex;

/** The parts of a block header that its hash covers. */
export interface HeaderFields {
  readonly number: number;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
}

function fieldsOf(header: HeaderFields | common.BlockHeader): HeaderFields {
  if (header instanceof common.BlockHeader) {
    return { number: header.getNumber(), previousHash: header.getPreviousHash_asU8(), dataHash: header.getDataHash_asU8() };
  }
  return header;
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}

/**
 * ASN.1 DER of SEQUENCE{INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash}:
 * Fabric's protoutil.BlockHeaderBytes, the message that block hashes and orderer signatures cover.
 */
export function blockHeaderBytes(header: HeaderFields | common.BlockHeader): Uint8Array {
  const { number, previousHash, dataHash } = fieldsOf(header);
  if (!Number.isSafeInteger(number) || number < 0) throw new ProtocolError('BAD_ARGUMENT', `bad block number ${number}`);
  const num: number[] = [];
  for (let v = number; v > 0; v = Math.floor(v / 256)) num.unshift(v % 256);
  if (num.length === 0 || (num[0]! & 0x80) !== 0) num.unshift(0);
  const intTlv = [0x02, ...derLength(num.length), ...num];
  const prevHdr = [0x04, ...derLength(previousHash.length)];
  const dataHdr = [0x04, ...derLength(dataHash.length)];
  const contentLen = intTlv.length + prevHdr.length + previousHash.length + dataHdr.length + dataHash.length;
  return Buffer.concat([
    Uint8Array.from([0x30, ...derLength(contentLen), ...intTlv, ...prevHdr]),
    previousHash,
    Uint8Array.from(dataHdr),
    dataHash,
  ]);
}

/** SHA-256 of {@link blockHeaderBytes}: the hash the next block's previous_hash must carry. */
export function blockHeaderHash(header: HeaderFields | common.BlockHeader): Uint8Array {
  return createHash('sha256').update(blockHeaderBytes(header)).digest();
}

/** SHA-256 over the concatenated envelope bytes (Fabric's BlockData hash). */
export function blockDataHash(envelopes: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const e of envelopes) h.update(e);
  return h.digest();
}

const METADATA_SLOTS = 5; // SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, ORDERER, COMMIT_HASH

/** A block with header (data hash computed), data, and five empty metadata slots, as protoutil.NewBlock. */
export function newBlock(number: number, previousHash: Uint8Array, envelopes: readonly Uint8Array[]): common.Block {
  const header = new common.BlockHeader();
  header.setNumber(number);
  header.setPreviousHash(previousHash);
  header.setDataHash(blockDataHash(envelopes));
  blockHeaderBytes(header); // validates the number
  const data = new common.BlockData();
  data.setDataList([...envelopes]);
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList(Array.from({ length: METADATA_SLOTS }, () => new Uint8Array(0)));
  const block = new common.Block();
  block.setHeader(header);
  block.setData(data);
  block.setMetadata(metadata);
  return block;
}

/** Decodes block bytes and checks that header, data and metadata are present; throws ProtocolError('MALFORMED_BLOCK'). */
export function decodeBlock(bytes: Uint8Array): common.Block {
  let block: common.Block;
  try {
    block = common.Block.deserializeBinary(bytes);
  } catch (err) {
    throw new ProtocolError('MALFORMED_BLOCK', 'bytes are not a common.Block', undefined, { cause: err });
  }
  if (!block.hasHeader() || !block.hasData()) throw new ProtocolError('MALFORMED_BLOCK', 'block lacks header or data');
  if (!block.hasMetadata()) block.setMetadata(new common.BlockMetadata());
  const md = block.getMetadata()!;
  const list = md.getMetadataList_asU8();
  if (list.length < METADATA_SLOTS)
    md.setMetadataList([...list, ...Array.from({ length: METADATA_SLOTS - list.length }, () => new Uint8Array(0))]);
  return block;
}

/** The envelopes of a block, without copying. */
export function blockEnvelopes(block: common.Block): Uint8Array[] {
  return block.getData()?.getDataList_asU8() ?? [];
}

/** The block number, previous hash and data hash of a block. */
export function blockHeaderFields(block: common.Block): HeaderFields {
  const h = block.getHeader();
  if (h === undefined) throw new ProtocolError('MALFORMED_BLOCK', 'block has no header');
  return fieldsOf(h);
}

function metadataSlot(block: common.Block, index: number): Uint8Array {
  return block.getMetadata()?.getMetadataList_asU8()[index] ?? new Uint8Array(0);
}

function setMetadataSlot(block: common.Block, index: number, value: Uint8Array): void {
  let md = block.getMetadata();
  if (md === undefined) {
    md = new common.BlockMetadata();
    block.setMetadata(md);
  }
  const list = md.getMetadataList_asU8().slice();
  while (list.length < METADATA_SLOTS) list.push(new Uint8Array(0));
  list[index] = value;
  md.setMetadataList(list);
}

/** Writes the TRANSACTIONS_FILTER slot: one TxValidationCode byte per envelope. */
export function setTransactionFilter(block: common.Block, codes: Uint8Array | readonly number[]): void {
  const n = blockEnvelopes(block).length;
  if (codes.length !== n) throw new ProtocolError('BAD_ARGUMENT', `transaction filter has ${codes.length} codes for ${n} transactions`);
  setMetadataSlot(block, common.BlockMetadataIndex.TRANSACTIONS_FILTER, Uint8Array.from(codes));
}

/** The TRANSACTIONS_FILTER slot (empty if the block has not been validated yet). */
export function getTransactionFilter(block: common.Block): Uint8Array {
  return metadataSlot(block, common.BlockMetadataIndex.TRANSACTIONS_FILTER);
}

/** Anything that can sign as an orderer: @metroledger/identity's SigningIdentity fits. */
export interface BlockSigner {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** OrdererBlockMetadata bytes: the `value` that every block signature covers. */
export function ordererBlockMetadata(lastConfigIndex: number, consenterMetadata?: Uint8Array): Uint8Array {
  const lc = new common.LastConfig();
  lc.setIndex(lastConfigIndex);
  const obm = new common.OrdererBlockMetadata();
  obm.setLastConfig(lc);
  if (consenterMetadata !== undefined) obm.setConsenterMetadata(consenterMetadata);
  return obm.serializeBinary();
}

export interface SignatureOptions {
  /** 24 random bytes by default. */
  readonly nonce?: Uint8Array;
  /** Fabric 3 BFT form: name the signer by consenter id instead of by its serialized identity. */
  readonly consenterId?: number;
}

/**
 * One orderer signature over `value ‖ signature_header ‖ BlockHeaderBytes(header)` (protoutil's
 * BlockSignatureVerifier), with a SignatureHeader{creator, nonce} or, for BFT, an IdentifierHeader.
 */
export function newBlockSignature(
  header: HeaderFields | common.BlockHeader,
  value: Uint8Array,
  signer: BlockSigner,
  opts: SignatureOptions = {},
): common.MetadataSignature {
  const nonce = opts.nonce ?? randomBytes(24);
  const sig = new common.MetadataSignature();
  let hdrBytes: Uint8Array;
  if (opts.consenterId !== undefined) {
    const ih = new common.IdentifierHeader();
    ih.setIdentifier(opts.consenterId);
    ih.setNonce(nonce);
    hdrBytes = ih.serializeBinary();
    sig.setIdentifierHeader(hdrBytes);
  } else {
    const sh = new common.SignatureHeader();
    sh.setCreator(signer.serialize());
    sh.setNonce(nonce);
    hdrBytes = sh.serializeBinary();
    sig.setSignatureHeader(hdrBytes);
  }
  sig.setSignature(signer.sign(Buffer.concat([value, hdrBytes, blockHeaderBytes(header)])));
  return sig;
}

/** Sets the SIGNATURES slot to Metadata{value, signatures}. */
export function setBlockSignatures(block: common.Block, value: Uint8Array, signatures: readonly common.MetadataSignature[]): void {
  const md = new common.Metadata();
  md.setValue(value);
  md.setSignaturesList([...signatures]);
  setMetadataSlot(block, common.BlockMetadataIndex.SIGNATURES, md.serializeBinary());
}

/** Signs a block as a single (solo/Raft) orderer does: one signature, OrdererBlockMetadata{last_config} as value. */
export function signBlock(
  block: common.Block,
  signer: BlockSigner,
  opts: { lastConfigIndex: number; consenterMetadata?: Uint8Array; nonce?: Uint8Array },
): void {
  const value = ordererBlockMetadata(opts.lastConfigIndex, opts.consenterMetadata);
  const sigOpts: SignatureOptions = opts.nonce === undefined ? {} : { nonce: opts.nonce };
  setBlockSignatures(block, value, [newBlockSignature(block.getHeader()!, value, signer, sigOpts)]);
}

/** A signature found in a block's SIGNATURES metadata, with the exact message it should cover. */
export interface BlockSignatureEntry {
  /** Serialized identity from the SignatureHeader; absent when the signer is named by consenter id. */
  readonly creator?: Uint8Array;
  /** Consenter id from an IdentifierHeader (Fabric 3 BFT). */
  readonly consenterId?: number;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

/** The signatures of a block with their signed messages; throws ProtocolError('MALFORMED_BLOCK'). */
export function blockSignatures(block: common.Block): BlockSignatureEntry[] {
  const slot = metadataSlot(block, common.BlockMetadataIndex.SIGNATURES);
  let md: common.Metadata;
  try {
    md = common.Metadata.deserializeBinary(slot);
  } catch (err) {
    throw new ProtocolError('MALFORMED_BLOCK', 'SIGNATURES metadata does not parse', undefined, { cause: err });
  }
  const value = md.getValue_asU8();
  const headerBytes = blockHeaderBytes(blockHeaderFields(block));
  return md.getSignaturesList().map((s) => {
    const sh = s.getSignatureHeader_asU8();
    const ih = s.getIdentifierHeader_asU8();
    const signature = s.getSignature_asU8();
    if (sh.length === 0 && ih.length > 0) {
      let id: common.IdentifierHeader;
      try {
        id = common.IdentifierHeader.deserializeBinary(ih);
      } catch (err) {
        throw new ProtocolError('MALFORMED_BLOCK', 'identifier header does not parse', undefined, { cause: err });
      }
      return { consenterId: id.getIdentifier(), message: Buffer.concat([value, ih, headerBytes]), signature };
    }
    let hdr: common.SignatureHeader;
    try {
      hdr = common.SignatureHeader.deserializeBinary(sh);
    } catch (err) {
      throw new ProtocolError('MALFORMED_BLOCK', 'signature header does not parse', undefined, { cause: err });
    }
    return { creator: hdr.getCreator_asU8(), message: Buffer.concat([value, sh, headerBytes]), signature };
  });
}

/** The last config block index recorded in the signatures metadata (0 if absent). */
export function getLastConfigIndex(block: common.Block): number {
  const slot = metadataSlot(block, common.BlockMetadataIndex.SIGNATURES);
  if (slot.length === 0) return 0;
  try {
    const value = common.Metadata.deserializeBinary(slot).getValue_asU8();
    return common.OrdererBlockMetadata.deserializeBinary(value).getLastConfig()?.getIndex() ?? 0;
  } catch (err) {
    throw new ProtocolError('MALFORMED_BLOCK', 'SIGNATURES metadata does not parse', undefined, { cause: err });
  }
}
