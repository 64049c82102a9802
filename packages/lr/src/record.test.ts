// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSpeed, LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION, measurementRecord, type RawReading } from './index';

const geometry = { loopSpacingM: 3, loopLengthM: 2, sampleRateHz: 1000 };
const context = {
  readingSha256: 'ab'.repeat(32),
  meterKeyIndex: 2,
  chaincodeName: 'lr',
  chaincodeVersion: '1.0',
  txId: 'tx1',
  txTimestamp: '2025-06-15T12:00:00.000Z',
};

/** A box vehicle of 4.5 m over 2 m loops at `kmh`, noise-free but for a little dither. */
function reading(kmh: number, extra: Partial<RawReading> = {}): RawReading {
  const v = kmh / 3.6;
  const n = Math.ceil((0.3 + (geometry.loopSpacingM + geometry.loopLengthM + 4.5) / v + 0.3) * geometry.sampleRateHz);
  const loop = (edge: number): Int16Array =>
    Int16Array.from({ length: n }, (_, i) => {
      const s = v * (i / geometry.sampleRateHz - 0.3);
      const overlap = Math.max(0, Math.min(s, edge + geometry.loopLengthM) - Math.max(s - 4.5, edge));
      return Math.round(100 + 2000 * (overlap / geometry.loopLengthM) + ((i * 7919) % 13) - 6);
    });
  return {
    meterId: 'SP-1',
    sequence: 7,
    captureTimeMs: 1_750_000_000_000,
    sampleRateHz: geometry.sampleRateHz,
    loopA: loop(0),
    loopB: loop(geometry.loopSpacingM),
    ...extra,
  };
}

test('a measured record carries the decision, the limit check and where it was made, in a fixed key order', () => {
  const r = reading(72, { plateImageSha256: new Uint8Array(32).fill(0x0f) });
  const decision = decideSpeed(r, { geometry });
  assert.equal(decision.kind, 'measurement');
  if (decision.kind !== 'measurement') return;
  const rec = measurementRecord(r, { geometry, speedLimitKmh: 60 }, context);
  assert.deepEqual(Object.keys(rec), [
    'meterId',
    'sequence',
    'captureTimeMs',
    'readingSha256',
    'status',
    'speedKmh',
    'vehicleLengthM',
    'speedLimitKmh',
    'speedLimitExceeded',
    'plateImageSha256',
    'lrSoftware',
    'meterKeyIndex',
    'txId',
    'txTimestamp',
  ]);
  assert.deepEqual(rec, {
    meterId: 'SP-1',
    sequence: 7,
    captureTimeMs: 1_750_000_000_000,
    readingSha256: context.readingSha256,
    status: 'MEASURED',
    speedKmh: decision.speedKmh,
    vehicleLengthM: decision.vehicleLengthM,
    speedLimitKmh: 60,
    speedLimitExceeded: true,
    plateImageSha256: '0f'.repeat(32),
    lrSoftware: { name: LR_SOFTWARE_NAME, version: LR_SOFTWARE_VERSION, chaincodeName: 'lr', chaincodeVersion: '1.0' },
    meterKeyIndex: 2,
    txId: 'tx1',
    txTimestamp: context.txTimestamp,
  });
  assert.equal(measurementRecord(r, { geometry, speedLimitKmh: 80 }, context).speedLimitExceeded, false);
});

test('a refused record carries the refusal code and detail, and no speed', () => {
  const rec = measurementRecord(reading(72, { sampleRateHz: 2000 }), { geometry, speedLimitKmh: 60 }, context);
  assert.deepEqual(Object.keys(rec), [
    'meterId',
    'sequence',
    'captureTimeMs',
    'readingSha256',
    'status',
    'speedLimitKmh',
    'refusalCode',
    'refusalDetail',
    'lrSoftware',
    'meterKeyIndex',
    'txId',
    'txTimestamp',
  ]);
  assert.equal(rec.status, 'REFUSED');
  assert.equal(rec.refusalCode, 'SAMPLE_RATE_MISMATCH');
  assert.equal(rec.refusalDetail, 'meter reports 2000 Hz, registered 1000 Hz');
});

test('the code digest the chaincode reports is recorded after its version, and only when it knows one', () => {
  const r = reading(72);
  const withDigest = measurementRecord(r, { geometry, speedLimitKmh: 60 }, { ...context, codeDigest: 'cd'.repeat(32) });
  assert.deepEqual(withDigest.lrSoftware, {
    name: LR_SOFTWARE_NAME,
    version: LR_SOFTWARE_VERSION,
    chaincodeName: 'lr',
    chaincodeVersion: '1.0',
    codeDigest: 'cd'.repeat(32),
  });
  assert.deepEqual(Object.keys(withDigest.lrSoftware), ['name', 'version', 'chaincodeName', 'chaincodeVersion', 'codeDigest']);
  assert.equal('codeDigest' in measurementRecord(r, { geometry, speedLimitKmh: 60 }, context).lrSoftware, false);
});
