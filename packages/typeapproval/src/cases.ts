// SPDX-License-Identifier: Apache-2.0
// The JSON Lines form of reference cases: one case per line, produced by any tool.
import type { ReferenceCase } from '@metroledger/meter';
import { TypeApprovalError } from './errors';

export type CaseTruth = ReferenceCase['truth'];

/** A case read from a JSON line; `truth` is absent in sets made by tools that do not know it. */
export type ParsedCase = Omit<ReferenceCase, 'truth'> & { truth?: CaseTruth };

export function formatCaseLine(c: ReferenceCase | ParsedCase): string {
  return JSON.stringify({
    id: c.id,
    sampleRateHz: c.sampleRateHz,
    loopSpacingM: c.loopSpacingM,
    loopLengthM: c.loopLengthM,
    loopA: Array.from(c.loopA),
    loopB: Array.from(c.loopB),
    ...(c.truth ? { truth: c.truth } : {}),
  });
}

function bad(detail: string): TypeApprovalError {
  return new TypeApprovalError('MALFORMED_CASE', detail);
}

function samples(v: unknown, name: string): Int16Array {
  if (!Array.isArray(v) || v.length === 0) throw bad(`${name} must be a non-empty array of int16 samples`);
  const out = new Int16Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < -32768 || x > 32767) throw bad(`${name}[${i}] is not an int16`);
    out[i] = x;
  }
  return out;
}

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`${name} must be a positive number`);
  return v;
}

function truthOf(v: unknown): CaseTruth {
  const t = v as Record<string, unknown>;
  if (typeof t !== 'object' || t === null || typeof t.valid !== 'boolean') throw bad('truth must be an object with a boolean "valid"');
  if (t.valid) {
    return {
      valid: true,
      speedKmh: positive(t.speedKmh, 'truth.speedKmh'),
      vehicleClass: String(t.vehicleClass ?? 'unknown') as never,
      vehicleLengthM: typeof t.vehicleLengthM === 'number' ? t.vehicleLengthM : NaN,
    };
  }
  return { valid: false, reason: String(t.reason ?? ''), ...(typeof t.scenario === 'string' ? { scenario: t.scenario as never } : {}) };
}

/** Parses one JSON line. Throws `MALFORMED_CASE` with a detail. */
export function parseCaseLine(line: string): ParsedCase {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch (err) {
    throw bad(`not JSON: ${(err as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('a case must be a JSON object');
  if (typeof o.id !== 'string' && typeof o.id !== 'number') throw bad('id must be a string or number');
  const sampleRateHz = positive(o.sampleRateHz, 'sampleRateHz');
  if (!Number.isInteger(sampleRateHz)) throw bad('sampleRateHz must be an integer');
  const c: ParsedCase = {
    id: String(o.id),
    sampleRateHz,
    loopSpacingM: positive(o.loopSpacingM, 'loopSpacingM'),
    loopLengthM: positive(o.loopLengthM, 'loopLengthM'),
    loopA: samples(o.loopA, 'loopA'),
    loopB: samples(o.loopB, 'loopB'),
  };
  if (o.truth !== undefined && o.truth !== null) c.truth = truthOf(o.truth);
  return c;
}
