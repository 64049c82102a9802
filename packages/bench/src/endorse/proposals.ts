// SPDX-License-Identifier: Apache-2.0
// SignedProposals for the endorsing peer under test, made as the meter owner's application makes
// them: @hyperledger/fabric-gateway's own proposal builder, signed offline with the owner's key
// (no gateway is contacted). Made before the timed window, so the bench measures the peer alone.
import * as grpc from '@grpc/grpc-js';
import { connect, signers, type Contract } from '@hyperledger/fabric-gateway';
import { gateway as gatewayProtos } from '@hyperledger/fabric-protos';
import type { SigningIdentity } from '@metroledger/identity';

export class ProposalMaker {
  readonly #client: grpc.Client;
  readonly #contract: Contract;
  readonly #sign: (digest: Uint8Array) => Promise<Uint8Array>;
  readonly #gateway: ReturnType<typeof connect>;

  constructor(owner: SigningIdentity, opts: { channelId: string; chaincodeName: string }) {
    // never dialled: offline signing only builds messages
    this.#client = new grpc.Client('127.0.0.1:9', grpc.credentials.createInsecure());
    this.#gateway = connect({ client: this.#client, identity: { mspId: owner.mspId, credentials: Buffer.from(owner.certPem) } });
    this.#contract = this.#gateway.getNetwork(opts.channelId).getContract(opts.chaincodeName);
    this.#sign = signers.newPrivateKeySigner(owner.privateKey);
  }

  /** A peer.SignedProposal of `fn(args…)` (bytes as the Gateway's Endorse carries them). */
  async signedProposal(fn: string, args: readonly string[]): Promise<Uint8Array> {
    const unsigned = this.#contract.newProposal(fn, { arguments: [...args] });
    const signed = this.#gateway.newSignedProposal(unsigned.getBytes(), await this.#sign(unsigned.getDigest()));
    const proposal = gatewayProtos.ProposedTransaction.deserializeBinary(signed.getBytes()).getProposal();
    if (proposal === undefined) throw new Error('fabric-gateway built a proposal without a SignedProposal');
    return proposal.serializeBinary();
  }

  close(): void {
    this.#gateway.close();
    this.#client.close();
  }
}
