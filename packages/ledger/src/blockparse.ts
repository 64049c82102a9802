// SPDX-License-Identifier: Apache-2.0
// What the ledger needs out of a common.Block: header fields, envelopes, tx filter, tx ids and valid writes.
// Deriving writes from the block itself (as Fabric does) keeps the block files the one source of truth:
// crash recovery replays state from them.
import { common } from '@hyperledger/fabric-protos';
import { hashedStateKey, type StateUpdate, type Version } from '@metroledger/protocol';
import { LedgerError } from './errors';
import { bytesField, firstBytesField, WireError, WireReader } from './protowire';

const EMPTY = new Uint8Array(0);

const TRANSACTIONS_FILTER = 2; // common.BlockMetadataIndex.TRANSACTIONS_FILTER
const ENDORSER_TRANSACTION = 3; // common.HeaderType.ENDORSER_TRANSACTION
const VALID = 0; // peer.TxValidationCode.VALID
const NOT_VALIDATED = 254; // peer.TxValidationCode.NOT_VALIDATED

/** One write of a valid transaction, with the version (block, tx) it gets in the world state. */
export type { StateUpdate } from '@metroledger/protocol';

/** A transaction's entry in the tx index; its txNum is its position in the block. */
export interface TxIndexEntry {
  /** '' when the envelope has no parseable tx id (such a transaction is not indexed). */
  readonly txId: string;
  /** peer.TxValidationCode from the block's TRANSACTIONS_FILTER. */
  readonly code: number;
}

export interface DecodedBlock {
  readonly bytes: Uint8Array;
  readonly number: number;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
  readonly envelopes: Uint8Array[];
  /** TRANSACTIONS_FILTER metadata (one validation code per envelope), or undefined if absent. */
  readonly txFilter: Uint8Array | undefined;
}

/** Decode a block given as a parsed common.Block or as its serialized bytes. */
export function decodeBlock(input: common.Block | Uint8Array): DecodedBlock {
  let block: common.Block;
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) {
    bytes = input;
    try {
      block = common.Block.deserializeBinary(input);
    } catch (e) {
      throw new LedgerError('MALFORMED_BLOCK', 'bytes are not a common.Block', undefined, { cause: e });
    }
  } else {
    block = input;
    bytes = input.serializeBinary();
  }
  const header = block.getHeader();
  if (header === undefined) throw new LedgerError('MALFORMED_BLOCK', 'block has no header');
  const number = header.getNumber();
  if (!Number.isSafeInteger(number) || number < 0) throw new LedgerError('MALFORMED_BLOCK', `bad block number ${number}`);
  const envelopes = block.getData()?.getDataList_asU8() ?? [];
  const metadata = block.getMetadata()?.getMetadataList_asU8() ?? [];
  const filter = metadata[TRANSACTIONS_FILTER];
  return {
    bytes,
    number,
    previousHash: header.getPreviousHash_asU8(),
    dataHash: header.getDataHash_asU8(),
    envelopes,
    txFilter: filter !== undefined && filter.length > 0 ? filter : undefined,
  };
}

/** The filter, checked to have one code per envelope. */
export function requireTxFilter(block: DecodedBlock): Uint8Array {
  // Protobuf does not write an empty bytes field: a block without transactions has no filter to carry.
  const f = block.txFilter ?? (block.envelopes.length === 0 ? EMPTY : undefined);
  if (f === undefined || f.length !== block.envelopes.length) {
    throw new LedgerError(
      'MISSING_TX_FILTER',
      `block ${block.number}: TRANSACTIONS_FILTER has ${f?.length ?? 0} codes for ${block.envelopes.length} transactions`,
      { blockNum: block.number },
    );
  }
  return f;
}

interface ParsedEnvelope {
  txId: string;
  type: number;
  data: Uint8Array;
}

/** Envelope.payload → Payload{header.channel_header → ChannelHeader{type, tx_id}, data}. */
function parseEnvelopeHeader(envelope: Uint8Array): ParsedEnvelope | undefined {
  try {
    const p = new WireReader(bytesField(envelope, 1));
    let header: Uint8Array | undefined;
    let data: Uint8Array | undefined;
    while (p.next()) {
      if (p.field === 1) header = p.bytes();
      else if (p.field === 2) data = p.bytes();
      else p.skip();
    }
    const c = new WireReader(bytesField(header, 1));
    let type = 0;
    let txId = '';
    while (c.next()) {
      if (c.field === 1) type = c.uint();
      else if (c.field === 5) txId = c.string();
      else c.skip();
    }
    return { txId, type, data: data ?? new Uint8Array(0) };
  } catch {
    return undefined;
  }
}

/**
 * The writes of one endorser transaction, in rwset order: Transaction.actions[0].payload →
 * ChaincodeActionPayload.action → ChaincodeEndorsedAction.proposal_response_payload →
 * ProposalResponsePayload.extension → ChaincodeAction.results → TxReadWriteSet.ns_rwset[] →
 * NsReadWriteSet{namespace, rwset → KVRWSet.writes[] → KVWrite{key, is_delete, value}}; then the
 * namespace's private writes as every peer keeps them, hashes only: collection_hashed_rwset[] →
 * CollectionHashedReadWriteSet{collection_name, hashed_rwset → HashedRWSet.hashed_writes[] →
 * KVWriteHash{key_hash, is_delete, value_hash}}, at their place in the hashed state (protocol's hashedStateKey).
 */
function endorserWrites(blockNum: number, txNum: number, data: Uint8Array, out: StateUpdate[]): void {
  const action = firstBytesField(data, 1);
  if (action === undefined) throw new WireError('transaction has no action');
  const endorsed = bytesField(bytesField(action, 2), 2);
  const results = bytesField(bytesField(bytesField(endorsed, 1), 2), 1);
  const version: Version = { blockNum, txNum };
  const tx = new WireReader(results);
  while (tx.next()) {
    if (tx.field !== 2) {
      tx.skip();
      continue;
    }
    const nsr = new WireReader(tx.bytes());
    let ns = '';
    let rwset: Uint8Array | undefined;
    const collections: Uint8Array[] = [];
    while (nsr.next()) {
      if (nsr.field === 1) ns = nsr.string();
      else if (nsr.field === 2) rwset = nsr.bytes();
      else if (nsr.field === 3) collections.push(nsr.bytes());
      else nsr.skip();
    }
    const kv = new WireReader(rwset);
    while (kv.next()) {
      if (kv.field !== 3) {
        kv.skip();
        continue;
      }
      const w = new WireReader(kv.bytes());
      let key = '';
      let isDelete = false;
      let value: Uint8Array = EMPTY;
      while (w.next()) {
        if (w.field === 1) key = w.string();
        else if (w.field === 2) isDelete = w.uint() !== 0;
        else if (w.field === 3) value = w.bytes();
        else w.skip();
      }
      out.push(isDelete ? { ns, key, isDelete, version } : { ns, key, isDelete, value, version });
    }
    for (const c of collections) hashedWrites(ns, c, version, out);
  }
}

function hashedWrites(ns: string, collectionRwset: Uint8Array, version: Version, out: StateUpdate[]): void {
  const c = new WireReader(collectionRwset);
  let collection = '';
  let hashed: Uint8Array | undefined;
  while (c.next()) {
    if (c.field === 1) collection = c.string();
    else if (c.field === 2) hashed = c.bytes();
    else c.skip();
  }
  const h = new WireReader(hashed);
  while (h.next()) {
    if (h.field !== 2) {
      h.skip();
      continue;
    }
    const w = new WireReader(h.bytes());
    let keyHash: Uint8Array = EMPTY;
    let isDelete = false;
    let valueHash: Uint8Array = EMPTY;
    while (w.next()) {
      if (w.field === 1) keyHash = w.bytes();
      else if (w.field === 2) isDelete = w.uint() !== 0;
      else if (w.field === 3) valueHash = w.bytes();
      else w.skip();
    }
    const at = hashedStateKey(ns, collection, keyHash);
    out.push(isDelete ? { ...at, isDelete, version } : { ...at, isDelete, value: valueHash, version });
  }
}

export interface BlockContents {
  readonly txIndex: TxIndexEntry[];
  readonly updates: StateUpdate[];
}

/**
 * Tx index entries for every transaction, and the writes of the valid endorser transactions in
 * block order (a later write of the same key wins, as in Fabric). Throws MALFORMED_BLOCK if a
 * transaction marked VALID cannot be parsed: the validator would never have passed it.
 * Without `withUpdates` a block lacking a TRANSACTIONS_FILTER (an orderer's block) is accepted and
 * its transactions get code NOT_VALIDATED.
 */
export function blockContents(block: DecodedBlock, withUpdates = true): BlockContents {
  const filter =
    withUpdates || block.txFilter !== undefined ? requireTxFilter(block) : new Uint8Array(block.envelopes.length).fill(NOT_VALIDATED);
  const txIndex: TxIndexEntry[] = new Array(block.envelopes.length);
  const updates: StateUpdate[] = [];
  for (let txNum = 0; txNum < block.envelopes.length; txNum++) {
    const code = filter[txNum]!;
    const parsed = parseEnvelopeHeader(block.envelopes[txNum]!);
    if (parsed === undefined && code === VALID) {
      throw new LedgerError('MALFORMED_BLOCK', `block ${block.number} tx ${txNum} is marked VALID but does not parse`, {
        blockNum: block.number,
        txNum,
      });
    }
    txIndex[txNum] = { txId: parsed?.txId ?? '', code };
    if (withUpdates && code === VALID && parsed!.type === ENDORSER_TRANSACTION) {
      try {
        endorserWrites(block.number, txNum, parsed!.data, updates);
      } catch (e) {
        throw new LedgerError(
          'MALFORMED_BLOCK',
          `block ${block.number} tx ${txNum}: no readable rwset in a VALID transaction`,
          { blockNum: block.number, txNum },
          { cause: e },
        );
      }
    }
  }
  return { txIndex, updates };
}
