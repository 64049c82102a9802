// SPDX-License-Identifier: Apache-2.0
// Drives the LR chaincode through fabric-contract-api's own dispatch (as a peer does), with real
// meter keys and real X.509 callers.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { hostChaincodeModule, MemoryState, type ChaincodeResult, type HostedChaincode } from '@metroledger/chaincode-host';
import { decodeSignedReading, LR_SOFTWARE_VERSION, type RawReading } from '@metroledger/lr';
import { ChaincodeErrorCodes, NOTIFIED_BODY_MSP_ID, parseChaincodeErrorMessage, type ChaincodeErrorCode, type MeasurementRecord, type Meter, type MeterRegistration, type Page } from './index';
import { selfSignedCertPem } from './testing/certs';
import { TestMeter } from './testing/meterkeys';
import { quietLoops, vehiclePass } from './testing/signals';

const NS = 'lr';
const OPERATOR_MSP = 'CityTrafficMSP';
const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 1000 };

interface Caller {
  mspId: string;
  idBytes: Uint8Array;
}

let cc: HostedChaincode;
let inmetro: Caller;
let operator: Caller;
let intruder: Caller;
let meter: TestMeter;
let txCounter = 0;

before(async () => {
  cc = hostChaincodeModule({ name: NS, version: '1.0.0', dir: join(__dirname, '..') });
  inmetro = { mspId: NOTIFIED_BODY_MSP_ID, idBytes: Buffer.from(await selfSignedCertPem('registrar', 'Inmetro')) };
  operator = { mspId: OPERATOR_MSP, idBytes: Buffer.from(await selfSignedCertPem('gateway', 'CityTraffic')) };
  intruder = { mspId: 'OtherCityMSP', idBytes: Buffer.from(await selfSignedCertPem('gateway', 'OtherCity')) };
  meter = new TestMeter();
});

async function invoke(state: MemoryState, caller: Caller, fn: string, ...args: string[]): Promise<ChaincodeResult> {
  const n = ++txCounter;
  return cc.invoke(
    {
      channelId: 'metrology',
      txId: `tx${n}`,
      args: [fn, ...args].map((a) => Buffer.from(a)),
      creator: caller,
      timestamp: { seconds: 1_750_000_000 + n, nanos: 0 },
    },
    state,
  );
}

/** Invokes and commits the writes (as a valid transaction would be). */
async function submit(state: MemoryState, caller: Caller, fn: string, ...args: string[]): Promise<ChaincodeResult> {
  const r = await invoke(state, caller, fn, ...args);
  assert.equal(r.response.status, 200, r.response.message);
  state.apply(NS, r.rwset, { blockNum: txCounter, txNum: 0 });
  return r;
}

function payload<T>(r: ChaincodeResult): T {
  assert.equal(r.response.status, 200, r.response.message);
  return JSON.parse(Buffer.from(r.response.payload).toString()) as T;
}

/** The transaction is rejected with `code`, writes nothing, and committing its rwset would change nothing. */
async function assertRejected(state: MemoryState, code: ChaincodeErrorCode, fn: string, caller: Caller, ...args: string[]): Promise<void> {
  const before = JSON.stringify(state.entries(NS));
  const r = await invoke(state, caller, fn, ...args);
  assert.equal(r.response.status, 500);
  assert.ok(r.response.message.startsWith(`${code}: `), `expected ${code}, got: ${r.response.message}`);
  assert.deepEqual(r.rwset.writes, []);
  state.apply(NS, r.rwset, { blockNum: txCounter, txNum: 0 });
  assert.equal(JSON.stringify(state.entries(NS)), before);
}

function registration(overrides: Partial<MeterRegistration> = {}, m: TestMeter = meter): MeterRegistration {
  return {
    meterId: 'SP-0001',
    ownerMspId: OPERATOR_MSP,
    publicKeyPem: m.publicKeyPem,
    geometry: GEOMETRY,
    location: { text: 'Av. Paulista 1000, São Paulo, eastbound', lat: -23.5653, lon: -46.6527 },
    speedLimitKmh: 60,
    model: 'ML-2L v1',
    ...overrides,
  };
}

function reading(sequence: number, overrides: Partial<RawReading> = {}): RawReading {
  return { meterId: 'SP-0001', sequence, captureTimeMs: 1_750_000_000_000 + sequence * 1000, sampleRateHz: 1000, ...vehiclePass(80, 4.5, GEOMETRY), ...overrides };
}

async function registeredState(): Promise<MemoryState> {
  const state = new MemoryState();
  await submit(state, inmetro, 'registerMeter', JSON.stringify(registration()));
  return state;
}

describe('LR chaincode: meter registry', () => {
  it('lets the notified body register a meter, stored with its status and emitted as an event', async () => {
    const state = new MemoryState();
    const r = await submit(state, inmetro, 'registerMeter', JSON.stringify(registration()));
    const stored = payload<Meter>(r);
    assert.equal(stored.status, 'ACTIVE');
    assert.equal(stored.registeredTxId, `tx${txCounter}`);
    assert.equal(stored.registeredAt, new Date((1_750_000_000 + txCounter) * 1000).toISOString());
    assert.equal(r.event?.name, 'MeterRegistered');
    assert.deepEqual(r.rwset.writes.map((w) => w.key), ['\u0000meter\u0000SP-0001\u0000']);
    assert.deepEqual(payload<Meter>(await invoke(state, operator, 'getMeter', 'SP-0001')), stored);
  });

  it('refuses registration and revocation by any other organization', async () => {
    await assertRejected(new MemoryState(), 'ACCESS_DENIED', 'registerMeter', operator, JSON.stringify(registration()));
    const state = await registeredState();
    await assertRejected(state, 'ACCESS_DENIED', 'revokeMeter', operator, 'SP-0001', 'self-revoked');
  });

  it('validates the meter document strictly', async () => {
    const state = await registeredState();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const privatePem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const bad: unknown[] = [
      'not json',
      { ...registration({ meterId: 'SP-2' }), extra: 1 },
      registration({ meterId: '' }),
      registration({ meterId: 'SP\u00002' }),
      registration({ meterId: 'SP-2', publicKeyPem: rsa }),
      registration({ meterId: 'SP-2', publicKeyPem: p384 }),
      registration({ meterId: 'SP-2', publicKeyPem: privatePem }),
      registration({ meterId: 'SP-2', publicKeyPem: meter.publicKeyPem.replace('A', 'B').replace('Q', 'A') }),
      registration({ meterId: 'SP-2', geometry: { loopSpacingM: 0.1, loopLengthM: 0.05, sampleRateHz: 1000 } }),
      registration({ meterId: 'SP-2', geometry: { loopSpacingM: 2, loopLengthM: 3, sampleRateHz: 1000 } }),
      registration({ meterId: 'SP-2', geometry: { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 999.5 } }),
      registration({ meterId: 'SP-2', geometry: { loopSpacingM: '3', loopLengthM: 1.5, sampleRateHz: 1000 } as never }),
      registration({ meterId: 'SP-2', location: { text: 'x', lat: 91, lon: 0 } }),
      registration({ meterId: 'SP-2', speedLimitKmh: 0 }),
      registration({ meterId: 'SP-2', model: '  ' }),
      registration({ meterId: 'SP-2', ownerMspId: 'Org 1' }),
    ];
    for (const doc of bad) {
      await assertRejected(state, 'INVALID_METER', 'registerMeter', inmetro, typeof doc === 'string' ? doc : JSON.stringify(doc));
    }
    await assertRejected(state, 'METER_EXISTS', 'registerMeter', inmetro, JSON.stringify(registration()));
  });

  it('revokes a meter with a reason; a second revocation is refused', async () => {
    const state = await registeredState();
    const r = await submit(state, inmetro, 'revokeMeter', 'SP-0001', 'seal broken at inspection');
    const m = payload<Meter>(r);
    assert.equal(m.status, 'REVOKED');
    assert.equal(m.revocation?.reason, 'seal broken at inspection');
    assert.equal(r.event?.name, 'MeterRevoked');
    await assertRejected(state, 'METER_REVOKED', 'revokeMeter', inmetro, 'SP-0001', 'again');
    await assertRejected(state, 'METER_NOT_FOUND', 'revokeMeter', inmetro, 'SP-9999', 'unknown');
  });

  it('lists meters page by page', async () => {
    const state = new MemoryState();
    for (let i = 1; i <= 5; i++) await submit(state, inmetro, 'registerMeter', JSON.stringify(registration({ meterId: `M-${i}` })));
    const ids: string[] = [];
    let bookmark = '';
    let pages = 0;
    do {
      const page = payload<Page<Meter>>(await invoke(state, operator, 'listMeters', '2', bookmark));
      ids.push(...page.records.map((m) => m.meterId));
      bookmark = page.bookmark;
      pages++;
    } while (bookmark !== '');
    assert.deepEqual(ids, ['M-1', 'M-2', 'M-3', 'M-4', 'M-5']);
    assert.equal(pages, 3);
    await assertRejected(state, 'INVALID_ARGUMENT', 'listMeters', operator, '0', '');
    await assertRejected(state, 'INVALID_ARGUMENT', 'listMeters', operator, '101', '');
  });
});

describe('LR chaincode: readings', () => {
  it('measures an authentic reading with the registered geometry, stores it and emits it', async () => {
    const state = await registeredState();
    const signed = meter.signedBase64(reading(1, { plateImageSha256: new Uint8Array(32).fill(0xab) }));
    const r = await submit(state, operator, 'submitReading', signed);
    const rec = payload<MeasurementRecord>(r);
    const rawReading = decodeSignedReading(Buffer.from(signed, 'base64')).reading;
    assert.deepEqual(rec, {
      meterId: 'SP-0001',
      sequence: 1,
      captureTimeMs: 1_750_000_001_000,
      readingSha256: createHash('sha256').update(rawReading).digest('hex'),
      status: 'MEASURED',
      speedKmh: 80,
      vehicleLengthM: rec.vehicleLengthM,
      speedLimitKmh: 60,
      speedLimitExceeded: true,
      plateImageSha256: 'ab'.repeat(32),
      lrSoftware: { name: 'metroledger-speed', version: LR_SOFTWARE_VERSION },
      txId: `tx${txCounter}`,
      txTimestamp: new Date((1_750_000_000 + txCounter) * 1000).toISOString(),
    });
    assert.equal(typeof rec.vehicleLengthM, 'number');
    assert.equal(r.event?.name, 'Measurement');
    assert.deepEqual(JSON.parse(Buffer.from(r.event!.payload).toString()), rec);
    // Few keys per reading: the meter's last sequence, the record, the sequence index.
    assert.deepEqual(
      r.rwset.writes.map((w) => w.key),
      ['\u0000measurement\u0000SP-0001\u00000001750000001000\u00000000000000000001\u0000', '\u0000meterstate\u0000SP-0001\u0000', '\u0000mseq\u0000SP-0001\u00000000000000000001\u0000'],
    );
    assert.deepEqual(r.rwset.reads.map((rd) => rd.key), ['\u0000meter\u0000SP-0001\u0000', '\u0000meterstate\u0000SP-0001\u0000']);
    assert.deepEqual(payload<MeasurementRecord>(await invoke(state, operator, 'getMeasurement', 'SP-0001', '1')), rec);
  });

  it('stores a reading the LR software refuses, with its code, and advances the sequence', async () => {
    const state = await registeredState();
    const r = await submit(state, operator, 'submitReading', meter.signedBase64(reading(5, quietLoops(1000))));
    const rec = payload<MeasurementRecord>(r);
    assert.equal(rec.status, 'REFUSED');
    assert.equal(rec.refusalCode, 'NO_VEHICLE');
    assert.equal(rec.speedKmh, undefined);
    assert.equal(r.event?.name, 'Measurement');
    await assertRejected(state, 'REPLAYED_SEQUENCE', 'submitReading', operator, meter.signedBase64(reading(5)));
    const mismatch = payload<MeasurementRecord>(await submit(state, operator, 'submitReading', meter.signedBase64(reading(6, { sampleRateHz: 2000 }))));
    assert.equal(mismatch.status, 'REFUSED');
    assert.equal(mismatch.refusalCode, 'SAMPLE_RATE_MISMATCH');
    assert.equal(payload<MeasurementRecord>(await submit(state, operator, 'submitReading', meter.signedBase64(reading(7)))).status, 'MEASURED');
  });

  it('rejects malformed encodings', async () => {
    const state = await registeredState();
    const good = meter.signedBase64(reading(1));
    for (const bad of ['', '!!!!', good.slice(0, -4), good + 'AAAA', Buffer.from('hello world!').toString('base64'), good.slice(1), 'QR==', good.replace(/[+/]/, '-')]) {
      await assertRejected(state, 'MALFORMED_READING', 'submitReading', operator, bad);
    }
  });

  it('rejects a wrong signature and a tampered reading', async () => {
    const state = await registeredState();
    const forger = new TestMeter();
    await assertRejected(state, 'BAD_SIGNATURE', 'submitReading', operator, forger.signedBase64(reading(1)));
    const genuine = Buffer.from(meter.signedBase64(reading(1)), 'base64');
    const tampered = Buffer.from(genuine);
    tampered[200] = tampered[200]! ^ 0x01; // a loop sample inside the signed reading
    await assertRejected(state, 'BAD_SIGNATURE', 'submitReading', operator, tampered.toString('base64'));
    await submit(state, operator, 'submitReading', genuine.toString('base64'));
  });

  it('rejects readings of unknown and revoked meters', async () => {
    const state = await registeredState();
    await assertRejected(state, 'METER_NOT_FOUND', 'submitReading', operator, meter.signedBase64(reading(1, { meterId: 'SP-0404' })));
    await submit(state, inmetro, 'revokeMeter', 'SP-0001', 'decommissioned');
    await assertRejected(state, 'METER_REVOKED', 'submitReading', operator, meter.signedBase64(reading(1)));
  });

  it('rejects replayed and older sequences', async () => {
    const state = await registeredState();
    const first = meter.signedBase64(reading(10));
    await submit(state, operator, 'submitReading', first);
    await assertRejected(state, 'REPLAYED_SEQUENCE', 'submitReading', operator, first);
    await assertRejected(state, 'REPLAYED_SEQUENCE', 'submitReading', operator, meter.signedBase64(reading(9)));
    await submit(state, operator, 'submitReading', meter.signedBase64(reading(11)));
  });

  it('rejects readings submitted by an organization that does not own the meter', async () => {
    const state = await registeredState();
    await assertRejected(state, 'ACCESS_DENIED', 'submitReading', intruder, meter.signedBase64(reading(1)));
    await assertRejected(state, 'ACCESS_DENIED', 'submitReading', inmetro, meter.signedBase64(reading(1)));
  });

  it('gives identical results on independent endorsers (deterministic)', async () => {
    const other = hostChaincodeModule({ name: NS, version: '1.0.0', dir: join(__dirname, '..') });
    const stateA = await registeredState();
    const stateB = new MemoryState();
    for (const e of stateA.entries(NS)) stateB.put(NS, e.key, e.value, e.version);
    const inv = { channelId: 'metrology', txId: 'same-tx', args: ['submitReading', meter.signedBase64(reading(3))].map((a) => Buffer.from(a)), creator: operator, timestamp: { seconds: 1_760_000_000, nanos: 42 } };
    assert.deepEqual(await cc.invoke(inv, stateA), await other.invoke(inv, stateB));
  });
});

describe('LR chaincode: queries', () => {
  it('finds measurements by sequence and by capture-time window, page by page', async () => {
    const state = await registeredState();
    // Capture times out of sequence order (meter clock adjusted): queries follow capture time.
    const times = [5000, 1000, 3000, 2000, 4000, 6000, 7000];
    for (let i = 0; i < times.length; i++) {
      await submit(state, operator, 'submitReading', meter.signedBase64(reading(i + 1, { captureTimeMs: times[i]! })));
    }
    assert.equal(payload<MeasurementRecord>(await invoke(state, operator, 'getMeasurement', 'SP-0001', '3')).captureTimeMs, 3000);
    await assertRejected(state, 'MEASUREMENT_NOT_FOUND', 'getMeasurement', operator, 'SP-0001', '99');
    await assertRejected(state, 'INVALID_ARGUMENT', 'getMeasurement', operator, 'SP-0001', '-1');

    const seen: number[] = [];
    let bookmark = '';
    let pages = 0;
    do {
      const page = payload<Page<MeasurementRecord>>(await invoke(state, operator, 'queryMeasurements', 'SP-0001', '2000', '6000', '2', bookmark));
      seen.push(...page.records.map((m) => m.captureTimeMs));
      bookmark = page.bookmark;
      pages++;
    } while (bookmark !== '' && pages < 10);
    assert.deepEqual(seen, [2000, 3000, 4000, 5000], '[fromMs, toMs): 6000 excluded');
    assert.equal(pages, 2, 'the last page ends at toMs with an empty bookmark');
    const all = payload<Page<MeasurementRecord>>(await invoke(state, operator, 'queryMeasurements', 'SP-0001', '0', '9007199254740991', '100', ''));
    assert.deepEqual(all.records.map((m) => m.sequence), [2, 4, 3, 5, 1, 6, 7]);
    assert.equal(all.bookmark, '');
    const none = payload<Page<MeasurementRecord>>(await invoke(state, operator, 'queryMeasurements', 'SP-0404', '0', '9999', '10', ''));
    assert.deepEqual(none, { records: [], bookmark: '' });
    await assertRejected(state, 'INVALID_ARGUMENT', 'queryMeasurements', operator, 'SP-0001', '10', '5', '10', '');
    await assertRejected(state, 'INVALID_ARGUMENT', 'queryMeasurements', operator, 'SP-0001', '0', '10', '10', 'bm90LWEta2V5');
  });
});

describe('LR chaincode errors', () => {
  it('parses codes back out of response messages', () => {
    assert.deepEqual(parseChaincodeErrorMessage('METER_NOT_FOUND: meter X is not registered'), { code: 'METER_NOT_FOUND', detail: 'meter X is not registered' });
    assert.deepEqual(parseChaincodeErrorMessage('chaincode response 500, BAD_SIGNATURE: nope'), { code: 'BAD_SIGNATURE', detail: 'nope' });
    assert.equal(parseChaincodeErrorMessage('SOMETHING_ELSE: x'), undefined);
    assert.equal(ChaincodeErrorCodes.REPLAYED_SEQUENCE, 'REPLAYED_SEQUENCE');
  });
});
