// SPDX-License-Identifier: Apache-2.0
// Reads the measurements out of a ledger: every reading a VALID transaction of the LR chaincode
// stored, with its raw-data digest (from the proposal arguments), and the meters as registered.
// Surveillance takes the ledger as the peers validated it; the audit is what re-checks that.
import { createHash } from 'node:crypto';
import { peekBlockNumber, type BlockSource, type MeterDoc } from '@metroledger/audit';
import { decodeReading, decodeSignedReading } from '@metroledger/lr';
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
        if (tx.args[0] === undefined || text.decode(tx.args[0]) !== 'submitReading' || tx.args[1] === undefined) continue;
        let reading;
        try {
          reading = decodeReading(decodeSignedReading(Buffer.from(text.decode(tx.args[1]), 'base64')).reading);
        } catch {
          continue;
        }
        const txTimeMs = tx.timestamp.seconds * 1000 + Math.floor(tx.timestamp.nanos / 1e6);
        const base = { meterId: reading.meterId, sequence: reading.sequence, captureTimeMs: reading.captureTimeMs, txTimeMs, blockNum, txId: tx.txId, rawDigest: rawDigest(reading.loopA, reading.loopB) };
        const record = writes.find((w) => w.key.startsWith(MEASUREMENT_PREFIX) && !w.isDelete);
        if (record !== undefined) {
          try {
            const r = JSON.parse(text.decode(record.value)) as { status?: string; speedKmh?: number; speedLimitKmh?: number; speedLimitExceeded?: boolean };
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
        } else if (writes.some((w) => w.key.startsWith(REJECTION_PREFIX))) {
          readings.push({ ...base, status: 'REJECTED' });
        }
      }
    }
  } finally {
    await source.close?.();
  }
  return { readings, meters, blocks, transactions };
}
