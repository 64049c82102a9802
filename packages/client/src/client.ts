// SPDX-License-Identifier: Apache-2.0
// The metroledger application client: the official Fabric Gateway client plus what a meter
// owner needs on top of it (typed chaincode calls, retry with backoff). It works unchanged
// against the embedded devnet and against a production Fabric network.
import * as grpc from '@grpc/grpc-js';
import { createPrivateKey } from 'node:crypto';
import { signLowS } from '@metroledger/identity';
import {
  connect, hash, EndorseError, CommitStatusError, GatewayError, StatusCode,
  type Contract, type Gateway, type Network,
} from '@hyperledger/fabric-gateway';
import { CommitListener } from './commits';
import { ClientError } from './errors';
import { describeGatewayError } from './gatewayerrors';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, sleep, type RetryPolicy } from './retry';

export interface MetroledgerClientOptions {
  /** A gRPC connection to a gateway peer (see newGrpcConnection and connectGateway); may be shared by many clients. */
  readonly connection: grpc.Client;
  readonly mspId: string;
  readonly certificatePem: string | Uint8Array;
  readonly privateKeyPem: string | Uint8Array;
  /** Default `metrology`. */
  readonly channel?: string;
  /** Default `lr`. */
  readonly chaincode?: string;
  /** Default `governance`. */
  readonly governanceChaincode?: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Deadline of each gateway call. Default 60 s. */
  readonly callTimeoutMs?: number;
  /**
   * How `submit` learns that a transaction committed: `blockEvents` (default) from one filtered
   * block stream shared by all of this client's transactions, falling back to CommitStatus when
   * the stream cannot tell; `commitStatus`: one CommitStatus call per transaction.
   */
  readonly commitNotification?: 'blockEvents' | 'commitStatus';
}

/** What the chaincode stores for each reading (see the LR chaincode). */
export interface MeasurementRecord {
  readonly meterId: string;
  readonly sequence: number;
  readonly captureTimeMs: number;
  readonly status: 'MEASURED' | 'REFUSED';
  readonly speedKmh?: number;
  readonly refusalCode?: string;
  readonly speedLimitExceeded?: boolean;
  readonly [field: string]: unknown;
}

export interface SubmittedReading {
  readonly transactionId: string;
  readonly blockNumber: bigint;
  readonly record: MeasurementRecord;
  /** 1 when the first attempt succeeded. */
  readonly attempts: number;
}

export interface ClientStats {
  submitted: number;
  retries: number;
  /** Retries by cause, e.g. `RESOURCE_EXHAUSTED`, `MVCC_READ_CONFLICT`. */
  readonly retriesByCause: Record<string, number>;
}

const RETRYABLE_GRPC = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED, grpc.status.DEADLINE_EXCEEDED]);
const RETRYABLE_VALIDATION = new Set<number>([StatusCode.MVCC_READ_CONFLICT, StatusCode.PHANTOM_READ_CONFLICT]);
const VALIDATION_NAMES: Record<number, string> = Object.fromEntries(Object.entries(StatusCode).map(([name, code]) => [code, name]));

export class MetroledgerClient {
  readonly gateway: Gateway;
  readonly network: Network;
  readonly contract: Contract;
  /** The notified body's registry (governance chaincode). */
  readonly governance: Contract;
  readonly stats: ClientStats = { submitted: 0, retries: 0, retriesByCause: {} };
  readonly #retry: RetryPolicy;
  readonly #commits: CommitListener | undefined;

  constructor(options: MetroledgerClientOptions) {
    const timeout = options.callTimeoutMs ?? 60_000;
    const deadline = () => ({ deadline: Date.now() + timeout });
    const privateKey = createPrivateKey(Buffer.from(options.privateKeyPem));
    this.gateway = connect({
      client: options.connection,
      identity: { mspId: options.mspId, credentials: Buffer.from(options.certificatePem) },
      // fabric-gateway's own signer signs in pure JavaScript (@noble/curves), about a fifth of this
      // client's CPU under load. With hash.none the signer receives the message itself and hashes
      // and signs with node:crypto; signLowS gives the low-S DER signature Fabric requires.
      hash: hash.none,
      signer: async (message) => signLowS(privateKey, message),
      endorseOptions: deadline, submitOptions: deadline, commitStatusOptions: deadline, evaluateOptions: deadline,
    });
    this.network = this.gateway.getNetwork(options.channel ?? 'metrology');
    this.contract = this.network.getContract(options.chaincode ?? 'lr');
    this.governance = this.network.getContract(options.governanceChaincode ?? 'governance');
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#commits = options.commitNotification === 'commitStatus' ? undefined : new CommitListener(this.network, timeout);
  }

  /** Submits a meter's signed raw reading (canonical bytes) and waits until it is committed. */
  async submitReading(signedReading: Uint8Array): Promise<SubmittedReading> {
    const submitted = await this.submit('submitReading', [Buffer.from(signedReading).toString('base64')]);
    return { ...submitted, record: parseJson<MeasurementRecord>(submitted.result, 'submitReading') };
  }

  /** Registers a meter (the notified body's organization only). */
  async registerMeter(meter: Record<string, unknown>): Promise<void> {
    await this.submit('registerMeter', [JSON.stringify(meter)]);
  }

  async revokeMeter(meterId: string, reason: string): Promise<void> {
    await this.submit('revokeMeter', [meterId, reason]);
  }

  async getMeter(meterId: string): Promise<Record<string, unknown>> {
    return parseJson(await this.evaluate('getMeter', [meterId]), 'getMeter');
  }

  async getMeasurement(meterId: string, sequence: number): Promise<MeasurementRecord> {
    return parseJson(await this.evaluate('getMeasurement', [meterId, String(sequence)]), 'getMeasurement');
  }

  async queryMeasurements(meterId: string, fromMs: number, toMs: number, pageSize = 100, bookmark = ''): Promise<{ records: MeasurementRecord[]; bookmark: string }> {
    return parseJson(await this.evaluate('queryMeasurements', [meterId, String(fromMs), String(toMs), String(pageSize), bookmark]), 'queryMeasurements');
  }

  /** Evaluates a query on one peer; no ordering, nothing written. */
  async evaluate(fn: string, args: string[], contract: Contract = this.contract): Promise<Uint8Array> {
    return this.withRetry(fn, async () => {
      try {
        return await contract.evaluateTransaction(fn, ...args);
      } catch (err) {
        throw toClientError(err, fn);
      }
    }).then((r) => r.value);
  }

  /**
   * Endorses, submits and waits for commit, retrying what a client should retry: an overloaded or
   * unreachable service (the same signed transaction is resubmitted) and MVCC conflicts (the
   * transaction is endorsed again, since its reads went stale).
   */
  async submit(fn: string, args: string[], contract: Contract = this.contract): Promise<{ transactionId: string; blockNumber: bigint; result: Uint8Array; attempts: number }> {
    this.stats.submitted++;
    const { value, attempts } = await this.withRetry(fn, async () => {
      let transaction;
      try {
        transaction = await contract.newProposal(fn, { arguments: args }).endorse();
      } catch (err) {
        throw toClientError(err, fn);
      }
      const txId = transaction.getTransactionId();
      // registered before the submission, so the commit cannot slip past
      const observed = this.#commits?.listening === true ? this.#commits.wait(txId) : undefined;
      let commit;
      try {
        commit = await this.withRetry(`${fn}/submit`, async () => {
          try {
            return await transaction.submit();
          } catch (err) {
            throw toClientError(err, fn, txId);
          }
        }).then((r) => r.value);
      } catch (err) {
        this.#commits?.forget(txId);
        throw err;
      }
      const seen = await observed;
      let status: { code: number; blockNumber: bigint; successful: boolean; transactionId: string };
      if (seen !== undefined) {
        status = { code: seen.code, blockNumber: seen.blockNumber, successful: seen.code === StatusCode.VALID, transactionId: txId };
      } else {
        status = await this.withRetry(`${fn}/status`, async () => {
          try {
            return await commit.getStatus();
          } catch (err) {
            throw toClientError(err, fn, txId);
          }
        }).then((r) => r.value);
        // this block is committed: whatever is submitted from now on commits after it
        this.#commits?.startAt(status.blockNumber);
      }
      if (!status.successful) {
        const name = VALIDATION_NAMES[status.code] ?? String(status.code);
        throw new ClientError('COMMIT_FAILED', `${fn}: transaction ${status.transactionId} committed as invalid: ${name}`, {
          validationCode: name, transactionId: status.transactionId,
        });
      }
      return { transactionId: status.transactionId, blockNumber: status.blockNumber, result: transaction.getResult() };
    });
    return { ...value, attempts };
  }

  close(): void {
    this.#commits?.close();
    this.gateway.close();
  }

  private async withRetry<T>(what: string, attempt: () => Promise<T>): Promise<{ value: T; attempts: number }> {
    for (let n = 1; ; n++) {
      try {
        return { value: await attempt(), attempts: n };
      } catch (err) {
        const cause = retryCause(err);
        if (cause === undefined) throw err;
        if (n >= this.#retry.maxAttempts) {
          throw new ClientError('RETRIES_EXHAUSTED', `${what}: still failing after ${n} attempts (${cause})`, { cause: err, attempts: n });
        }
        this.stats.retries++;
        this.stats.retriesByCause[cause] = (this.stats.retriesByCause[cause] ?? 0) + 1;
        await sleep(backoffDelayMs(this.#retry, n));
      }
    }
  }
}

/** The cause to count a retry under, or undefined when the failure must not be retried. */
function retryCause(err: unknown): string | undefined {
  if (!(err instanceof ClientError)) return undefined;
  if (err.code === 'COMMIT_FAILED' && err.validationCode !== undefined && RETRYABLE_VALIDATION.has(StatusCode[err.validationCode as keyof typeof StatusCode])) {
    return err.validationCode;
  }
  const grpcCode = (err.cause as { code?: number } | undefined)?.code;
  if ((err.code === 'SUBMIT_FAILED' || err.code === 'ENDORSEMENT_FAILED' || err.code === 'CONNECTION_FAILED') && grpcCode !== undefined && RETRYABLE_GRPC.has(grpcCode)) {
    return grpc.status[grpcCode];
  }
  return undefined;
}

function toClientError(err: unknown, fn: string, transactionId?: string): ClientError {
  if (err instanceof GatewayError) {
    const { text: described, chaincodeCode, tlsFailure } = describeGatewayError(err);
    const text = `${fn}: ${described}`;
    if (tlsFailure) return new ClientError('TLS_FAILED', text, { cause: err, transactionId });
    if (err instanceof EndorseError) return new ClientError('ENDORSEMENT_FAILED', text, { cause: err, chaincodeCode, transactionId: err.transactionId });
    // SubmitError is exported as a type only, so it is recognised by name.
    if (err.name === 'SubmitError') return new ClientError('SUBMIT_FAILED', text, { cause: err, transactionId: (err as GatewayError & { transactionId?: string }).transactionId });
    if (err instanceof CommitStatusError) return new ClientError('CONNECTION_FAILED', text, { cause: err, transactionId: err.transactionId });
    const code = err.code === grpc.status.UNAVAILABLE ? 'CONNECTION_FAILED' : 'ENDORSEMENT_FAILED';
    return new ClientError(code, text, { cause: err, chaincodeCode, transactionId });
  }
  if (err instanceof ClientError) return err;
  return new ClientError('CONNECTION_FAILED', `${fn}: ${(err as Error)?.message ?? String(err)}`, { cause: err, transactionId });
}

function parseJson<T>(bytes: Uint8Array, fn: string): T {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new ClientError('BAD_RESPONSE', `${fn}: the chaincode returned something other than JSON: ${text.slice(0, 80)}`, { cause });
  }
}
