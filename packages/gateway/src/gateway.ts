// SPDX-License-Identifier: Apache-2.0
// The Fabric Gateway service (gateway.Gateway): Endorse, Submit, CommitStatus, Evaluate,
// ChaincodeEvents, answering as Fabric's gateway does, over in-process peers.
import type { ServerUnaryCall, ServerWritableStream, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import { common, gateway, peer } from '@hyperledger/fabric-protos';
import type { IdentityDeserializer, MspRegistry } from '@metroledger/identity';
import type { Policy } from '@metroledger/policy';
import {
  newTransactionEnvelope,
  parseEnvelope,
  parseProposal,
  requiredPolicies,
  txValidationCodeName,
  type ParsedProposal,
  type ProposalResponseParts,
} from '@metroledger/protocol';
import { Authenticator, envelopeHeader } from './access.js';
import { AdmissionRefused, ConcurrencyLimiter } from './limiter.js';
import { PacedWriter } from './paced.js';
import { chaincodeInterest, touchesCollections, type ChaincodeInterest } from './interest.js';
import { endorsedBy, minimalEndorsingOrgs } from './plan.js';
import { decoderMessage, RejectedRequest } from './requests.js';
import { rpcError, Status, type ErrorDetail } from './rpcerror.js';
import { describeError } from '@metroledger/errors';

/** An endorsing peer as the gateway sees it; @metroledger/peer's Endorser fits. */
export interface EndorsingPeer {
  readonly mspId: string;
  readonly address: string;
  hasChaincode(name: string): boolean;
  /** Resolves with the peer's ProposalResponse; rejects when the peer refuses the proposal. */
  processProposal(proposal: ParsedProposal): Promise<ProposalResponseParts>;
}

/** What the gateway's plan needs to know of private data collections (the devnet's ChannelCollections fits). */
export interface CollectionRules {
  /** A written collection's own endorsement policy (validation's collectionPolicy), or undefined for the chaincode's. */
  collectionPolicy(chaincode: string, collection: string): Policy | undefined;
  isMemberOrg(chaincode: string, collection: string, mspId: string): boolean;
}

/** An endorsement and the peer that gave it. */
interface Endorsed {
  readonly peer: EndorsingPeer;
  readonly response: ProposalResponseParts;
}

/** The ordering service, as the gateway submits to it. */
export interface OrdererPort {
  /** Rejects with an error whose `code` is 'BUSY' | 'SERVICE_UNAVAILABLE' | 'BAD_REQUEST'. */
  broadcast(envelope: Uint8Array): Promise<void>;
}

/** The committer's notification of transaction outcomes. */
export interface CommitPort {
  /**
   * Resolves when `txId` is committed (valid or not), at once if it already is; rejects if `signal`
   * aborts first, or with an error whose `code` is 'HALTED' once the peer can commit nothing more
   * (its ledger failed: answered UNAVAILABLE).
   */
  waitForTransaction(txId: string, signal: AbortSignal): Promise<{ code: number; blockNumber: number }>;
}

/** What the gateway reads from the peers' (validated) ledger. */
export interface LedgerPort {
  readonly height: number;
  getTx(txId: string): Promise<{ readonly blockNum: number; readonly code: number } | undefined>;
  /** Blocks from `from` on, waiting for new ones, until `signal` aborts. */
  iterate(from: number, opts: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
}

export interface GatewayOptions {
  channelId: string;
  /** The gateway's own organization: its peers are preferred. */
  mspId: string;
  peers: readonly EndorsingPeer[];
  /** Endorsement policy per chaincode name. */
  endorsementPolicies: ReadonlyMap<string, Policy>;
  /**
   * The channel's private data collections: without them, endorsements are planned from the
   * chaincode's policy alone.
   */
  collections?: CollectionRules;
  orderer: OrdererPort;
  /** Address and MSP reported in Submit error details. */
  ordererEndpoint?: { address: string; mspId: string };
  commits: CommitPort;
  ledger: LedgerPort;
  msps: MspRegistry;
  deserializer: IdentityDeserializer;
  /**
   * The channel's /Channel/Application/Readers policy as a signature policy: who may read blocks
   * (Deliver), commit statuses and chaincode events. With configtxgen's defaults, a member of any
   * application organization (ImplicitMeta ANY over each organization's OR('<msp>.member')).
   */
  readers: Policy;
  /** Endorse requests simulated at once; the rest wait in order. Default 64. */
  maxConcurrentEndorsements?: number;
  /**
   * Endorse requests that may wait for a slot; one more is refused with RESOURCE_EXHAUSTED, as a
   * Fabric peer refuses calls beyond peer.limits.concurrency.gatewayService (default 500 in all,
   * running and waiting). Default 436 (with the 64 running: 500).
   */
  maxQueuedEndorsements?: number;
}

type RpcError = ReturnType<typeof rpcError>;

function isRpcError(err: unknown): err is RpcError {
  return typeof err === 'object' && err !== null && 'metadata' in err && typeof (err as { code?: unknown }).code === 'number';
}

/** The gateway.Gateway implementation; `handlers()` gives the grpc-js service implementation. */
export class GatewayService {
  readonly #o: GatewayOptions;
  readonly #auth: Authenticator;
  // keyed by chaincode; re-derived when the policy object changes (a governed policy follows the ledger)
  readonly #plans = new Map<string, { policy: Policy | undefined; peers: readonly EndorsingPeer[] | undefined }>();

  readonly #admission: ConcurrencyLimiter;

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.#auth = new Authenticator(options.msps, options.deserializer, options.readers);
    const running = options.maxConcurrentEndorsements ?? 64;
    this.#admission = new ConcurrencyLimiter(running, options.maxQueuedEndorsements ?? Math.max(0, 500 - running));
  }

  handlers(): UntypedServiceImplementation {
    return {
      endorse: unary((req: gateway.EndorseRequest, signal: AbortSignal) => this.endorse(req, signal)),
      submit: unary((req: gateway.SubmitRequest) => this.submit(req)),
      evaluate: unary((req: gateway.EvaluateRequest) => this.evaluate(req)),
      commitStatus: (
        call: ServerUnaryCall<gateway.SignedCommitStatusRequest | RejectedRequest, gateway.CommitStatusResponse>,
        callback: sendUnaryData<gateway.CommitStatusResponse>,
      ) => {
        const request = call.request;
        if (request instanceof RejectedRequest) return callback(rpcError(request.code, request.message));
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        this.commitStatus(request, abort.signal).then(
          (r) => callback(null, r),
          (err: unknown) => callback(toServiceError(err)),
        );
      },
      chaincodeEvents: (
        call: ServerWritableStream<gateway.SignedChaincodeEventsRequest | RejectedRequest, gateway.ChaincodeEventsResponse>,
      ) => {
        const request = call.request;
        if (request instanceof RejectedRequest) {
          call.emit('error', rpcError(request.code, request.message));
          return;
        }
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        call.on('error', () => abort.abort());
        const writer = new PacedWriter<gateway.ChaincodeEventsResponse>(call, abort.signal);
        this.chaincodeEvents(request, (r) => writer.write(r), abort.signal).then(
          () => {
            if (!abort.signal.aborted) call.end();
          },
          (err: unknown) => {
            if (!abort.signal.aborted) call.emit('error', toServiceError(err));
          },
        );
      },
    };
  }

  /** `signal`: the caller went away (cancelled, deadline passed); a request still waiting for a slot is then dropped. */
  async endorse(request: gateway.EndorseRequest, signal?: AbortSignal): Promise<gateway.EndorseResponse> {
    try {
      return await this.#admission.run(() => this.#endorse(request), signal);
    } catch (err) {
      if (!(err instanceof AdmissionRefused)) throw err;
      // Fabric's throttle answers with this status and wording (core/peer: "too many requests for ...").
      if (err.reason === 'FULL')
        throw rpcError(
          Status.RESOURCE_EXHAUSTED,
          `too many requests for /gateway.Gateway/Endorse, exceeding concurrency limit: ${err.message}`,
        );
      if (signal?.reason === CALLER_DEADLINE)
        throw rpcError(Status.DEADLINE_EXCEEDED, 'the request reached its deadline waiting for an endorsement slot');
      throw rpcError(Status.CANCELLED, err.message);
    }
  }

  async #endorse(request: gateway.EndorseRequest): Promise<gateway.EndorseResponse> {
    const p = this.#parse(request.getProposedTransaction(), 'the proposed transaction must contain a signed proposal');
    const orgs = request.getEndorsingOrganizationsList();
    // The client that names the endorsers takes responsibility for the policies, as on Fabric.
    if (orgs.length > 0) return prepared(p, await this.#collect(p, this.#peersForOrgs(p.chaincodeName, orgs)));

    const endorsed = await this.#collect(p, this.#plan(p.chaincodeName));
    const plan = this.#planForInterest(p, endorsed);
    if (plan === undefined) return prepared(p, endorsed);
    // The simulation needs more than the chaincode's policy (a collection's own): endorse on the
    // rest of that plan; the envelope carries the plan's endorsements, as Fabric's completed layout.
    const more = plan.filter((e) => !endorsed.some((d) => d.peer.mspId === e.mspId));
    const added = await this.#collect(p, more, endorsed[0]!.response);
    const all = [...endorsed, ...added];
    return prepared(
      p,
      plan.map((e) => all.find((d) => d.peer.mspId === e.mspId)!),
    );
  }

  /**
   * Endorses on `peers` in parallel. Fabric's gateway endorses on its first peer, then on the rest of
   * the plan; the answer here is Fabric's: if the first peer fails, its failure alone (the others
   * would have told the same story); otherwise each of the rest that failed or disagreed. With a
   * `reference` (the plan's first response), every peer is one of the rest.
   */
  async #collect(p: ParsedProposal, peers: readonly EndorsingPeer[], reference?: ProposalResponseParts): Promise<Endorsed[]> {
    const outcomes = await Promise.all(peers.map((e) => this.#endorseOn(e, p)));
    const detail = (i: number, message: string): ErrorDetail => ({ address: peers[i]!.address, mspId: peers[i]!.mspId, message });
    const first = outcomes[0];
    if (reference === undefined && typeof first === 'string')
      throw rpcError(Status.ABORTED, 'failed to endorse transaction, see attached details for more info', [detail(0, first)]);
    const details: ErrorDetail[] = [];
    const good: Endorsed[] = [];
    outcomes.forEach((o, i) => {
      const agreed = reference ?? good[0]?.response;
      if (typeof o === 'string') details.push(detail(i, o));
      else if (agreed !== undefined && Buffer.compare(agreed.prpBytes, o.prpBytes) !== 0)
        details.push(detail(i, 'ProposalResponsePayloads do not match'));
      else good.push({ peer: peers[i]!, response: o });
    });
    if (details.length > 0)
      throw rpcError(Status.ABORTED, 'failed to collect enough transaction endorsements, see attached details for more info', details);
    return good;
  }

  /**
   * Fabric's plan from the first endorsement's chaincode interest: undefined when the endorsements
   * at hand already satisfy every policy the simulated transaction needs (validation's
   * requiredPolicies: a written collection's own policy instead of the chaincode's, the chaincode's
   * too for public writes or collections without one); otherwise the peers of a smallest set of
   * organizations that does, reusing those that endorsed. The organizations added are members of
   * each collection read (preferably: see below) and, when the proposal carries transient data, of
   * each collection written, as Fabric's discovery filters them. A transaction that touches no
   * collection needs the chaincode's policy alone, which the chaincode's plan satisfies: its
   * read/write set is then only scanned, not decoded.
   */
  #planForInterest(p: ParsedProposal, endorsed: readonly Endorsed[]): EndorsingPeer[] | undefined {
    const collections = this.#o.collections;
    const first = endorsed[0]!.response;
    if (collections === undefined || !touchesCollections(first.prpBytes, p.chaincodeName)) return undefined;
    let interest: ChaincodeInterest;
    try {
      interest = chaincodeInterest(first.prpBytes, p.chaincodeName);
    } catch (err) {
      throw rpcError(Status.ABORTED, `failed to read the endorsed read/write set: ${describeError(err)}`);
    }
    if (interest.writes.collections.length === 0) return undefined;
    const required = requiredPolicies(
      { chaincodeName: p.chaincodeName, writes: interest.writes },
      {
        endorsementPolicy: (cc) => this.#o.endorsementPolicies.get(cc),
        collectionPolicy: (cc, collection) => collections.collectionPolicy(cc, collection),
      },
    );
    const endorsedOrgs = endorsed.map((d) => d.peer.mspId);
    if (required === undefined || endorsedBy(required, endorsedOrgs)) return undefined;
    const byOrg = this.#byOrg(p.chaincodeName);
    const others = [...byOrg.keys()].filter((org) => !endorsedOrgs.includes(org));
    // Private values in the proposal's transient map go to member organizations only of every
    // collection the transaction writes (Fabric's gateway: "protect transient data").
    const protectedCollections = p.transient.size > 0 ? interest.writes.collections.filter((c) => !interest.privateReads.includes(c)) : [];
    const guarded = [...interest.privateReads, ...protectedCollections];
    const members = others.filter((org) => guarded.every((c) => collections.isMemberOrg(p.chaincodeName, c, org)));
    let orgs = minimalEndorsingOrgs(required, [...endorsedOrgs, ...members]);
    if (orgs === undefined && members.length < others.length) {
      const anyOrgs = minimalEndorsingOrgs(required, [...endorsedOrgs, ...others]);
      if (p.transient.size === 0) {
        // A read of a value's hash needs no membership, and the read/write set does not tell it
        // from a read of the value: without a plan among members, any organization may try (a
        // non-member asked for a value then refuses, with its reason in the error details).
        orgs = anyOrgs;
      } else if (anyOrgs !== undefined && protectedCollections.length > 0) {
        throw rpcError(
          Status.FAILED_PRECONDITION,
          `requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [${protectedCollections.join(' ')}]; retry specifying trusted endorsing organizations to protect transient data`,
        );
      }
    }
    if (orgs === undefined) {
      throw rpcError(
        Status.FAILED_PRECONDITION,
        `no combination of peers can be derived which satisfy the endorsement policies of chaincode ${p.chaincodeName} and of its collection(s) ${interest.writes.collections.join(', ')} in channel ${this.#o.channelId}`,
      );
    }
    return orgs.map((o) => endorsed.find((d) => d.peer.mspId === o)?.peer ?? byOrg.get(o)!);
  }

  async evaluate(request: gateway.EvaluateRequest): Promise<gateway.EvaluateResponse> {
    const p = this.#parse(
      request.getProposedTransaction(),
      'failed to unpack transaction proposal: a signed proposal is required',
      'failed to unpack transaction proposal: ',
    );
    const targets = request.getTargetOrganizationsList();
    const candidates = this.#o.peers.filter((e) => e.hasChaincode(p.chaincodeName) && (targets.length === 0 || targets.includes(e.mspId)));
    if (candidates.length === 0) {
      throw rpcError(Status.FAILED_PRECONDITION, `no peers available to evaluate chaincode ${p.chaincodeName} in channel ${p.channelId}`);
    }
    candidates.sort((a, b) => Number(b.mspId === this.#o.mspId) - Number(a.mspId === this.#o.mspId));
    const details: ErrorDetail[] = [];
    for (const e of candidates) {
      let r: ProposalResponseParts;
      try {
        r = await e.processProposal(p);
      } catch (err) {
        const message = (err as Error).message;
        throw rpcError(Status.FAILED_PRECONDITION, `evaluate call to endorser returned error: ${message}`, [
          ...details,
          { address: e.address, mspId: e.mspId, message },
        ]);
      }
      if (r.status >= 200 && r.status < 400) {
        const result = new peer.Response();
        result.setStatus(r.status);
        result.setMessage(r.message);
        result.setPayload(r.payload);
        const response = new gateway.EvaluateResponse();
        response.setResult(result);
        return response;
      }
      if (r.prpBytes.length > 0 || r.status !== 500) {
        // an error from the chaincode itself: retrying elsewhere would give the same answer
        const message = `chaincode response ${r.status}, ${r.message}`;
        throw rpcError(Status.UNKNOWN, `evaluate call to endorser returned error: ${message}`, [
          ...details,
          { address: e.address, mspId: e.mspId, message },
        ]);
      }
      details.push({ address: e.address, mspId: e.mspId, message: r.message });
    }
    throw rpcError(Status.ABORTED, 'failed to evaluate transaction, see attached details for more info', details);
  }

  async submit(request: gateway.SubmitRequest): Promise<gateway.SubmitResponse> {
    const envelope = request.getPreparedTransaction();
    if (envelope === undefined) throw rpcError(Status.INVALID_ARGUMENT, 'a prepared transaction is required');
    if (envelope.getSignature_asU8().length === 0) throw rpcError(Status.INVALID_ARGUMENT, 'prepared transaction must be signed');
    if (request.getChannelId() !== this.#o.channelId)
      throw rpcError(Status.FAILED_PRECONDITION, `channel '${request.getChannelId()}' not found`);
    const header = envelopeHeader(envelope);
    if (header === undefined || header.channelId !== this.#o.channelId)
      throw rpcError(Status.INVALID_ARGUMENT, 'prepared transaction does not parse as an envelope for this channel');

    const orderer = this.#o.ordererEndpoint ?? { address: 'orderer', mspId: 'OrdererMSP' };
    // The creator's signature and channel membership are checked once, by the orderer's broadcast
    // handler (a refusal comes back as BAD_REQUEST below), as in Fabric.
    // A replayed envelope would be ordered and then marked DUPLICATE_TXID; refusing it early is clearer.
    const committed = header.txId === '' ? undefined : await this.#o.ledger.getTx(header.txId);
    if (committed !== undefined) {
      throw rpcError(
        Status.ALREADY_EXISTS,
        `transaction ${header.txId} was already committed in block ${committed.blockNum} with status ${txValidationCodeName(committed.code)}`,
      );
    }
    try {
      await this.#o.orderer.broadcast(envelope.serializeBinary());
    } catch (err) {
      const info = describeError(err);
      if ((err as { code?: unknown }).code === 'BAD_REQUEST') {
        throw rpcError(Status.ABORTED, `received unsuccessful response from orderer: status=BAD_REQUEST, info=${info}`, [
          { ...orderer, message: info },
        ]);
      }
      const message = `received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=${info}`;
      throw rpcError(Status.UNAVAILABLE, 'no orderers could successfully process transaction', [{ ...orderer, message }]);
    }
    return new gateway.SubmitResponse();
  }

  async commitStatus(signed: gateway.SignedCommitStatusRequest, signal: AbortSignal): Promise<gateway.CommitStatusResponse> {
    const requestBytes = signed.getRequest_asU8();
    if (requestBytes.length === 0) throw rpcError(Status.INVALID_ARGUMENT, 'a commit status request is required');
    let request: gateway.CommitStatusRequest;
    try {
      request = gateway.CommitStatusRequest.deserializeBinary(requestBytes);
    } catch (err) {
      throw rpcError(Status.INVALID_ARGUMENT, `invalid status request: ${decoderMessage(err)}`);
    }
    if (request.getTransactionId() === '') throw rpcError(Status.INVALID_ARGUMENT, 'transaction ID should not be empty');
    const signer = this.#auth.checkReader('gateway/CommitStatus', request.getIdentity_asU8(), requestBytes, signed.getSignature_asU8());
    if (typeof signer === 'string') throw rpcError(Status.PERMISSION_DENIED, signer);
    if (request.getChannelId() !== this.#o.channelId)
      throw rpcError(Status.FAILED_PRECONDITION, `channel '${request.getChannelId()}' not found`);

    try {
      // the committer answers at once for a transaction already in the ledger
      const status = await this.#o.commits.waitForTransaction(request.getTransactionId(), signal);
      const response = new gateway.CommitStatusResponse();
      response.setResult(status.code as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap]);
      response.setBlockNumber(status.blockNumber);
      return response;
    } catch (err) {
      if (signal.aborted) throw rpcError(Status.CANCELLED, 'commit status request cancelled');
      if ((err as { code?: unknown }).code === 'HALTED') throw rpcError(Status.UNAVAILABLE, describeError(err));
      throw isRpcError(err) ? err : rpcError(Status.ABORTED, describeError(err));
    }
  }

  /** Streams the chaincode's events block by block; `send` resolves false when the call has ended. */
  async chaincodeEvents(
    signed: gateway.SignedChaincodeEventsRequest,
    send: (r: gateway.ChaincodeEventsResponse) => Promise<boolean>,
    signal: AbortSignal,
  ): Promise<void> {
    const requestBytes = signed.getRequest_asU8();
    if (requestBytes.length === 0) throw rpcError(Status.INVALID_ARGUMENT, 'a chaincode events request is required');
    let request: gateway.ChaincodeEventsRequest;
    try {
      request = gateway.ChaincodeEventsRequest.deserializeBinary(requestBytes);
    } catch (err) {
      throw rpcError(Status.INVALID_ARGUMENT, `invalid chaincode events request: ${decoderMessage(err)}`);
    }
    const signer = this.#auth.checkReader('gateway/ChaincodeEvents', request.getIdentity_asU8(), requestBytes, signed.getSignature_asU8());
    if (typeof signer === 'string') throw rpcError(Status.PERMISSION_DENIED, signer);
    if (request.getChannelId() !== this.#o.channelId) throw rpcError(Status.NOT_FOUND, `channel '${request.getChannelId()}' not found`);

    const chaincodeId = request.getChaincodeId();
    const after = request.getAfterTransactionId();
    let start: number | undefined;
    if (after !== '') start = (await this.#o.ledger.getTx(after))?.blockNum;
    start ??= startBlock(request.getStartPosition(), this.#o.ledger.height);
    let passedAfter = after === '';
    for await (const blockBytes of this.#o.ledger.iterate(start, { signal })) {
      const block = common.Block.deserializeBinary(blockBytes);
      const number = block.getHeader()?.getNumber() ?? 0;
      const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
      const events: peer.ChaincodeEvent[] = [];
      block
        .getData()
        ?.getDataList_asU8()
        .forEach((envelope, i) => {
          if (filter === undefined || filter[i] !== peer.TxValidationCode.VALID) return;
          const tx = tryParseEnvelope(envelope);
          if (tx === undefined) return;
          if (!passedAfter) {
            passedAfter = tx.txId === after;
            return;
          }
          const ev = tx.event;
          if (ev === undefined || ev.chaincodeId !== chaincodeId) return;
          const out = new peer.ChaincodeEvent();
          out.setChaincodeId(ev.chaincodeId);
          out.setTxId(ev.txId);
          out.setEventName(ev.eventName);
          out.setPayload(ev.payload);
          events.push(out);
        });
      if (events.length === 0) continue;
      const response = new gateway.ChaincodeEventsResponse();
      response.setEventsList(events);
      response.setBlockNumber(number);
      if (!(await send(response))) return;
    }
  }

  #parse(signed: peer.SignedProposal | undefined, missing: string, prefix = ''): ParsedProposal {
    const bytes = signed?.getProposalBytes_asU8();
    if (signed === undefined || bytes === undefined || bytes.length === 0) throw rpcError(Status.INVALID_ARGUMENT, missing);
    let p: ParsedProposal;
    try {
      p = parseProposal(bytes, signed.getSignature_asU8());
    } catch (err) {
      throw rpcError(Status.INVALID_ARGUMENT, prefix + describeError(err));
    }
    if (p.channelId !== this.#o.channelId) throw rpcError(Status.FAILED_PRECONDITION, `channel '${p.channelId}' not found`);
    return p;
  }

  /** One peer per organization of a minimal set satisfying the chaincode's endorsement policy. */
  #plan(chaincode: string): readonly EndorsingPeer[] {
    const policy = this.#o.endorsementPolicies.get(chaincode);
    let cached = this.#plans.get(chaincode);
    if (cached === undefined || cached.policy !== policy) {
      const byOrg = this.#byOrg(chaincode);
      const orgs = policy === undefined ? undefined : minimalEndorsingOrgs(policy, [...byOrg.keys()]);
      this.#plans.set(chaincode, (cached = { policy, peers: orgs?.map((o) => byOrg.get(o)!) }));
    }
    const plan = cached.peers;
    if (plan === undefined) {
      throw rpcError(
        Status.FAILED_PRECONDITION,
        `no combination of peers can be derived which satisfy the endorsement policy of chaincode ${chaincode} in channel ${this.#o.channelId}`,
      );
    }
    return plan;
  }

  #peersForOrgs(chaincode: string, orgs: readonly string[]): EndorsingPeer[] {
    const byOrg = this.#byOrg(chaincode);
    const missing = orgs.filter((o) => !byOrg.has(o));
    if (missing.length > 0) throw rpcError(Status.UNAVAILABLE, `failed to find any endorsing peers for org(s): ${missing.join(', ')}`);
    return [...new Set(orgs)].map((o) => byOrg.get(o)!);
  }

  /** The first peer of each organization that has the chaincode installed, the gateway's own organization first. */
  #byOrg(chaincode: string): Map<string, EndorsingPeer> {
    const byOrg = new Map<string, EndorsingPeer>();
    const ordered = [...this.#o.peers].sort((a, b) => Number(b.mspId === this.#o.mspId) - Number(a.mspId === this.#o.mspId));
    for (const e of ordered) if (e.hasChaincode(chaincode) && !byOrg.has(e.mspId)) byOrg.set(e.mspId, e);
    return byOrg;
  }

  /** The peer's response, or the error detail message Fabric's gateway would report. */
  async #endorseOn(e: EndorsingPeer, p: ParsedProposal): Promise<ProposalResponseParts | string> {
    let r: ProposalResponseParts;
    try {
      r = await e.processProposal(p);
    } catch (err) {
      return (err as Error).message;
    }
    if (r.status >= 200 && r.status < 400 && r.endorsement !== undefined) return r;
    if (r.prpBytes.length === 0 && r.status === 500) return r.message;
    return `chaincode response ${r.status}, ${r.message}`;
  }
}

/** The EndorseResponse: the transaction envelope the client signs, carrying `endorsed`. */
function prepared(p: ParsedProposal, endorsed: readonly Endorsed[]): gateway.EndorseResponse {
  let envelopeBytes: Uint8Array;
  try {
    envelopeBytes = newTransactionEnvelope(
      p,
      endorsed.map((d) => d.response),
    );
  } catch (err) {
    throw rpcError(Status.ABORTED, `failed to assemble transaction: ${(err as Error).message}`);
  }
  const response = new gateway.EndorseResponse();
  response.setPreparedTransaction(common.Envelope.deserializeBinary(envelopeBytes));
  return response;
}

function startBlock(position: ReturnType<gateway.ChaincodeEventsRequest['getStartPosition']>, height: number): number {
  if (position?.hasSpecified()) return position.getSpecified()!.getNumber();
  return height; // next commit (also the default)
}

function tryParseEnvelope(bytes: Uint8Array): ReturnType<typeof parseEnvelope> | undefined {
  try {
    return parseEnvelope(bytes);
  } catch {
    return undefined;
  }
}

function unary<Req, Res>(fn: (req: Req, signal: AbortSignal) => Promise<Res>) {
  return (call: ServerUnaryCall<Req | RejectedRequest, Res>, callback: sendUnaryData<Res>): void => {
    const request = call.request;
    if (request instanceof RejectedRequest) return callback(rpcError(request.code, request.message));
    const caller = callerGone(call);
    fn(request, caller.signal).then(
      (r) => {
        caller.settled();
        callback(null, r);
      },
      (err: unknown) => {
        caller.settled();
        callback(toServiceError(err));
      },
    );
  };
}

/**
 * A request still waiting this close to its caller's deadline is dropped: its answer could not
 * travel back in time (and the caller's own timer then fires after the gateway's, not before).
 */
const DEADLINE_GUARD_MS = 50;
/** The abort reason when the caller's deadline, not the caller, ended a request. */
const CALLER_DEADLINE = 'deadline';

/**
 * A signal that aborts when the caller cancels or its deadline is near (grpc-js answers
 * DEADLINE_EXCEEDED by itself at the deadline, without telling the handler, so the deadline gets
 * its own timer), and `settled` to call when the handler is done.
 */
function callerGone(call: ServerUnaryCall<unknown, unknown>): { signal: AbortSignal; settled: () => void } {
  const abort = new AbortController();
  const onCancel = (): void => abort.abort('cancelled');
  call.once('cancelled', onCancel);
  const deadline = call.getDeadline();
  const ms = (deadline instanceof Date ? deadline.getTime() : Number(deadline)) - Date.now();
  const timer = Number.isFinite(ms) ? setTimeout(() => abort.abort(CALLER_DEADLINE), Math.max(0, ms - DEADLINE_GUARD_MS)) : undefined;
  timer?.unref();
  return {
    signal: abort.signal,
    settled: () => {
      clearTimeout(timer);
      call.off('cancelled', onCancel);
    },
  };
}

export function toServiceError(err: unknown): RpcError {
  if (isRpcError(err)) return err;
  return rpcError(Status.INTERNAL, (err as Error)?.message ?? String(err));
}
