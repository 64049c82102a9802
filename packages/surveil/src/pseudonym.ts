// SPDX-License-Identifier: Apache-2.0
// Pseudonymous meter identifiers for published surveillance reports (paper, IX-2). A meter's
// pseudonym is a keyed hash of its id under the key of a rotation period:
//   periodKey = HMAC-SHA256(secret, "metroledger/pseudonym/v1/" + period)
//   pseudonym = "P-" + first 16 base32 characters of HMAC-SHA256(periodKey, meterId)
// Within a period every report names a meter by the same pseudonym, so its statistics can be
// followed and compared; across periods the pseudonyms cannot be linked without the secret. The
// rotation (day, ISO week or calendar month, UTC) is published with the report; the secret stays
// with the publisher, who alone can say which meter a pseudonym is. Whoever may read the ledger
// computes the same statistics under the real ids (metroledger surveil without pseudonyms).
//
// The public report also drops what would undo the pseudonyms or reach into the ledger: meter
// locations (a camera's place names it), transaction ids and block numbers.
import { createHmac } from 'node:crypto';
import { SurveilError } from './errors';
import type { Flag, HourlyStats, MeterStats, SurveilReport } from './surveil';

export type PseudonymRotation = 'day' | 'week' | 'month';

export interface PseudonymOptions {
  /** The publisher's secret, at least 32 bytes. */
  readonly secret: Uint8Array;
  /** Default 'month'. */
  readonly rotation?: PseudonymRotation;
  /** The period to name meters under; default: that of the report's last hour of data. */
  readonly period?: string;
}

export interface PublicSurveilReport extends Omit<SurveilReport, 'meters' | 'hourly' | 'flags'> {
  readonly meters: Omit<MeterStats, 'location' | 'lat' | 'lon'>[];
  readonly hourly: HourlyStats[];
  readonly flags: Omit<Flag, 'txId' | 'blockNum'>[];
  readonly pseudonyms: {
    readonly scheme: 'HMAC-SHA256/v1';
    readonly rotation: PseudonymRotation;
    readonly period: string;
  };
}

/** What a public report leaves out wherever it appears. */
const HIDDEN = new Set(['txId', 'blockNum', 'location', 'lat', 'lon']);

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** The rotation period a time falls in (UTC): `2025-06-04`, `2025-W23` (ISO week) or `2025-06`. */
export function pseudonymPeriod(timeMs: number, rotation: PseudonymRotation = 'month'): string {
  const d = new Date(timeMs);
  const ymd = d.toISOString().slice(0, 10);
  if (rotation === 'day') return ymd;
  if (rotation === 'month') return ymd.slice(0, 7);
  // ISO 8601 week: the week with the year's first Thursday is week 1
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** A meter's pseudonym in a period. */
export function meterPseudonym(secret: Uint8Array, period: string, meterId: string): string {
  if (secret.length < 32) throw new SurveilError('BAD_OPTION', 'the pseudonym secret must have at least 32 bytes');
  const periodKey = createHmac('sha256', secret).update(`metroledger/pseudonym/v1/${period}`).digest();
  return `P-${base32(createHmac('sha256', periodKey).update(meterId).digest()).slice(0, 16)}`;
}

/** The report as it may be published: meters under their pseudonyms, no locations, no ledger references. */
export function pseudonymizeReport(report: SurveilReport, options: PseudonymOptions): PublicSurveilReport {
  const rotation = options.rotation ?? 'month';
  const lastHour = report.hourly.reduce((a, h) => (h.hour > a ? h.hour : a), '');
  const period = options.period ?? pseudonymPeriod(lastHour === '' ? Date.parse(report.generatedAt) : Date.parse(lastHour), rotation);
  const ids = new Set<string>([
    ...report.meters.map((m) => m.meterId),
    ...report.hourly.map((h) => h.meterId),
    ...report.flags.map((f) => f.meterId),
  ]);
  const names = new Map([...ids].map((id) => [id, meterPseudonym(options.secret, period, id)]));
  const name = (id: string): string => names.get(id) ?? meterPseudonym(options.secret, period, id);
  // meter ids inside messages and details, longest first so that no id is replaced inside a longer one
  const escaped = [...ids].sort((a, b) => b.length - a.length).map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = escaped.length === 0 ? undefined : new RegExp(`(?<![\\w-])(${escaped.join('|')})(?![\\w-])`, 'g');
  const scrub = (text: string): string =>
    pattern === undefined ? text : text.replace(pattern, (id) => name(id)).replace(/\b(block|blocks) \d+( and \d+)?/g, '$1 …');
  const scrubValue = (v: unknown): unknown => {
    if (typeof v === 'string') return ids.has(v) ? name(v) : scrub(v);
    if (Array.isArray(v)) return v.map(scrubValue);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !HIDDEN.has(k))
          .map(([k, x]) => [k, scrubValue(x)]),
      );
    return v;
  };
  return {
    ...report,
    meters: report.meters
      .map(({ location: _l, lat: _a, lon: _o, ...m }) => ({ ...m, meterId: name(m.meterId) }))
      .sort((a, b) => (a.meterId < b.meterId ? -1 : 1)),
    hourly: report.hourly.map((h) => ({ ...h, meterId: name(h.meterId) })),
    flags: report.flags.map(({ txId: _t, blockNum: _b, ...f }) => ({
      ...f,
      meterId: name(f.meterId),
      message: scrub(f.message),
      ...(f.details !== undefined && { details: scrubValue(f.details) as Record<string, unknown> }),
    })),
    pseudonyms: { scheme: 'HMAC-SHA256/v1', rotation, period },
  };
}
