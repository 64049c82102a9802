// SPDX-License-Identifier: Apache-2.0
import type { KeyObject } from 'node:crypto';
import type { HostedChaincode } from '@metroledger/chaincode-host';
import { IdentityDeserializer, verifySignature, type Identity, type MspRegistry, type SigningIdentity } from '@metroledger/identity';
import {
  newEndorsement,
  newProposalResponsePayload,
  parseSignedProposal,
  type ParsedProposal,
  type ProposalResponseParts,
  type StateReader,
} from '@metroledger/protocol';
import type { EndorserPrivateData } from '../privatedata/types.js';
import { PeerError } from './errors.js';

/** What an endorser reads from its ledger: the world state and the transaction index. */
export interface EndorserLedger {
  readonly state: StateReader;
  getTx(txId: string): Promise<unknown>;
}

export interface EndorserOptions {
  /** The peer's signing identity (its enrollment certificate and key). */
  identity: SigningIdentity;
  /** The peer's address, reported in gateway error details (e.g. 'peer0.lasige.example.com:7051'). */
  address: string;
  channelId: string;
  /** The channel's MSPs: proposals from identities outside them are refused. */
  msps: MspRegistry;
  ledger: EndorserLedger;
  /** Chaincodes installed on this peer. */
  chaincodes: readonly HostedChaincode[];
  /** Shared cache of parsed identities (default: one per endorser). */
  deserializer?: IdentityDeserializer;
  /**
   * Checks the creator's signature over the proposal; default: @metroledger/identity's
   * verifySignature on this thread. A SignatureVerifierPool's `verify` gives the same answers off it.
   */
  verify?: (publicKey: KeyObject, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;
  /** Fault injection (tests): the state each proposal is simulated against, e.g. a {@link LaggingState}'s; default the ledger's. */
  simulationState?: () => StateReader;
  /** Wall clock (ms): a proposal's creator certificate must be valid at its reading (Fabric's ExpirationCheck). Default Date.now. */
  clock?: () => number;
  /** Private data collections; without it, a chaincode's private data calls fail the simulation. */
  privateData?: EndorserPrivateData;
}

/** What the caller knows of one proposal's context (an endorser in another thread than its ledger). */
export interface ProposalContext {
  /** The state to simulate against; default the `simulationState` hook's, or the ledger's. */
  readonly state?: StateReader;
  /** Whether the tx id is already on the ledger, looked up by the caller just before; default: ask the ledger. */
  readonly txCommitted?: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * One peer's endorser: checks a proposal as Fabric's endorser does (structure, tx ID, creator in
 * a channel MSP, creator's signature, not already committed), simulates it with the chaincode
 * installed on this peer against the ledger's state, and signs the result.
 *
 * Outcomes, as Fabric's ProcessProposal:
 * - a check fails: throws {@link PeerError} (Fabric returns an error alongside a 500 response);
 * - the chaincode is not installed or the simulation crashed: status 500 with a message, no payload;
 * - the chaincode answered status ≥ 400: that response with the (unsigned) payload, no endorsement;
 * - otherwise: the signed endorsement.
 */
export class Endorser {
  readonly mspId: string;
  readonly address: string;
  readonly channelId: string;
  readonly #identity: SigningIdentity;
  readonly #msps: MspRegistry;
  readonly #ledger: EndorserLedger;
  readonly #chaincodes: ReadonlyMap<string, HostedChaincode>;
  readonly #deserializer: IdentityDeserializer;
  readonly #verify: NonNullable<EndorserOptions['verify']>;
  readonly #simulationState: (() => StateReader) | undefined;
  readonly #clock: () => number;
  readonly #privateData: EndorserPrivateData | undefined;
  readonly #invokeOptions: { readonly privateData: EndorserPrivateData['access'] } | undefined;

  constructor(opts: EndorserOptions) {
    this.mspId = opts.identity.mspId;
    this.address = opts.address;
    this.channelId = opts.channelId;
    this.#identity = opts.identity;
    this.#msps = opts.msps;
    this.#ledger = opts.ledger;
    this.#chaincodes = new Map(opts.chaincodes.map((cc) => [cc.name, cc]));
    this.#deserializer = opts.deserializer ?? new IdentityDeserializer();
    this.#verify = opts.verify ?? verifySignature;
    this.#simulationState = opts.simulationState;
    this.#clock = opts.clock ?? Date.now;
    this.#privateData = opts.privateData;
    this.#invokeOptions = opts.privateData === undefined ? undefined : { privateData: opts.privateData.access };
  }

  /** Whether `name` is installed on this peer. */
  hasChaincode(name: string): boolean {
    return this.#chaincodes.has(name);
  }

  /** Installed chaincode names. */
  get chaincodeNames(): string[] {
    return [...this.#chaincodes.keys()];
  }

  /**
   * Processes a SignedProposal (bytes, or already parsed by {@link parseSignedProposal}).
   * @throws {@link PeerError} MALFORMED_PROPOSAL | CHANNEL_NOT_FOUND | ACCESS_DENIED | DUPLICATE_TXID
   */
  async processProposal(signedProposal: Uint8Array | ParsedProposal, context: ProposalContext = {}): Promise<ProposalResponseParts> {
    const p = signedProposal instanceof Uint8Array ? parse(signedProposal) : signedProposal;
    const creator = await this.#checkCreator(p);
    const committed = context.txCommitted ?? (await this.#ledger.getTx(p.txId)) !== undefined;
    if (committed) {
      throw new PeerError(
        'DUPLICATE_TXID',
        `duplicate transaction found [${p.txId}]. Creator [${Buffer.from(p.creator).toString('hex')}]`,
        { txId: p.txId },
      );
    }

    const chaincode = this.#chaincodes.get(p.chaincodeName);
    if (chaincode === undefined) {
      return failed(
        500,
        `make sure the chaincode ${p.chaincodeName} has been successfully defined on channel ${p.channelId} and try again: chaincode ${p.chaincodeName} is not installed on ${this.address}`,
      );
    }
    let result;
    try {
      result = await chaincode.invoke(
        {
          channelId: p.channelId,
          txId: p.txId,
          args: p.args,
          transient: p.transient,
          creator: { mspId: creator.mspId, idBytes: certBytes(creator) },
          timestamp: p.timestamp,
        },
        context.state ?? this.#simulationState?.() ?? this.#ledger.state,
        this.#invokeOptions,
      );
    } catch (err) {
      return failed(500, `error in simulation: ${(err as Error).message}`);
    }
    const id = { name: chaincode.name, version: chaincode.version };
    if (result.response.status >= 400) {
      // Fabric answers a chaincode error with the unsigned payload and no endorsement
      const { status, message, payload } = result.response;
      return { status, message, payload, prpBytes: newProposalResponsePayload(p, result, id) };
    }
    if (result.privateData !== undefined) {
      // The values go to the collections' peers, never into the response: it carries their hashes.
      try {
        await this.#privateData!.distribute(p.txId, result.privateData);
      } catch (err) {
        return failed(500, `error in simulation: failed to distribute private collection, txID ${p.txId}: ${(err as Error).message}`);
      }
    }
    return newEndorsement(p, result, id, this.#identity);
  }

  async #checkCreator(p: ParsedProposal): Promise<Identity> {
    if (p.channelId !== this.channelId) {
      throw new PeerError('CHANNEL_NOT_FOUND', `channel '${p.channelId}' not found`, { channelId: p.channelId });
    }
    let creator: Identity;
    try {
      creator = this.#deserializer.deserialize(p.creator);
    } catch (err) {
      throw new PeerError('ACCESS_DENIED', `access denied: channel [${p.channelId}] creator org unknown, creator is malformed`, undefined, {
        cause: err,
      });
    }
    const denied = (why: string): PeerError =>
      new PeerError('ACCESS_DENIED', `access denied: channel [${p.channelId}] creator org [${creator.mspId}]`, {
        mspId: creator.mspId,
        reason: why,
      });
    // Expiry is checked here, at proposal time, never at commit (validation must not depend on when it runs).
    const now = this.#clock();
    if (!this.#msps.isValidAt(creator, now)) {
      let why = 'identity is not valid';
      try {
        this.#msps.validateAt(creator, now);
      } catch (err) {
        why = (err as Error).message;
      }
      throw denied(why);
    }
    if (!(await this.#verify(creator.publicKey, p.proposalBytes, p.signature)))
      throw denied("creator's signature over the proposal is not valid");
    return creator;
  }
}

function parse(bytes: Uint8Array): ParsedProposal {
  try {
    return parseSignedProposal(bytes);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new PeerError('MALFORMED_PROPOSAL', e.message ?? String(err), { code: e.code }, { cause: err });
  }
}

const certBytesCache = new WeakMap<Identity, Uint8Array>();

function certBytes(id: Identity): Uint8Array {
  let b = certBytesCache.get(id);
  if (b === undefined) certBytesCache.set(id, (b = Buffer.from(id.certPem)));
  return b;
}

function failed(status: number, message: string): ProposalResponseParts {
  return { status, message, payload: EMPTY, prpBytes: EMPTY };
}
