// SPDX-License-Identifier: Apache-2.0
// Which failures of a Fabric transaction are worth another attempt, and why (the retry cause that
// clients count and reports print). Messages and codes are those of Fabric's gateway (2.5, 3.x),
// which the devnet's gateway reproduces.
import * as grpc from '@grpc/grpc-js';
import { ClientError } from './errors';
import type { RetryCause, Verdict } from './retry';

/** Fabric's gateway detail when two endorsers simulated the proposal differently. */
const MISMATCH = 'ProposalResponsePayloads do not match';

/** How the gateway reports an endorser it could not reach (a gRPC error in the detail). */
const PEER_DOWN = /code = (Unavailable|DeadlineExceeded)\b|connection refused|endorsement timeout expired/i;

/**
 * Chaincode refusals that a peer behind the others gives for state committed moments ago: a meter
 * registered, a model or LR version approved in the last blocks. Retried a few times only
 * (RetryPolicy.laggingPeerAttempts), since they may also be final.
 */
const STATE_NOT_YET_THERE = new Set([
  'METER_NOT_FOUND',
  'MODEL_NOT_APPROVED',
  'LR_VERSION_NOT_APPROVED',
  'METER_MODEL_NOT_FOUND',
  'LR_SOFTWARE_NOT_FOUND',
  'ORGANIZATION_NOT_FOUND',
]);

const RETRYABLE_GRPC: ReadonlyMap<number, RetryCause> = new Map([
  [grpc.status.UNAVAILABLE, 'UNAVAILABLE'],
  [grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED'],
  [grpc.status.RESOURCE_EXHAUSTED, 'RESOURCE_EXHAUSTED'],
]);

interface GatewayFailure {
  readonly code?: number;
  readonly details?: readonly { readonly message: string }[];
}

function gatewayFailure(err: ClientError): GatewayFailure {
  return (err.cause ?? {}) as GatewayFailure;
}

/** Whether the endorsers disagreed (the gateway's ABORTED … ProposalResponsePayloads do not match). */
export function isEndorsementMismatch(err: unknown): boolean {
  if (!(err instanceof ClientError) || err.code !== 'ENDORSEMENT_FAILED') return false;
  const g = gatewayFailure(err);
  return g.code === grpc.status.ABORTED && (g.details ?? []).some((d) => d.message.includes(MISMATCH));
}

/** The gRPC status of the gateway call that failed, if any. */
export function grpcStatusOf(err: unknown): number | undefined {
  return err instanceof ClientError ? gatewayFailure(err).code : undefined;
}

/**
 * The cause to retry a failed endorse–submit–commit attempt under, or undefined when it is final.
 * Only failures where another attempt can succeed and cannot commit a transaction twice: the
 * chaincode's own checks (a meter's sequence) and MVCC keep a re-endorsed transaction from
 * committing what an earlier attempt already committed.
 */
export function retryCauseOf(err: unknown): RetryCause | undefined {
  if (!(err instanceof ClientError)) return undefined;
  if (err.retryCause !== undefined && err.code === 'COMMIT_UNKNOWN') return err.retryCause;
  if (err.code === 'COMMIT_FAILED') {
    if (err.validationCode === 'MVCC_READ_CONFLICT' || err.validationCode === 'PHANTOM_READ_CONFLICT') return err.validationCode;
    // another transaction with this id committed first: which one, the ledger tells
    if (err.validationCode === 'DUPLICATE_TXID') return 'COMMIT_UNKNOWN';
    return undefined;
  }
  if (err.code === 'ENDORSEMENT_FAILED') {
    if (isEndorsementMismatch(err)) return 'ENDORSEMENT_MISMATCH';
    const details = gatewayFailure(err).details ?? [];
    if (details.length > 0 && details.every((d) => PEER_DOWN.test(d.message))) return 'PEER_UNAVAILABLE';
    if (err.chaincodeCode !== undefined && STATE_NOT_YET_THERE.has(err.chaincodeCode)) return 'LAGGING_PEER';
  }
  if (err.code === 'ENDORSEMENT_FAILED' || err.code === 'SUBMIT_FAILED' || err.code === 'CONNECTION_FAILED') {
    const grpcCode = gatewayFailure(err).code;
    if (grpcCode !== undefined) return RETRYABLE_GRPC.get(grpcCode);
  }
  return undefined;
}

/** {@link retryCauseOf} as the retrier's verdict. */
export function verdictOf(err: unknown): Verdict {
  const cause = retryCauseOf(err);
  return cause === undefined ? { fail: true } : { retry: cause };
}
