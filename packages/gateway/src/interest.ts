// SPDX-License-Identifier: Apache-2.0
// What a simulated transaction touches in its chaincode's namespace, read from an endorser's
// ProposalResponsePayload: the facts Fabric's endorser puts in the proposal response's
// ChaincodeInterest, and from which its gateway asks discovery for an endorsement plan.
import { peer } from '@hyperledger/fabric-protos';
import { chaincodeWrites, decodeTxReadWriteSet, type TxDecisionInput } from '@metroledger/protocol';
import { field, fields, Malformed } from './wire.js';

const utf8 = new TextDecoder('utf-8');

export interface ChaincodeInterest {
  /** Public keys and private data collections written (validation's input to requiredPolicies). */
  readonly writes: TxDecisionInput['writes'];
  /**
   * Collections read. Only their member organizations hold the data, so only their peers can
   * endorse alike (Fabric's discovery filters on the collection's member policy when a call has
   * private reads). The read/write set records a read of a value and a read of its hash alike, so
   * both count here.
   */
  readonly privateReads: readonly string[];
}

/** @throws when the bytes are not a ProposalResponsePayload carrying a ChaincodeAction with a TxReadWriteSet */
export function chaincodeInterest(prpBytes: Uint8Array, chaincodeName: string): ChaincodeInterest {
  const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
  const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
  const rwsets = decodeTxReadWriteSet(action.getResults_asU8());
  const own = rwsets.find((rw) => rw.namespace === chaincodeName);
  return {
    writes: chaincodeWrites(chaincodeName, rwsets),
    privateReads: (own?.collections ?? []).filter((c) => c.reads.length > 0).map((c) => c.collection),
  };
}

/**
 * Whether the chaincode's namespace in the response's read/write set touches any private data
 * collection, read from the wire format without decoding or copying it: when it does not, the
 * transaction needs the chaincode's policy alone. True also for bytes that do not parse (the full
 * decode then says why).
 */
export function touchesCollections(prpBytes: Uint8Array, chaincodeName: string): boolean {
  try {
    const results = field(field(prpBytes, 2), 1); // ProposalResponsePayload.extension -> ChaincodeAction.results
    for (const ns of fields(results)) {
      if (ns.field !== 2) continue; // TxReadWriteSet.ns_rwset
      let namespace = '';
      let collections = false;
      for (const f of fields(ns.bytes)) {
        if (f.field === 1) namespace = utf8.decode(f.bytes);
        else if (f.field === 3) collections = true; // NsReadWriteSet.collection_hashed_rwset
      }
      if (collections && namespace === chaincodeName) return true;
    }
    return false;
  } catch (err) {
    if (err instanceof Malformed) return true;
    throw err;
  }
}
