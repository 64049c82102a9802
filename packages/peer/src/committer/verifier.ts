// SPDX-License-Identifier: Apache-2.0
// Orderer signature checks on delivered blocks (protoutil.BlockSignatureVerifier's two forms).
import { X509Certificate } from 'node:crypto';
import type { common } from '@hyperledger/fabric-protos';
import { bftQuorum } from '@metroledger/bft';
import { verifySignature, type Identity } from '@metroledger/identity';
import { blockSignatures, ProtocolError, type BlockSignatureEntry, type ConsenterConfig } from '@metroledger/protocol';
import { committerError } from './errors.js';

/** Decides whether a block carries enough valid orderer signatures. */
export interface BlockVerifier {
  /** @throws PeerError BAD_BLOCK_SIGNATURE (or MALFORMED_BLOCK). */
  verify(block: common.Block): void;
}

export interface MembershipOptions {
  readonly deserializer: { deserialize(serialized: Uint8Array): Identity };
  readonly msps: { isValid(identity: Identity): boolean };
}

function entriesOf(block: common.Block): BlockSignatureEntry[] {
  try {
    return blockSignatures(block);
  } catch (err) {
    if (err instanceof ProtocolError)
      throw committerError('MALFORMED_BLOCK', err.message, { blockNum: block.getHeader()?.getNumber() }, err);
    throw err;
  }
}

/**
 * A single orderer (solo / one-node Raft): at least one valid signature by a valid identity of one of
 * the channel's orderer organizations.
 */
export function soloBlockVerifier(opts: MembershipOptions & { readonly ordererMspIds: readonly string[] }): BlockVerifier {
  const orderers = new Set(opts.ordererMspIds);
  return {
    verify(block) {
      for (const e of entriesOf(block)) {
        if (e.creator === undefined) continue;
        let id: Identity;
        try {
          id = opts.deserializer.deserialize(e.creator);
        } catch {
          continue;
        }
        if (orderers.has(id.mspId) && opts.msps.isValid(id) && verifySignature(id.publicKey, e.message, e.signature)) return;
      }
      throw committerError('BAD_BLOCK_SIGNATURE', `block ${block.getHeader()?.getNumber()} carries no valid orderer signature`, {
        blockNum: block.getHeader()?.getNumber(),
      });
    },
  };
}

/**
 * BFT: valid signatures of a quorum of distinct consenters (bftQuorum(n) = ceil((n+f+1)/2), as
 * Fabric's SmartBFT computes it; 2f+1 when n = 3f+1), each named by its SignatureHeader creator
 * or, in Fabric 3's form, by its consenter id. Any two quorums share a correct consenter, so two
 * different blocks at one height cannot both carry a quorum.
 */
export function quorumBlockVerifier(opts: MembershipOptions & { readonly consenters: readonly ConsenterConfig[] }): BlockVerifier {
  const consenters = opts.consenters.map((c) => {
    const cert = new X509Certificate(c.identityPem);
    return { id: c.id, mspId: c.mspId, publicKey: cert.publicKey, fingerprint: cert.fingerprint256 };
  });
  const n = consenters.length;
  const quorum = bftQuorum(n);
  const byId = new Map(consenters.map((c) => [c.id, c]));
  return {
    verify(block) {
      const signed = new Set<number>();
      for (const e of entriesOf(block)) {
        let c = e.consenterId !== undefined ? byId.get(e.consenterId) : undefined;
        if (e.creator !== undefined) {
          let id: Identity;
          try {
            id = opts.deserializer.deserialize(e.creator);
          } catch {
            continue;
          }
          if (!opts.msps.isValid(id)) continue;
          c = consenters.find((k) => k.mspId === id.mspId && k.fingerprint === id.certificate.fingerprint256);
        }
        if (c === undefined || signed.has(c.id)) continue;
        if (verifySignature(c.publicKey, e.message, e.signature)) signed.add(c.id);
      }
      if (signed.size < quorum) {
        throw committerError(
          'BAD_BLOCK_SIGNATURE',
          `block ${block.getHeader()?.getNumber()} has ${signed.size} valid consenter signatures, needs ${quorum} of ${n}`,
          { blockNum: block.getHeader()?.getNumber(), signed: signed.size, quorum },
        );
      }
    },
  };
}
