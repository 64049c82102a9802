// SPDX-License-Identifier: Apache-2.0
// One submission, endorse → submit → commit, retried until it commits once or fails for a reason
// the caller can report. On real Fabric an attempt fails for reasons the next one does not meet:
// endorsers at different heights disagree, reads go stale before commit (MVCC), the orderer or a
// peer is overloaded or briefly gone, or an answer is lost although the transaction was ordered.
//
// Exactly once: a transaction is resubmitted as the same signed envelope (one transaction id, which
// Fabric commits at most once); when its fate stays unknown, a new one is endorsed. That is safe only
// for requests the chaincode itself refuses to apply twice, as the LR chaincode refuses a meter's
// sequence it has seen (REPLAYED_SEQUENCE); the caller's `settleReplay` then asks the ledger whether
// this very request is what committed, and the submission succeeds with that record.
import * as grpc from '@grpc/grpc-js';
import { StatusCode, type Contract, type Gateway, type Status } from '@hyperledger/fabric-gateway';
import { gateway as gatewayProtos, msp } from '@hyperledger/fabric-protos';
import type { CommitListener, ObservedCommit } from './commits';
import { ClientError } from './errors';
import { grpcStatusOf, verdictOf } from './failures';
import { RetryGiveUp, withRetry, type RetryCause, type RetryOptions, type RetryPolicy, type Verdict } from './retry';
import type { Clock } from './clock';

/** A committed transaction: its id, block and the chaincode's result. */
export interface Committed {
  readonly transactionId: string;
  /** The block it committed in; -1 when it was settled from the ledger and committed by another submission. */
  readonly blockNumber: bigint;
  readonly result: Uint8Array;
  /** The request was found committed on the ledger (an earlier attempt's answer was lost), not committed by this attempt. */
  readonly alreadyCommitted?: boolean;
}

export interface ClientStats {
  /** submit() calls. */
  submitted: number;
  /** Retries of any kind (re-endorsements, resubmissions, status queries). */
  retries: number;
  /** Retries by cause, e.g. `ENDORSEMENT_MISMATCH`, `MVCC_READ_CONFLICT`, `UNAVAILABLE`. */
  readonly retriesByCause: Record<string, number>;
  /** Submissions settled from the ledger: refused as replays, found committed with the same content. */
  alreadyCommitted: number;
}

export function newClientStats(): ClientStats {
  return { submitted: 0, retries: 0, retriesByCause: {}, alreadyCommitted: 0 };
}

/**
 * Settles a replay refusal (the chaincode saw this request's sequence already) from the ledger:
 * resolves with what committed when it is this very request, throws otherwise — a final
 * ClientError when the ledger holds something else, COMMIT_UNKNOWN (LAGGING_PEER) while the ledger
 * the query reached does not show it yet. `ours` are the transaction ids this submission sent;
 * `statusOf` gives their commit status.
 */
export type ReplaySettler = (
  refusal: ClientError,
  context: { readonly ours: ReadonlySet<string>; statusOf(txId: string): Promise<Status> },
) => Promise<Committed>;

export interface SubmitterOptions {
  readonly gateway: Gateway;
  readonly channel: string;
  readonly mspId: string;
  readonly certificatePem: Uint8Array;
  readonly policy: RetryPolicy;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly commits?: CommitListener;
  readonly stats: ClientStats;
  /** Converts fabric-gateway's errors into ClientErrors (the client's one converter). */
  readonly toError: (err: unknown, fn: string, transactionId?: string) => ClientError;
}

const VALIDATION_NAMES: Record<number, string> = Object.fromEntries(Object.entries(StatusCode).map(([name, code]) => [code, name]));

/** A Submit call is repeated in place (the same envelope) when the service was overloaded, unreachable or slow. */
function submitVerdict(err: unknown): Verdict {
  const v = verdictOf(err);
  return 'retry' in v && (v.retry === 'UNAVAILABLE' || v.retry === 'RESOURCE_EXHAUSTED' || v.retry === 'DEADLINE_EXCEEDED')
    ? v
    : { fail: true };
}

/** A CommitStatus call too, but not after its deadline: it waited that long already; the ledger decides instead. */
function statusVerdict(err: unknown): Verdict {
  const v = submitVerdict(err);
  return 'retry' in v && v.retry === 'DEADLINE_EXCEEDED' ? { fail: true } : v;
}

export class Submitter {
  readonly #o: SubmitterOptions;
  readonly #creator: Uint8Array;
  readonly #retry: RetryOptions;
  readonly #callRetry: RetryOptions;

  constructor(options: SubmitterOptions) {
    this.#o = options;
    const id = new msp.SerializedIdentity();
    id.setMspid(options.mspId);
    id.setIdBytes(options.certificatePem);
    this.#creator = id.serializeBinary();
    const onRetry = (cause: RetryCause) => {
      options.stats.retries++;
      options.stats.retriesByCause[cause] = (options.stats.retriesByCause[cause] ?? 0) + 1;
    };
    this.#retry = { policy: options.policy, clock: options.clock, random: options.random, onRetry };
    this.#callRetry = { ...this.#retry, policy: { ...options.policy, maxAttempts: options.policy.resubmitAttempts } };
  }

  /**
   * Endorses, submits and waits for the commit of `fn(args)`, retrying as the module comment says.
   * @throws {@link ClientError}: the final failure, or RETRIES_EXHAUSTED (with `retryCause`).
   */
  async submit(
    contract: Contract,
    fn: string,
    args: readonly string[],
    settleReplay?: ReplaySettler,
  ): Promise<Committed & { attempts: number }> {
    this.#o.stats.submitted++;
    const ours = new Set<string>();
    let attempts = 0;
    try {
      const out = await withRetry(
        (n) => {
          attempts = n;
          return this.#attempt(contract, fn, args, ours, settleReplay);
        },
        verdictOf,
        this.#retry,
      );
      return { ...out.value, attempts: out.attempts };
    } catch (err) {
      // Before giving up on a request some attempt may have committed, the ledger has the last word.
      const last = err instanceof RetryGiveUp ? err.cause : undefined;
      if (settleReplay !== undefined && ours.size > 0 && last instanceof ClientError && last.chaincodeCode === undefined) {
        const settled = await settleReplay(last, { ours, statusOf: (txId) => this.statusOf(txId, fn) }).catch(() => undefined);
        if (settled !== undefined) {
          this.#o.stats.alreadyCommitted++;
          return { ...settled, alreadyCommitted: true, attempts };
        }
      }
      throw abandoned(fn, err);
    }
  }

  /** The commit status of one of this identity's transactions (waits while it is not committed). */
  async statusOf(txId: string, fn = 'status'): Promise<Status> {
    const request = new gatewayProtos.CommitStatusRequest();
    request.setChannelId(this.#o.channel);
    request.setTransactionId(txId);
    request.setIdentity(this.#creator);
    const signed = new gatewayProtos.SignedCommitStatusRequest();
    signed.setRequest(request.serializeBinary());
    const commit = this.#o.gateway.newCommit(signed.serializeBinary());
    try {
      return (
        await withRetry(
          async () => {
            try {
              return await commit.getStatus();
            } catch (err) {
              throw this.#o.toError(err, fn, txId);
            }
          },
          statusVerdict,
          this.#callRetry,
        )
      ).value;
    } catch (err) {
      if (err instanceof RetryGiveUp || grpcStatusOf(err) === grpc.status.DEADLINE_EXCEEDED) {
        const why = err instanceof RetryGiveUp ? err.retryCause : 'DEADLINE_EXCEEDED';
        throw new ClientError('COMMIT_UNKNOWN', `${fn}: the status of transaction ${txId} could not be learnt (${why})`, {
          cause: err instanceof RetryGiveUp ? err.cause : err,
          transactionId: txId,
          retryCause: 'COMMIT_UNKNOWN',
        });
      }
      throw err;
    }
  }

  async #attempt(
    contract: Contract,
    fn: string,
    args: readonly string[],
    ours: Set<string>,
    settleReplay: ReplaySettler | undefined,
  ): Promise<Committed> {
    let transaction;
    try {
      transaction = await contract.newProposal(fn, { arguments: [...args] }).endorse();
    } catch (err) {
      const refusal = this.#o.toError(err, fn);
      if (settleReplay !== undefined && refusal.chaincodeCode === 'REPLAYED_SEQUENCE') {
        const settled = await settleReplay(refusal, { ours, statusOf: (txId) => this.statusOf(txId, fn) });
        this.#o.stats.alreadyCommitted++;
        return { ...settled, alreadyCommitted: true };
      }
      throw refusal;
    }
    const txId = transaction.getTransactionId();
    const commits = this.#o.commits;
    // registered before the submission, so the commit cannot slip past
    const observed = commits?.listening === true ? commits.wait(txId) : undefined;
    try {
      await withRetry(
        async () => {
          ours.add(txId); // from the first Submit call on, the orderer may have it
          try {
            await transaction.submit();
          } catch (err) {
            const e = this.#o.toError(err, fn, txId);
            // the gateway knows it committed already (the devnet's gateway answers so for a resubmission)
            if (grpcStatusOf(e) !== grpc.status.ALREADY_EXISTS) throw e;
          }
        },
        submitVerdict,
        this.#callRetry,
      );
    } catch (err) {
      commits?.forget(txId);
      if (err instanceof RetryGiveUp) {
        throw new ClientError(
          'COMMIT_UNKNOWN',
          `${fn}: transaction ${txId} could not be submitted (${err.retryCause}); it may have been ordered`,
          { cause: err.cause, transactionId: txId, retryCause: 'COMMIT_UNKNOWN' },
        );
      }
      throw err;
    }
    const status = await this.#outcome(txId, fn, observed);
    if (!status.successful) {
      const name = VALIDATION_NAMES[status.code] ?? String(status.code);
      throw new ClientError('COMMIT_FAILED', `${fn}: transaction ${txId} committed as invalid: ${name}`, {
        validationCode: name,
        transactionId: txId,
      });
    }
    return { transactionId: txId, blockNumber: status.blockNumber, result: transaction.getResult() };
  }

  async #outcome(
    txId: string,
    fn: string,
    observed: Promise<ObservedCommit | undefined> | undefined,
  ): Promise<{ code: number; blockNumber: bigint; successful: boolean }> {
    const seen = await observed;
    if (seen !== undefined) return { code: seen.code, blockNumber: seen.blockNumber, successful: seen.code === StatusCode.VALID };
    const status = await this.statusOf(txId, fn);
    // this block is committed: whatever is submitted from now on commits after it
    this.#o.commits?.startAt(status.blockNumber);
    return status;
  }
}

/** The error a submission is abandoned with. */
function abandoned(fn: string, err: unknown): unknown {
  if (!(err instanceof RetryGiveUp)) return err;
  const last = err.cause;
  if (last instanceof ClientError && last.chaincodeCode !== undefined) {
    // a refusal that did not go away (not a lagging peer after all): report the chaincode's reason
    return new ClientError(last.code === 'COMMIT_UNKNOWN' ? 'ENDORSEMENT_FAILED' : last.code, last.message, {
      cause: last.cause,
      chaincodeCode: last.chaincodeCode,
      transactionId: last.transactionId,
      attempts: err.attempts,
    });
  }
  const detail = last instanceof Error ? `: ${last.message}` : '';
  return new ClientError('RETRIES_EXHAUSTED', `${fn}: ${err.message}${detail}`, {
    cause: last,
    attempts: err.attempts,
    retryCause: err.retryCause,
    transactionId: last instanceof ClientError ? last.transactionId : undefined,
  });
}
