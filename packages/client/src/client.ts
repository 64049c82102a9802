// SPDX-License-Identifier: Apache-2.0
// The metroledger application client: the official Fabric Gateway client plus what a meter
// owner needs on top of it (typed chaincode calls, retry with backoff). It works unchanged
// against the embedded devnet and against a production Fabric network.
import * as grpc from '@grpc/grpc-js';
import { createPrivateKey } from 'node:crypto';
import type { MeasurementRecord as StoredMeasurement, ReadingRejection } from '@metroledger/chaincode/api';
import { signLowS } from '@metroledger/identity';
import {
  connect,
  hash,
  EndorseError,
  CommitStatusError,
  GatewayError,
  type Contract,
  type Gateway,
  type Network,
} from '@hyperledger/fabric-gateway';
import { CommitListener } from './commits';
import { ClientError } from './errors';
import { verdictOf } from './failures';
import { describeGatewayError } from './gatewayerrors';
import { settleBatchReplay, settleReadingReplay, type LedgerReading } from './replay';
import { DEFAULT_RETRY_POLICY, withRetry, RetryGiveUp, type RetryPolicy, type Verdict } from './retry';
import type { Clock } from './clock';
import { newClientStats, Submitter, type ClientStats, type Committed } from './submit';

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
  /** Time and randomness of the retry backoff (tests); default the system clock and Math.random. */
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** What the chaincode stores for each reading: a measurement, or the rejection of a revoked meter's reading. */
export type MeasurementRecord = StoredMeasurement | ReadingRejection;

export interface SubmittedReading {
  readonly transactionId: string;
  /** -1 when the reading was found committed by another submission of it. */
  readonly blockNumber: bigint;
  readonly record: MeasurementRecord;
  /** 1 when the first attempt succeeded. */
  readonly attempts: number;
  /** An earlier attempt had committed it (its answer was lost): settled from the ledger. */
  readonly alreadyCommitted?: boolean;
}

/** A query runs on one peer: only the call itself is retried (a lagging peer answers, it does not refuse). */
function evaluateVerdict(err: unknown): Verdict {
  const v = verdictOf(err);
  return 'retry' in v && (v.retry === 'UNAVAILABLE' || v.retry === 'RESOURCE_EXHAUSTED' || v.retry === 'DEADLINE_EXCEEDED')
    ? v
    : { fail: true };
}

export class MetroledgerClient {
  readonly gateway: Gateway;
  readonly network: Network;
  readonly contract: Contract;
  /** The notified body's registry (governance chaincode). */
  readonly governance: Contract;
  readonly stats: ClientStats = newClientStats();
  readonly #retry: RetryPolicy;
  readonly #clock: Clock | undefined;
  readonly #random: (() => number) | undefined;
  readonly #commits: CommitListener | undefined;
  readonly #submitter: Submitter;

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
      endorseOptions: deadline,
      submitOptions: deadline,
      commitStatusOptions: deadline,
      evaluateOptions: deadline,
    });
    this.network = this.gateway.getNetwork(options.channel ?? 'metrology');
    this.contract = this.network.getContract(options.chaincode ?? 'lr');
    this.governance = this.network.getContract(options.governanceChaincode ?? 'governance');
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#clock = options.clock;
    this.#random = options.random;
    this.#commits = options.commitNotification === 'commitStatus' ? undefined : new CommitListener(this.network, timeout);
    this.#submitter = new Submitter({
      gateway: this.gateway,
      channel: options.channel ?? 'metrology',
      mspId: options.mspId,
      certificatePem: Buffer.from(options.certificatePem),
      policy: this.#retry,
      clock: options.clock,
      random: options.random,
      commits: this.#commits,
      stats: this.stats,
      toError: toClientError,
    });
  }

  /**
   * Submits a meter's signed raw reading (canonical bytes) and waits until it is committed, once:
   * retried through endorsement mismatches, MVCC conflicts, lagging or unreachable peers; when a
   * retry finds the sequence taken, the ledger's record decides (the same reading: committed).
   * `base64` saves encoding the reading again when the caller has it.
   * @throws {@link ClientError} with the reason the reading was abandoned (see {@link abandonReason}).
   */
  async submitReading(signedReading: Uint8Array, base64?: string): Promise<SubmittedReading> {
    const arg = base64 ?? Buffer.from(signedReading).toString('base64');
    const submitted = await this.#submitter.submit(this.contract, 'submitReading', [arg], settleReadingReplay(signedReading, this.#lookup));
    return { ...submitted, record: parseJson<MeasurementRecord>(submitted.result, 'submitReading') };
  }

  /**
   * Submits a reading batch (`submitReadingBatch`; see batch.ts) and waits for its commit, once, as
   * {@link submitReading} does a reading. `batchBase64` saves encoding it again when the caller has it.
   */
  submitBatch(batch: Uint8Array, batchBase64?: string): Promise<Committed & { attempts: number }> {
    const arg = batchBase64 ?? Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength).toString('base64');
    return this.#submitter.submit(this.contract, 'submitReadingBatch', [arg], settleBatchReplay(batch, this.#lookup));
  }

  /** The ledger's record of a meter's sequence: a measurement, else a revoked meter's recorded rejection. */
  readonly #lookup = async (meterId: string, sequence: number): Promise<LedgerReading | undefined> => {
    try {
      return (await this.getMeasurement(meterId, sequence)) as unknown as LedgerReading;
    } catch (err) {
      if (!(err instanceof ClientError) || err.chaincodeCode !== 'MEASUREMENT_NOT_FOUND') throw err;
    }
    let bookmark = '';
    do {
      const page = parseJson<{ records: LedgerReading[]; bookmark: string }>(
        await this.evaluate('listReadingRejections', [meterId, '100', bookmark]),
        'listReadingRejections',
      );
      const found = page.records.find((r) => r['sequence'] === sequence);
      if (found !== undefined) return found;
      bookmark = page.records.length === 0 ? '' : page.bookmark;
    } while (bookmark !== '');
    return undefined;
  };

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

  async queryMeasurements(
    meterId: string,
    fromMs: number,
    toMs: number,
    pageSize = 100,
    bookmark = '',
  ): Promise<{ records: MeasurementRecord[]; bookmark: string }> {
    return parseJson(
      await this.evaluate('queryMeasurements', [meterId, String(fromMs), String(toMs), String(pageSize), bookmark]),
      'queryMeasurements',
    );
  }

  /** Evaluates a query on one peer; no ordering, nothing written. */
  async evaluate(fn: string, args: string[], contract: Contract = this.contract): Promise<Uint8Array> {
    const onRetry = (cause: string) => {
      this.stats.retries++;
      this.stats.retriesByCause[cause] = (this.stats.retriesByCause[cause] ?? 0) + 1;
    };
    try {
      return (
        await withRetry(
          async () => {
            try {
              return await contract.evaluateTransaction(fn, ...args);
            } catch (err) {
              throw toClientError(err, fn);
            }
          },
          evaluateVerdict,
          { policy: this.#retry, clock: this.#clock, random: this.#random, onRetry },
        )
      ).value;
    } catch (err) {
      if (!(err instanceof RetryGiveUp)) throw err;
      throw new ClientError('RETRIES_EXHAUSTED', `${fn}: ${err.message}: ${(err.cause as Error).message}`, {
        cause: err.cause,
        attempts: err.attempts,
        retryCause: err.retryCause,
      });
    }
  }

  /**
   * Endorses, submits and waits for commit, retrying what a client should retry (see submit.ts):
   * an overloaded or unreachable service (the same signed transaction is resubmitted), endorsers
   * that disagree and MVCC conflicts (the transaction is endorsed again, since its reads went stale).
   * Re-endorsing is safe for transactions the chaincode refuses to apply twice; for readings use
   * {@link submitReading}, which also settles a replay refusal from the ledger.
   */
  async submit(
    fn: string,
    args: string[],
    contract: Contract = this.contract,
  ): Promise<{ transactionId: string; blockNumber: bigint; result: Uint8Array; attempts: number }> {
    return this.#submitter.submit(contract, fn, args);
  }

  close(): void {
    this.#commits?.close();
    this.gateway.close();
  }
}

function toClientError(err: unknown, fn: string, transactionId?: string): ClientError {
  if (err instanceof GatewayError) {
    const { text: described, chaincodeCode, tlsFailure } = describeGatewayError(err);
    const text = `${fn}: ${described}`;
    if (tlsFailure) return new ClientError('TLS_FAILED', text, { cause: err, transactionId });
    if (err instanceof EndorseError)
      return new ClientError('ENDORSEMENT_FAILED', text, { cause: err, chaincodeCode, transactionId: err.transactionId });
    // SubmitError is exported as a type only, so it is recognised by name.
    if (err.name === 'SubmitError')
      return new ClientError('SUBMIT_FAILED', text, {
        cause: err,
        transactionId: (err as GatewayError & { transactionId?: string }).transactionId,
      });
    if (err instanceof CommitStatusError)
      return new ClientError('CONNECTION_FAILED', text, { cause: err, transactionId: err.transactionId });
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
