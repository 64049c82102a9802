// SPDX-License-Identifier: Apache-2.0
// Where the forwarder delivers: the ledger (through @metroledger/client) and the evidence store
// (through @metroledger/evidence). The forwarder sees only these interfaces, so its exactly-once
// logic is tested against scripted sinks as well as the real devnet.
import { ClientError, MAX_BATCH_BYTES, MAX_BATCH_READINGS, submitReadingBatch, type MetroledgerClient } from '@metroledger/client';
import { EvidenceError, type EvidenceClient } from '@metroledger/evidence';

/** What the ledger records for a reading: a measurement, an LR refusal, or a revoked meter's rejection. */
export interface LedgerRecord {
  readonly meterId: string;
  readonly sequence: number;
  readonly status: string;
  readonly readingSha256?: string;
  readonly txId?: string;
  readonly speedLimitExceeded?: boolean;
}

/** How a failed delivery is handled. */
export type DeliveryVerdict =
  /** The ledger already has a reading under this sequence: look it up to learn whether it is ours. */
  | { readonly kind: 'replayed' }
  /** Try again later (unreachable, overloaded, a conflict): backoff. */
  | { readonly kind: 'transient'; readonly cause: string }
  /** The ledger refuses this meter's readings until an operator acts (not registered, revoked, model not approved): alarm, backoff. */
  | { readonly kind: 'blocked'; readonly cause: string }
  /** The ledger will never accept this reading as it is (bad signature, malformed): quarantine it. */
  | { readonly kind: 'refused'; readonly cause: string };

export interface LedgerSink {
  /** Largest number of readings `submit` takes at once (1: one transaction per reading). */
  readonly maxBatch: number;
  /** Most bytes of signed readings `submit` takes at once. */
  readonly maxBatchBytes: number;
  /** Submits the readings (all of one meter, in sequence order) and resolves once committed, with one record per reading. */
  submit(signedReadings: readonly Uint8Array[]): Promise<LedgerRecord[]>;
  /** The ledger's record of a meter's sequence, or undefined when the ledger (the peer asked) has none. */
  lookup(meterId: string, sequence: number): Promise<LedgerRecord | undefined>;
  classify(err: unknown): DeliveryVerdict;
}

export type EvidenceOutcome = 'stored' | 'already-stored';

export interface EvidenceSink {
  put(submission: { signedReading: Uint8Array; image: Uint8Array; imageSignature: Uint8Array }): Promise<EvidenceOutcome>;
  classify(err: unknown): DeliveryVerdict;
}

// The LR chaincode's refusals (packages/chaincode/src/errors.ts), by what a meter can do about them.
const REFUSED_FOR_GOOD = new Set(['MALFORMED_READING', 'BAD_SIGNATURE', 'MALFORMED_BATCH']);
const NEEDS_OPERATOR = new Set([
  'METER_NOT_FOUND',
  'METER_REVOKED',
  'ACCESS_DENIED',
  'MODEL_NOT_APPROVED',
  'LR_VERSION_NOT_APPROVED',
  'INVALID_ARGUMENT',
]);
// Client errors that retrying cannot mend: the connection settings are wrong.
const CLIENT_CONFIG = new Set(['TLS_FAILED', 'BAD_CONFIG']);

/** The verdict on a @metroledger/client failure of submitReading / submitReadingBatch. */
export function classifyClientError(err: unknown): DeliveryVerdict {
  if (!(err instanceof ClientError)) return { kind: 'transient', cause: err instanceof Error ? err.name : 'UNEXPECTED' };
  const chaincode = err.chaincodeCode;
  if (chaincode === 'REPLAYED_SEQUENCE') return { kind: 'replayed' };
  if (chaincode !== undefined && REFUSED_FOR_GOOD.has(chaincode)) return { kind: 'refused', cause: chaincode };
  if (chaincode !== undefined && NEEDS_OPERATOR.has(chaincode)) return { kind: 'blocked', cause: chaincode };
  if (err.code === 'BAD_REQUEST') return { kind: 'refused', cause: err.code };
  if (CLIENT_CONFIG.has(err.code)) return { kind: 'blocked', cause: err.code };
  return { kind: 'transient', cause: chaincode ?? err.validationCode ?? err.code };
}

function recordOf(r: Record<string, unknown>): LedgerRecord {
  return {
    meterId: String(r['meterId']),
    sequence: Number(r['sequence']),
    status: String(r['status']),
    ...(typeof r['readingSha256'] === 'string' && { readingSha256: r['readingSha256'] }),
    ...(typeof r['txId'] === 'string' && { txId: r['txId'] }),
    ...(typeof r['speedLimitExceeded'] === 'boolean' && { speedLimitExceeded: r['speedLimitExceeded'] }),
  };
}

/**
 * The ledger through a meter owner's MetroledgerClient: one reading per `submitReading`
 * transaction, or up to `maxBatch` of one meter's readings per `submitReadingBatch` (a meter
 * draining a backlog). Lookups read the measurement record, else a revoked meter's rejection.
 */
/** Batch bounds within the LR chaincode's (MAX_BATCH_READINGS, MAX_BATCH_BYTES less room for the container's framing). */
function batchBounds(options: { maxBatch?: number }): { maxBatch: number; maxBatchBytes: number } {
  return { maxBatch: Math.max(1, Math.min(options.maxBatch ?? 1, MAX_BATCH_READINGS)), maxBatchBytes: MAX_BATCH_BYTES - 64 * 1024 };
}

export function clientLedgerSink(client: MetroledgerClient, options: { maxBatch?: number } = {}): LedgerSink {
  return {
    ...batchBounds(options),
    async submit(signedReadings) {
      if (signedReadings.length === 1) {
        const out = await client.submitReading(signedReadings[0]!);
        return [recordOf({ ...out.record, txId: out.record['txId'] ?? out.transactionId })];
      }
      const out = await submitReadingBatch(client, signedReadings);
      return out.outcomes.map((o) => recordOf({ ...o, txId: out.transactionId }));
    },
    async lookup(meterId, sequence) {
      try {
        return recordOf({ ...(await client.getMeasurement(meterId, sequence)) });
      } catch (err) {
        if (!(err instanceof ClientError) || err.chaincodeCode !== 'MEASUREMENT_NOT_FOUND') throw err;
      }
      // a revoked meter's readings are recorded as rejections, under their own key
      let bookmark = '';
      do {
        const page = JSON.parse(
          Buffer.from(await client.evaluate('listReadingRejections', [meterId, '100', bookmark])).toString('utf8'),
        ) as { records: Record<string, unknown>[]; bookmark: string };
        const found = page.records.find((r) => r['sequence'] === sequence);
        if (found !== undefined) return recordOf(found);
        bookmark = page.records.length === 0 ? '' : page.bookmark;
      } while (bookmark !== '');
      return undefined;
    },
    classify: classifyClientError,
  };
}

const EVIDENCE_REFUSED_FOR_GOOD = new Set([
  'MALFORMED_READING',
  'NO_PLATE_DIGEST',
  'WRONG_DIGEST',
  'BAD_READING_SIGNATURE',
  'BAD_IMAGE_SIGNATURE',
  'REPLAYED_IMAGE',
  'EVIDENCE_EXISTS',
  'IMAGE_TOO_LARGE',
  'MALFORMED_REQUEST',
]);
const EVIDENCE_NEEDS_OPERATOR = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'STORE_FULL', 'METER_UNKNOWN', 'BAD_CONFIG']);

/** The verdict on an evidence store failure. */
export function classifyEvidenceError(err: unknown): DeliveryVerdict {
  if (!(err instanceof EvidenceError)) return { kind: 'transient', cause: err instanceof Error ? err.name : 'UNEXPECTED' };
  if (EVIDENCE_REFUSED_FOR_GOOD.has(err.code)) return { kind: 'refused', cause: err.code };
  if (EVIDENCE_NEEDS_OPERATOR.has(err.code)) return { kind: 'blocked', cause: err.code };
  return { kind: 'transient', cause: err.code };
}

/** The traffic authority's evidence store through its HTTPS client. */
export function evidenceStoreSink(client: EvidenceClient): EvidenceSink {
  return {
    async put(submission) {
      const out = await client.put(submission);
      return out.alreadyStored ? 'already-stored' : 'stored';
    },
    classify: classifyEvidenceError,
  };
}

/**
 * A ledger sink that connects on first use and again after `connect` failed: a meter starts and
 * captures while the network is unreachable, and delivers once it can connect.
 */
export function connectingLedgerSink(
  connect: () => Promise<MetroledgerClient>,
  options: { maxBatch?: number } = {},
): LedgerSink & { close(): void } {
  let sink: LedgerSink | undefined;
  let client: MetroledgerClient | undefined;
  let connecting: Promise<LedgerSink> | undefined;
  const ready = async (): Promise<LedgerSink> => {
    if (sink !== undefined) return sink;
    connecting ??= connect()
      .then((c) => {
        client = c;
        sink = clientLedgerSink(c, options);
        return sink;
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  };
  return {
    ...batchBounds(options),
    submit: async (readings) => (await ready()).submit(readings),
    lookup: async (meterId, sequence) => (await ready()).lookup(meterId, sequence),
    classify: classifyClientError,
    close: () => client?.close(),
  };
}
