// SPDX-License-Identifier: Apache-2.0
// Strict checks of the chaincode's string arguments. Everything arrives as text from the client.
import { createPublicKey } from 'node:crypto';
import { geometryProblem, MAX_SPEED_KMH } from '@metroledger/lr';
import { ChaincodeError } from './errors';
import type { MeterRegistration } from './types';

// A Fabric peer returns a page of more than 100 results to a Node chaincode without its bookmark.
export const MAX_PAGE_SIZE = 100;

function invalidMeter(detail: string): ChaincodeError {
  return new ChaincodeError('INVALID_METER', detail);
}

function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export function checkMeterId(meterId: unknown, code: 'INVALID_METER' | 'INVALID_ARGUMENT' = 'INVALID_ARGUMENT'): string {
  if (typeof meterId !== 'string' || meterId.length < 1 || meterId.length > 64 || !isPrintableAscii(meterId)) {
    throw new ChaincodeError(code, 'meterId must be 1..64 printable ASCII characters');
  }
  return meterId;
}

function exactKeys(obj: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw invalidMeter(`${what} must be an object`);
  const record = obj as Record<string, unknown>;
  for (const k of Object.keys(record)) if (!keys.includes(k)) throw invalidMeter(`${what} has an unknown field "${k}"`);
  for (const k of keys) if (!(k in record)) throw invalidMeter(`${what} lacks the field "${k}"`);
  return record;
}

function text(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > max)
    throw invalidMeter(`${what} must be a non-blank string of at most ${max} characters`);
  return v;
}

function number(v: unknown, what: string, min: number, max: number): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
  if (!ok) throw invalidMeter(`${what} must be a number in [${min}, ${max}]`);
  return v as number;
}

const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\r?\n?$/;

/** Parses a P-256 SubjectPublicKeyInfo PEM and returns its canonical PEM form. Throws INVALID_METER. */
export function p256PublicKeyPem(v: unknown): string {
  if (typeof v !== 'string' || v.length > 4096 || !PEM_PUBLIC_KEY.test(v)) {
    throw invalidMeter('publicKeyPem must be a PEM "PUBLIC KEY" block');
  }
  let key;
  try {
    key = createPublicKey({ key: v, format: 'pem' });
  } catch (err) {
    throw invalidMeter(`publicKeyPem does not parse: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw invalidMeter('publicKeyPem must be an ECDSA P-256 key');
  }
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** Parses and checks `registerMeter`'s JSON argument. Throws INVALID_METER. */
export function parseMeterRegistration(json: string): MeterRegistration {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    throw invalidMeter('not valid JSON');
  }
  const m = exactKeys(obj, 'meter', ['meterId', 'ownerMspId', 'publicKeyPem', 'geometry', 'location', 'speedLimitKmh', 'model']);
  const meterId = checkMeterId(m.meterId, 'INVALID_METER');
  const ownerMspId = m.ownerMspId;
  if (typeof ownerMspId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(ownerMspId)) {
    throw invalidMeter('ownerMspId must be an MSP id (letters, digits, ".", "_", "-"; at most 128)');
  }
  const g = exactKeys(m.geometry, 'geometry', ['loopSpacingM', 'loopLengthM', 'sampleRateHz']);
  // The LR software owns the geometries it measures with; a meter outside them is not registered.
  const problem = geometryProblem(g as Record<'loopSpacingM' | 'loopLengthM' | 'sampleRateHz', unknown>);
  if (problem) throw invalidMeter(`geometry.${problem.field} ${problem.rule}`);
  const geometry = { loopSpacingM: g.loopSpacingM as number, loopLengthM: g.loopLengthM as number, sampleRateHz: g.sampleRateHz as number };
  const l = exactKeys(m.location, 'location', ['text', 'lat', 'lon']);
  return {
    meterId,
    ownerMspId,
    publicKeyPem: p256PublicKeyPem(m.publicKeyPem),
    geometry,
    location: {
      text: text(l.text, 'location.text', 256),
      lat: number(l.lat, 'location.lat', -90, 90),
      lon: number(l.lon, 'location.lon', -180, 180),
    },
    speedLimitKmh: number(m.speedLimitKmh, 'speedLimitKmh', 1, MAX_SPEED_KMH), // a limit above the measuring range could never be enforced
    model: text(m.model, 'model', 128),
  };
}

/** A non-negative safe integer written in decimal without sign, leading zeros or exponent. */
export function parseUint(v: string, what: string): number {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new ChaincodeError('INVALID_ARGUMENT', `${what} must be a non-negative integer`);
  }
  return Number(v);
}

export function parsePageSize(v: string): number {
  const n = parseUint(v, 'pageSize');
  if (n < 1 || n > MAX_PAGE_SIZE) throw new ChaincodeError('INVALID_ARGUMENT', `pageSize must be 1..${MAX_PAGE_SIZE}`);
  return n;
}

/** Strict standard base64 (padded, canonical): exactly one string encodes given bytes. */
export function decodeBase64Strict(v: string, what: string): Buffer {
  if (typeof v !== 'string' || v.length % 4 !== 0) throw new ChaincodeError('MALFORMED_READING', `${what} is not padded standard base64`);
  // Re-encoding gives back v only for canonical padded standard base64, so a match needs no
  // character check (a regex over a 12 KB reading cost more than the decoding); the check only
  // picks the message of a refusal.
  const bytes = Buffer.from(v, 'base64');
  if (bytes.toString('base64') === v) return bytes;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new ChaincodeError('MALFORMED_READING', `${what} is not padded standard base64`);
  throw new ChaincodeError('MALFORMED_READING', `${what} is not canonical base64`);
}
