// SPDX-License-Identifier: Apache-2.0
// The devnet's endorsing peers as the gateway sees them: each one's installed chaincodes, which
// `deployChaincode` extends while the devnet runs, and the observer that counts its proposals.
// With endorsement threads, proposals for the chaincodes those threads serve (the governed ones
// loaded at start) go there; every other one is endorsed here, on the event loop.
import type { HostedChaincode } from '@metroledger/chaincode-host';
import type { EndorsingPeer } from '@metroledger/gateway';
import type { Endorser } from '@metroledger/peer';
import type { ParsedProposal, ProposalResponseParts } from '@metroledger/protocol';

/** How a proposal ended, in the terms of Fabric's endorser metrics. */
export type ProposalOutcome =
  | 'endorsed' // signed endorsement
  | 'chaincode_error' // the chaincode answered an error (endorser_endorsement_failures{chaincodeerror="true"})
  | 'failed' // not installed, or the simulation failed (endorser_endorsement_failures{chaincodeerror="false"})
  | 'refused'; // the proposal failed the endorser's checks (endorser_proposal_validation_failures)

/** Told of every proposal a peer processes; returns the function told how it ended. */
export type ProposalObserver = (peer: { mspId: string; address: string }, chaincode: string) => (outcome: ProposalOutcome) => void;

/** The same peer in the endorsement threads, and the chaincodes it serves there. */
export interface ThreadedPeer {
  readonly chaincodes: ReadonlySet<string>;
  readonly peer: EndorsingPeer;
}

/** One endorsing peer: its installed chaincodes and the Endorser over them. */
export class DevnetPeer implements EndorsingPeer {
  readonly mspId: string;
  readonly address: string;
  readonly #installed = new Map<string, HostedChaincode>();
  readonly #newEndorser: (chaincodes: readonly HostedChaincode[]) => Endorser;
  #endorser: Endorser;
  readonly #threaded: ThreadedPeer | undefined;
  #observe: ProposalObserver | undefined;

  constructor(o: {
    mspId: string;
    address: string;
    newEndorser: (chaincodes: readonly HostedChaincode[]) => Endorser;
    threaded?: ThreadedPeer;
  }) {
    this.mspId = o.mspId;
    this.address = o.address;
    this.#newEndorser = o.newEndorser;
    this.#threaded = o.threaded;
    this.#endorser = o.newEndorser([]);
  }

  /** The chaincode installed under `name` (for stub.invokeChaincode between chaincodes of this peer). */
  readonly resolve = (name: string): HostedChaincode | undefined => this.#installed.get(name);

  /** Installs chaincodes (one of the same name is replaced); later proposals run them. */
  install(chaincodes: readonly HostedChaincode[]): void {
    for (const cc of chaincodes) this.#installed.set(cc.name, cc);
    this.#endorser = this.#newEndorser([...this.#installed.values()]);
  }

  observe(observer: ProposalObserver | undefined): void {
    this.#observe = observer;
  }

  hasChaincode(name: string): boolean {
    return this.#installed.has(name) || (this.#threaded?.chaincodes.has(name) ?? false);
  }

  #endorse(proposal: ParsedProposal): Promise<ProposalResponseParts> {
    const threaded = this.#threaded;
    if (threaded !== undefined && threaded.chaincodes.has(proposal.chaincodeName)) return threaded.peer.processProposal(proposal);
    return this.#endorser.processProposal(proposal);
  }

  async processProposal(proposal: ParsedProposal): Promise<ProposalResponseParts> {
    const done = this.#observe?.(this, proposal.chaincodeName);
    if (done === undefined) return this.#endorse(proposal);
    let r: ProposalResponseParts;
    try {
      r = await this.#endorse(proposal);
    } catch (err) {
      done('refused');
      throw err;
    }
    done(r.endorsement !== undefined ? 'endorsed' : r.prpBytes.length > 0 ? 'chaincode_error' : 'failed');
    return r;
  }
}
