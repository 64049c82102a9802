// SPDX-License-Identifier: Apache-2.0
// Reads the measurements out of a ledger: every reading a VALID transaction of the LR chaincode
// stored, with its raw-data digest (from the proposal arguments), and the meters as registered.
// Surveillance takes the ledger as the peers validated it; the audit is what re-checks that.
import { createHash } from 'node:crypto';
import { peekBlockNumber, type BlockSource, type MeterDoc } from '@metroledger/audit';
import { decodeReading, decodeReadingBatch, decodeSignedReading, type RawReading } from '@metroledger/lr';
import { blockEnvelopes, decodeBlock, getTransactionFilter, parseEnvelope } from '@metroledger/protocol';

export interface SurveilReading {
  readonly meterId: string;
  readonly sequence: number;
  readonly captureTimeMs: number;
  /** Transaction (commit-side) time. */
  readonly txTimeMs: number;
  readonly blockNum: number;
  readonly txId: string;
  readonly status: 'MEASURED' | 'REFUSED' | 'REJECTED';
  readonly speedKmh?: number;
  readonly speedLimitKmh?: number;
  readonly exceeded?: boolean;
  /** SHA-256 (hex) of the raw sensor samples only (loop A ‖ loop B), independent of meter and sequence. */
  readonly rawDigest: string;
}

export interface MeterInfo {
  readonly meterId: string;
  readonly lat?: number;
  readonly lon?: number;
  readonly location?: string;
  readonly speedLimitKmh?: number;
  readonly status: string;
}

export interface Collected {
  readonly readings: SurveilReading[];
  readonly meters: Map<string, MeterInfo>;
  readonly blocks: number;
  readonly transactions: number;
}

const text = new TextDecoder();
const METER_PREFIX = '\u0000meter\u0000';
const MEASUREMENT_PREFIX = '\u0000measurement\u0000';
const REJECTION_PREFIX = '\u0000rejection\u0000';

function rawDigest(loopA: Int16Array, loopB: Int16Array): string {
  return createHash('sha256')
    .update(new Uint8Array(loopA.buffer, loopA.byteOffset, loopA.byteLength))
    .update(new Uint8Array(loopB.buffer, loopB.byteOffset, loopB.byteLength))
    .digest('hex');
}

/**
 * The reading records a transaction wrote, by meter and sequence: the measurement record's bytes,
 * or REJECTED for a revoked meter's rejection. Keys are the LR chaincode's composite keys
 * (measurement: meter, time16, seq16; rejection: meter, seq16).
 */
function storedRecords(writes: readonly { key: string; value: Uint8Array; isDelete: boolean }[]): Map<string, Uint8Array | 'REJECTED'> {
  const out = new Map<string, Uint8Array | 'REJECTED'>();
  for (const w of writes) {
    if (w.isDelete) continue;
    const parts = w.key.split('\u0000');
    if (w.key.startsWith(MEASUREMENT_PREFIX) && parts.length >= 5) out.set(`${parts[2]}\u0000${Number(parts[4])}`, w.value);
    else if (w.key.startsWith(REJECTION_PREFIX) && parts.length >= 4) out.set(`${parts[2]}\u0000${Number(parts[3])}`, 'REJECTED');
  }
  return out;
}

/** Collects readings and meters from `source` (all blocks, or up to `toBlock`). */
export async function collectMeasurements(source: BlockSource, opts: { lrNamespace?: string; toBlock?: number } = {}): Promise<Collected> {
  const ns = opts.lrNamespace ?? 'lr';
  const readings: SurveilReading[] = [];
  const meters = new Map<string, MeterInfo>();
  let blocks = 0;
  let transactions = 0;
  try {
    for await (const sb of source.blocks(0)) {
      if (sb.bytes.length === 0) continue;
      const num = peekBlockNumber(sb.bytes);
      if (opts.toBlock !== undefined && num !== undefined && num > opts.toBlock) break;
      let block;
      try {
        block = decodeBlock(sb.bytes);
      } catch {
        continue;
      }
      blocks++;
      const blockNum = block.getHeader()?.getNumber() ?? -1;
      const filter = getTransactionFilter(block);
      const envelopes = blockEnvelopes(block);
      for (let i = 0; i < envelopes.length; i++) {
        transactions++;
        if (filter[i] !== 0) continue;
        let tx;
        try {
          tx = parseEnvelope(envelopes[i]!);
        } catch {
          continue;
        }
        if (tx.chaincodeName !== ns) continue;
        const writes = tx.rwsets.find((r) => r.namespace === ns)?.writes ?? [];
        for (const w of writes) {
          if (!w.key.startsWith(METER_PREFIX) || w.isDelete) continue;
          try {
            const m = JSON.parse(text.decode(w.value)) as MeterDoc;
            meters.set(m.meterId, {
              meterId: m.meterId,
              status: m.status,
              ...(typeof m.location?.lat === 'number' ? { lat: m.location.lat } : {}),
              ...(typeof m.location?.lon === 'number' ? { lon: m.location.lon } : {}),
              ...(typeof m.location?.text === 'string' ? { location: m.location.text } : {}),
              ...(typeof m.speedLimitKmh === 'number' ? { speedLimitKmh: m.speedLimitKmh } : {}),
            });
          } catch {
            // not a meter document
          }
        }
        const fn = tx.args[0] === undefined ? '' : text.decode(tx.args[0]);
        if ((fn !== 'submitReading' && fn !== 'submitReadingBatch') || tx.args[1] === undefined) continue;
        // a batch transaction (submitReadingBatch) stores each of its readings as submitReading would
        let signed: Uint8Array[];
        try {
          const arg = Buffer.from(text.decode(tx.args[1]), 'base64');
          signed = fn === 'submitReading' ? [arg] : decodeReadingBatch(arg);
        } catch {
          continue;
        }
        const txTimeMs = tx.timestamp.seconds * 1000 + Math.floor(tx.timestamp.nanos / 1e6);
        const stored = storedRecords(writes);
        for (const bytes of signed) {
          let reading: RawReading;
          try {
            reading = decodeReading(decodeSignedReading(bytes).reading);
          } catch {
            continue;
          }
          const base = {
            meterId: reading.meterId,
            sequence: reading.sequence,
            captureTimeMs: reading.captureTimeMs,
            txTimeMs,
            blockNum,
            txId: tx.txId,
            rawDigest: rawDigest(reading.loopA, reading.loopB),
          };
          const record = stored.get(`${reading.meterId}\u0000${reading.sequence}`);
          if (record === 'REJECTED') readings.push({ ...base, status: 'REJECTED' });
          else if (record !== undefined) {
            try {
              const r = JSON.parse(text.decode(record)) as {
                status?: string;
                speedKmh?: number;
                speedLimitKmh?: number;
                speedLimitExceeded?: boolean;
              };
              readings.push({
                ...base,
                status: r.status === 'MEASURED' ? 'MEASURED' : 'REFUSED',
                ...(typeof r.speedKmh === 'number' ? { speedKmh: r.speedKmh } : {}),
                ...(typeof r.speedLimitKmh === 'number' ? { speedLimitKmh: r.speedLimitKmh } : {}),
                ...(typeof r.speedLimitExceeded === 'boolean' ? { exceeded: r.speedLimitExceeded } : {}),
              });
            } catch {
              // an unreadable record is the audit's business
            }
          }
        }
      }
    }
  } finally {
    await source.close?.();
  }
  return { readings, meters, blocks, transactions };
}
