// SPDX-License-Identifier: Apache-2.0
// Drives the LR chaincode through fabric-contract-api's own dispatch (as a peer does), hosted beside
// the governance chaincode it reads, with real meter keys and real X.509 identities (NodeOUs).
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { decodeSignedReading, LR_SOFTWARE_VERSION, verifyReadingSignature, type RawReading } from '@metroledger/lr';
import { GOVERNANCE_CHAINCODE_NAME as GOVERNANCE_NAME, NOTIFIED_BODY_MSP_ID as GOVERNANCE_NB } from '@metroledger/governance';
import {
  modelApproval,
  payload,
  TABLE_COLUMNS,
  testOrgs,
  TestNetwork,
  type TableColumn,
  type TestCaller,
  type TestOrgs,
} from '@metroledger/governance/testing/network';
import {
  ChaincodeErrorCodes,
  GOVERNANCE_CHAINCODE_NAME,
  NOTIFIED_BODY_MSP_ID,
  LR_CHAINCODE_VERSION,
  MAX_RECORDED_REJECTIONS,
  meterKeyForSequence,
  parseChaincodeErrorMessage,
  type MeasurementRecord,
  type Meter,
  type MeterRegistration,
  type Page,
  type ReadingRejection,
} from './index';
import { TestMeter } from './testing/meterkeys';
import { quietLoops, vehiclePass } from './testing/signals';

const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 1000 };
const MODEL = 'ML-2L v1';
const LR_DIR = join(__dirname, '..');
const GOVERNANCE_DIR = dirname(require.resolve('@metroledger/governance/package.json'));

let t: TestOrgs;
let meter: TestMeter;
let inmetro: TestCaller; // the notified body's registrar (a client identity)
let owner: TestCaller; // CETSP, the meter owner's gateway client

before(async () => {
  t = await testOrgs();
  meter = new TestMeter();
  inmetro = t.callers.inmetroClient;
  owner = t.callers.cetspClient;
});

/** Both chaincodes on one state; the paper's organizations registered, LR 1.0 approved, MODEL approved with it. */
async function network(opts: { model?: boolean } = {}): Promise<TestNetwork> {
  const net = new TestNetwork([
    { name: 'governance', version: '1.0', dir: GOVERNANCE_DIR },
    { name: 'lr', version: LR_CHAINCODE_VERSION, dir: LR_DIR },
  ]);
  await net.bootstrap(t, { versions: [LR_CHAINCODE_VERSION], ...(opts.model === false ? {} : { model: MODEL }) });
  return net;
}

function registration(overrides: Partial<MeterRegistration> = {}, m: TestMeter = meter): MeterRegistration {
  return {
    meterId: 'SP-0001',
    ownerMspId: 'CETSPMSP',
    publicKeyPem: m.publicKeyPem,
    geometry: GEOMETRY,
    location: { text: 'Av. Paulista 1000, São Paulo, eastbound', lat: -23.5653, lon: -46.6527 },
    speedLimitKmh: 60,
    model: MODEL,
    ...overrides,
  };
}

function reading(sequence: number, overrides: Partial<RawReading> = {}): RawReading {
  return {
    meterId: 'SP-0001',
    sequence,
    captureTimeMs: 1_750_000_000_000 + sequence * 1000,
    sampleRateHz: 1000,
    ...vehiclePass(80, 4.5, GEOMETRY),
    ...overrides,
  };
}

async function registeredNetwork(): Promise<TestNetwork> {
  const net = await network();
  await net.submit('lr', inmetro, 'registerMeter', JSON.stringify(registration()));
  return net;
}

describe('LR chaincode: meter registry', () => {
  it('lets the notified body register a meter of an approved model, with its first key, and emits it', async () => {
    const net = await network();
    const r = await net.submit('lr', inmetro, 'registerMeter', JSON.stringify(registration()));
    const stored = payload<Meter>(r);
    assert.equal(stored.status, 'ACTIVE');
    assert.equal(stored.registeredTxId, net.lastTxId);
    assert.equal(stored.registeredAt, TestNetwork.txTime(net.txCount));
    assert.deepEqual(stored.keyHistory, [
      {
        publicKeyPem: meter.publicKeyPem,
        validFromSequence: 0,
        validFromTxId: net.lastTxId,
        validFrom: stored.registeredAt,
        reason: 'registration',
      },
    ]);
    assert.equal(r.event?.name, 'MeterRegistered');
    assert.deepEqual(
      r.rwset.writes.map((w) => w.key),
      ['\u0000meter\u0000SP-0001\u0000'],
    );
    // The governance reads (owner organization, model, LR version) are part of the transaction.
    assert.deepEqual(
      r.rwsets.map((rw) => rw.namespace),
      ['lr', 'governance'],
    );
    assert.deepEqual(
      r.rwsets[1]!.reads.map((rd) => rd.key),
      ['\u0000lrsw\u0000lr\u00001.0\u0000', '\u0000model\u0000ML-2L v1\u0000', '\u0000org\u0000CETSPMSP\u0000'],
    );
    assert.deepEqual(r.rwsets[1]!.writes, []);
    assert.deepEqual(await net.query<Meter>('lr', owner, 'getMeter', 'SP-0001'), stored);
  });

  it('requires a registered meter-owner organization, a type-approved model and an approved LR version', async () => {
    const net = await network();
    await net.assertRejected('lr', 'INVALID_METER', inmetro, 'registerMeter', JSON.stringify(registration({ ownerMspId: 'LaSIGEMSP' })));
    await net.assertRejected('lr', 'INVALID_METER', inmetro, 'registerMeter', JSON.stringify(registration({ ownerMspId: 'RogueMSP' })));
    await net.assertRejected('lr', 'MODEL_NOT_APPROVED', inmetro, 'registerMeter', JSON.stringify(registration({ model: 'Unapproved X' })));
    // A model approved with no LR version (suspended), or only with another version.
    await net.submit('governance', t.callers.inmetroAdmin, 'approveMeterModel', JSON.stringify(modelApproval('Suspended', [])));
    await net.assertRejected(
      'lr',
      'LR_VERSION_NOT_APPROVED',
      inmetro,
      'registerMeter',
      JSON.stringify(registration({ model: 'Suspended' })),
    );
    const other = await network({ model: false });
    await other.submit('governance', t.callers.inmetroAdmin, 'withdrawLrSoftware', 'lr', LR_CHAINCODE_VERSION, 'defect');
    await other.submit('governance', t.callers.inmetroAdmin, 'approveMeterModel', JSON.stringify(modelApproval(MODEL, [])));
    await other.assertRejected('lr', 'LR_VERSION_NOT_APPROVED', inmetro, 'registerMeter', JSON.stringify(registration()));
  });

  it('validates the meter document strictly', async () => {
    const net = await registeredNetwork();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const privatePem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
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
      await net.assertRejected('lr', 'INVALID_METER', inmetro, 'registerMeter', typeof doc === 'string' ? doc : JSON.stringify(doc));
    }
    await net.assertRejected('lr', 'METER_EXISTS', inmetro, 'registerMeter', JSON.stringify(registration()));
  });

  it('revokes a meter with a reason; a second revocation is refused', async () => {
    const net = await registeredNetwork();
    const r = await net.submit('lr', t.callers.inmetroAdmin, 'revokeMeter', 'SP-0001', 'seal broken at inspection');
    const m = payload<Meter>(r);
    assert.equal(m.status, 'REVOKED');
    assert.equal(m.revocation?.reason, 'seal broken at inspection');
    assert.equal(r.event?.name, 'MeterRevoked');
    await net.assertRejected('lr', 'METER_REVOKED', inmetro, 'revokeMeter', 'SP-0001', 'again');
    await net.assertRejected('lr', 'METER_NOT_FOUND', inmetro, 'revokeMeter', 'SP-9999', 'unknown');
    await net.assertRejected('lr', 'INVALID_ARGUMENT', inmetro, 'revokeMeter', 'SP-0001', '');
  });

  it('lists meters page by page', async () => {
    const net = await network();
    for (let i = 1; i <= 5; i++) await net.submit('lr', inmetro, 'registerMeter', JSON.stringify(registration({ meterId: `M-${i}` })));
    const ids: string[] = [];
    let bookmark = '';
    let pages = 0;
    do {
      const page = await net.query<Page<Meter>>('lr', owner, 'listMeters', '2', bookmark);
      ids.push(...page.records.map((m) => m.meterId));
      bookmark = page.bookmark;
      pages++;
    } while (bookmark !== '');
    assert.deepEqual(ids, ['M-1', 'M-2', 'M-3', 'M-4', 'M-5']);
    assert.equal(pages, 3);
    await net.assertRejected('lr', 'INVALID_ARGUMENT', owner, 'listMeters', '0', '');
    await net.assertRejected('lr', 'INVALID_ARGUMENT', owner, 'listMeters', '101', '');
  });
});

describe('LR chaincode: meter key rotation', () => {
  it('refuses the old key after rotation; every record verifies with the key valid for its sequence', async () => {
    const net = await registeredNetwork();
    const submitted = new Map<number, string>();
    const send = async (m: TestMeter, seq: number): Promise<MeasurementRecord> => {
      const signed = m.signedBase64(reading(seq));
      submitted.set(seq, signed);
      return payload<MeasurementRecord>(await net.submit('lr', owner, 'submitReading', signed));
    };
    assert.equal((await send(meter, 1)).meterKeyIndex, 0);
    await send(meter, 2);
    const replacement = new TestMeter();
    const r = await net.submit(
      'lr',
      t.callers.inmetroAdmin,
      'rotateMeterKey',
      'SP-0001',
      replacement.publicKeyPem,
      'signing chip replaced',
    );
    const rotated = payload<Meter>(r);
    assert.equal(r.event?.name, 'MeterKeyRotated');
    assert.equal(rotated.publicKeyPem, replacement.publicKeyPem);
    assert.deepEqual(
      rotated.keyHistory.map((k) => [k.validFromSequence, k.reason]),
      [
        [0, 'registration'],
        [3, 'signing chip replaced'],
      ],
    );
    assert.equal(rotated.keyHistory[1]!.validFromTxId, net.lastTxId);
    assert.equal(rotated.keyHistory[1]!.validFrom, TestNetwork.txTime(net.txCount));
    // The old key no longer signs new readings.
    await net.assertRejected('lr', 'BAD_SIGNATURE', owner, 'submitReading', meter.signedBase64(reading(3)));
    const third = await send(replacement, 3);
    assert.equal(third.meterKeyIndex, 1);
    await send(replacement, 4);
    // An auditor re-verifies each stored record against the key valid for it.
    const m = await net.query<Meter>('lr', t.callers.lasigeClient, 'getMeter', 'SP-0001');
    for (const [seq, signed] of submitted) {
      const rec = await net.query<MeasurementRecord>('lr', t.callers.lasigeClient, 'getMeasurement', 'SP-0001', String(seq));
      const key = meterKeyForSequence(m, seq)!;
      assert.equal(key, m.keyHistory[rec.meterKeyIndex]);
      const { reading: bytes, signature } = decodeSignedReading(Buffer.from(signed, 'base64'));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), rec.readingSha256);
      assert.equal(verifyReadingSignature(bytes, signature, key.publicKeyPem), true, `reading ${seq}`);
      assert.equal(verifyReadingSignature(bytes, signature, m.keyHistory[1 - rec.meterKeyIndex]!.publicKeyPem), false);
    }
  });

  it('refuses rotation to a reused or malformed key, of unknown or revoked meters, and by others', async () => {
    const net = await registeredNetwork();
    const fresh = new TestMeter().publicKeyPem;
    await net.assertRejected('lr', 'INVALID_ARGUMENT', inmetro, 'rotateMeterKey', 'SP-0001', meter.publicKeyPem, 'same key');
    await net.assertRejected('lr', 'INVALID_ARGUMENT', inmetro, 'rotateMeterKey', 'SP-0001', 'not a key', 'garbage');
    await net.assertRejected('lr', 'INVALID_ARGUMENT', inmetro, 'rotateMeterKey', 'SP-0001', fresh, ' ');
    await net.assertRejected('lr', 'METER_NOT_FOUND', inmetro, 'rotateMeterKey', 'SP-0404', fresh, 'unknown');
    await net.assertRejected('lr', 'ACCESS_DENIED', owner, 'rotateMeterKey', 'SP-0001', fresh, 'owner cannot');
    await net.submit('lr', inmetro, 'revokeMeter', 'SP-0001', 'decommissioned');
    await net.assertRejected('lr', 'METER_REVOKED', inmetro, 'rotateMeterKey', 'SP-0001', fresh, 'too late');
  });
});

describe('LR chaincode: readings', () => {
  it('measures an authentic reading with the registered geometry, stores it attributed to this LR version, and emits it', async () => {
    const net = await registeredNetwork();
    const signed = meter.signedBase64(reading(1, { plateImageSha256: new Uint8Array(32).fill(0xab) }));
    const r = await net.submit('lr', owner, 'submitReading', signed);
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
      lrSoftware: { name: 'metroledger-speed', version: LR_SOFTWARE_VERSION, chaincodeName: 'lr', chaincodeVersion: LR_CHAINCODE_VERSION },
      meterKeyIndex: 0,
      txId: net.lastTxId,
      txTimestamp: TestNetwork.txTime(net.txCount),
    });
    assert.equal(typeof rec.vehicleLengthM, 'number');
    assert.equal(r.event?.name, 'Measurement');
    assert.deepEqual(JSON.parse(Buffer.from(r.event!.payload).toString()), rec);
    // Few keys per reading: the meter's last sequence, the record, the sequence index.
    assert.deepEqual(
      r.rwset.writes.map((w) => w.key),
      [
        '\u0000measurement\u0000SP-0001\u00000001750000001000\u00000000000000000001\u0000',
        '\u0000meterstate\u0000SP-0001\u0000',
        '\u0000mseq\u0000SP-0001\u00000000000000000001\u0000',
      ],
    );
    assert.deepEqual(
      r.rwset.reads.map((rd) => rd.key),
      ['\u0000meter\u0000SP-0001\u0000', '\u0000meterstate\u0000SP-0001\u0000'],
    );
    // The approval it ran under is read from the governance chaincode, with versions (MVCC-checked at commit).
    const gov = r.rwsets[1]!;
    assert.equal(gov.namespace, 'governance');
    const modelEntry = net.state.entries('governance').find((e) => e.key === '\u0000model\u0000ML-2L v1\u0000')!;
    assert.deepEqual(
      gov.reads.find((rd) => rd.key === modelEntry.key),
      { key: modelEntry.key, version: modelEntry.version },
    );
    assert.deepEqual(await net.query<MeasurementRecord>('lr', owner, 'getMeasurement', 'SP-0001', '1'), rec);
  });

  it('stores a reading the LR software refuses, with its code, and advances the sequence', async () => {
    const net = await registeredNetwork();
    const r = await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(5, quietLoops(1000))));
    const rec = payload<MeasurementRecord>(r);
    assert.equal(rec.status, 'REFUSED');
    assert.equal(rec.refusalCode, 'NO_VEHICLE');
    assert.equal(rec.speedKmh, undefined);
    assert.equal(r.event?.name, 'Measurement');
    await net.assertRejected('lr', 'REPLAYED_SEQUENCE', owner, 'submitReading', meter.signedBase64(reading(5)));
    const mismatch = payload<MeasurementRecord>(
      await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(6, { sampleRateHz: 2000 }))),
    );
    assert.equal(mismatch.status, 'REFUSED');
    assert.equal(mismatch.refusalCode, 'SAMPLE_RATE_MISMATCH');
    assert.equal(
      payload<MeasurementRecord>(await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(7)))).status,
      'MEASURED',
    );
  });

  it('rejects malformed encodings', async () => {
    const net = await registeredNetwork();
    const good = meter.signedBase64(reading(1));
    for (const bad of [
      '',
      '!!!!',
      good.slice(0, -4),
      good + 'AAAA',
      Buffer.from('hello world!').toString('base64'),
      good.slice(1),
      'QR==',
      good.replace(/[+/]/, '-'),
    ]) {
      await net.assertRejected('lr', 'MALFORMED_READING', owner, 'submitReading', bad);
    }
  });

  it('rejects a wrong signature and a tampered reading', async () => {
    const net = await registeredNetwork();
    const forger = new TestMeter();
    await net.assertRejected('lr', 'BAD_SIGNATURE', owner, 'submitReading', forger.signedBase64(reading(1)));
    const genuine = Buffer.from(meter.signedBase64(reading(1)), 'base64');
    const tampered = Buffer.from(genuine);
    tampered[200] = tampered[200]! ^ 0x01; // a loop sample inside the signed reading
    await net.assertRejected('lr', 'BAD_SIGNATURE', owner, 'submitReading', tampered.toString('base64'));
    await net.submit('lr', owner, 'submitReading', genuine.toString('base64'));
  });

  it('rejects replayed and older sequences', async () => {
    const net = await registeredNetwork();
    const first = meter.signedBase64(reading(10));
    await net.submit('lr', owner, 'submitReading', first);
    await net.assertRejected('lr', 'REPLAYED_SEQUENCE', owner, 'submitReading', first);
    await net.assertRejected('lr', 'REPLAYED_SEQUENCE', owner, 'submitReading', meter.signedBase64(reading(9)));
    await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(11)));
  });

  it('rejects readings of unknown meters, and ones submitted by anyone but a client of the owner', async () => {
    const net = await registeredNetwork();
    await net.assertRejected('lr', 'METER_NOT_FOUND', owner, 'submitReading', meter.signedBase64(reading(1, { meterId: 'SP-0404' })));
    for (const who of [t.callers.lasigeClient, t.callers.inmetroClient, t.callers.inmetroAdmin, t.callers.unknownClient]) {
      await net.assertRejected('lr', 'ACCESS_DENIED', who, 'submitReading', meter.signedBase64(reading(1)));
    }
  });

  it('gives identical results on independent endorsers (deterministic)', async () => {
    const a = await registeredNetwork();
    const b = new TestNetwork([
      { name: 'governance', version: '1.0', dir: GOVERNANCE_DIR },
      { name: 'lr', version: LR_CHAINCODE_VERSION, dir: LR_DIR },
    ]);
    for (const ns of ['governance', 'lr']) for (const e of a.state.entries(ns)) b.state.put(ns, e.key, e.value, e.version);
    const inv = {
      channelId: 'metrology',
      txId: 'same-tx',
      args: ['submitReading', meter.signedBase64(reading(3))].map((x) => Buffer.from(x)),
      creator: { mspId: owner.mspId, idBytes: owner.idBytes },
      timestamp: { seconds: TestNetwork.txSeconds(100), nanos: 42 },
    };
    const ra = await a.chaincodes.get('lr')!.invoke(inv, a.state);
    assert.equal(ra.response.status, 200, ra.response.message);
    assert.deepEqual(ra, await b.chaincodes.get('lr')!.invoke(inv, b.state));
  });
});

describe('LR chaincode: revoked meters and withdrawn approvals', () => {
  it('records an authentic reading of a revoked meter as rejected; forgeries and replays still fail', async () => {
    const net = await registeredNetwork();
    await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(1)));
    await net.submit('lr', inmetro, 'revokeMeter', 'SP-0001', 'seal broken');
    const signed = meter.signedBase64(reading(2));
    const r = await net.submit('lr', owner, 'submitReading', signed);
    const rej = payload<ReadingRejection>(r);
    assert.deepEqual(rej, {
      status: 'REJECTED',
      reason: 'METER_REVOKED',
      meterId: 'SP-0001',
      sequence: 2,
      captureTimeMs: 1_750_000_002_000,
      readingSha256: createHash('sha256')
        .update(decodeSignedReading(Buffer.from(signed, 'base64')).reading)
        .digest('hex'),
      meterKeyIndex: 0,
      txId: net.lastTxId,
      txTimestamp: TestNetwork.txTime(net.txCount),
    });
    assert.equal(r.event?.name, 'ReadingRejected');
    assert.deepEqual(
      r.rwset.writes.map((w) => w.key),
      ['\u0000meterstate\u0000SP-0001\u0000', '\u0000rejection\u0000SP-0001\u00000000000000000002\u0000'],
    );
    // Not a measurement, and not measured.
    await net.assertRejected('lr', 'MEASUREMENT_NOT_FOUND', owner, 'getMeasurement', 'SP-0001', '2');
    // A replay of the recorded reading, and a forgery, cannot add entries.
    await net.assertRejected('lr', 'REPLAYED_SEQUENCE', owner, 'submitReading', signed);
    await net.assertRejected('lr', 'BAD_SIGNATURE', owner, 'submitReading', new TestMeter().signedBase64(reading(3)));
    await net.assertRejected('lr', 'ACCESS_DENIED', t.callers.lasigeClient, 'submitReading', meter.signedBase64(reading(3)));
    await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(3)));
    const page = await net.query<Page<ReadingRejection>>('lr', t.callers.pucprClient, 'listReadingRejections', 'SP-0001', '10', '');
    assert.deepEqual(
      page.records.map((x) => x.sequence),
      [2, 3],
    );
    assert.equal(page.bookmark, '');
  });

  it('bounds the rejections recorded for a revoked meter', async () => {
    const net = await registeredNetwork();
    await net.submit('lr', inmetro, 'revokeMeter', 'SP-0001', 'key compromised');
    // As if MAX_RECORDED_REJECTIONS readings had been recorded already.
    net.state.put(
      'lr',
      '\u0000meterstate\u0000SP-0001\u0000',
      Buffer.from(JSON.stringify({ lastSequence: 5000, rejected: MAX_RECORDED_REJECTIONS })),
      { blockNum: 9999, txNum: 0 },
    );
    await net.assertRejected('lr', 'METER_REVOKED', owner, 'submitReading', meter.signedBase64(reading(5001)));
  });

  it('refuses readings once the meter’s model no longer approves this LR version, writing nothing', async () => {
    const net = await registeredNetwork();
    await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(1)));
    // The notified body suspends the model (re-approval with no LR version).
    await net.submit('governance', t.callers.inmetroAdmin, 'approveMeterModel', JSON.stringify(modelApproval(MODEL, [])));
    await net.assertRejected('lr', 'LR_VERSION_NOT_APPROVED', owner, 'submitReading', meter.signedBase64(reading(2)));
    await net.submit(
      'governance',
      t.callers.inmetroAdmin,
      'approveMeterModel',
      JSON.stringify(modelApproval(MODEL, [LR_CHAINCODE_VERSION])),
    );
    await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(2)));
    // Withdrawing the LR version stops readings too; earlier records stay, attributed to it.
    await net.submit('governance', t.callers.inmetroAdmin, 'withdrawLrSoftware', 'lr', LR_CHAINCODE_VERSION, 'defect found');
    await net.assertRejected('lr', 'LR_VERSION_NOT_APPROVED', owner, 'submitReading', meter.signedBase64(reading(3)));
    const old = await net.query<MeasurementRecord>('lr', t.callers.lasigeClient, 'getMeasurement', 'SP-0001', '1');
    assert.equal(old.lrSoftware.chaincodeVersion, LR_CHAINCODE_VERSION);
  });
});

describe('LR chaincode: queries', () => {
  it('finds measurements by sequence and by capture-time window, page by page', async () => {
    const net = await registeredNetwork();
    // Capture times out of sequence order (meter clock adjusted): queries follow capture time.
    const times = [5000, 1000, 3000, 2000, 4000, 6000, 7000];
    for (let i = 0; i < times.length; i++) {
      await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(i + 1, { captureTimeMs: times[i]! })));
    }
    assert.equal((await net.query<MeasurementRecord>('lr', owner, 'getMeasurement', 'SP-0001', '3')).captureTimeMs, 3000);
    await net.assertRejected('lr', 'MEASUREMENT_NOT_FOUND', owner, 'getMeasurement', 'SP-0001', '99');
    await net.assertRejected('lr', 'INVALID_ARGUMENT', owner, 'getMeasurement', 'SP-0001', '-1');

    const seen: number[] = [];
    let bookmark = '';
    let pages = 0;
    do {
      const page = await net.query<Page<MeasurementRecord>>('lr', owner, 'queryMeasurements', 'SP-0001', '2000', '6000', '2', bookmark);
      seen.push(...page.records.map((m) => m.captureTimeMs));
      bookmark = page.bookmark;
      pages++;
    } while (bookmark !== '' && pages < 10);
    assert.deepEqual(seen, [2000, 3000, 4000, 5000], '[fromMs, toMs): 6000 excluded');
    assert.equal(pages, 2, 'the last page ends at toMs with an empty bookmark');
    const all = await net.query<Page<MeasurementRecord>>('lr', owner, 'queryMeasurements', 'SP-0001', '0', '9007199254740991', '100', '');
    assert.deepEqual(
      all.records.map((m) => m.sequence),
      [2, 4, 3, 5, 1, 6, 7],
    );
    assert.equal(all.bookmark, '');
    const none = await net.query<Page<MeasurementRecord>>('lr', owner, 'queryMeasurements', 'SP-0404', '0', '9999', '10', '');
    assert.deepEqual(none, { records: [], bookmark: '' });
    await net.assertRejected('lr', 'INVALID_ARGUMENT', owner, 'queryMeasurements', 'SP-0001', '10', '5', '10', '');
    await net.assertRejected('lr', 'INVALID_ARGUMENT', owner, 'queryMeasurements', 'SP-0001', '0', '10', '10', 'bm90LWEta2V5');
  });
});

/** The access-control table of docs/GOVERNANCE.md (LR chaincode): callers allowed per function. */
const REGISTRARS: TableColumn[] = ['inmetroAdmin', 'inmetroClient'];
const OWNER: TableColumn[] = ['cetspClient'];
const MEMBERS: TableColumn[] = TABLE_COLUMNS.filter((c) => !c.startsWith('unknown'));

describe('LR chaincode: access control per function and role', () => {
  it('allows exactly the table’s callers, and denies the others with ACCESS_DENIED', async () => {
    const net = await registeredNetwork();
    await net.submit('lr', owner, 'submitReading', meter.signedBase64(reading(1)));
    const fresh = new TestMeter();
    const rows: [string, TableColumn[], string[]][] = [
      ['registerMeter', REGISTRARS, [JSON.stringify(registration({ meterId: 'SP-0002' }, fresh))]],
      ['rotateMeterKey', REGISTRARS, ['SP-0001', fresh.publicKeyPem, 'chip replaced']],
      ['revokeMeter', REGISTRARS, ['SP-0001', 'decommissioned']],
      ['submitReading', OWNER, [meter.signedBase64(reading(2))]],
      ['getMeter', MEMBERS, ['SP-0001']],
      ['listMeters', MEMBERS, ['10', '']],
      ['getMeasurement', MEMBERS, ['SP-0001', '1']],
      ['queryMeasurements', MEMBERS, ['SP-0001', '0', '9999999999999', '10', '']],
      ['listReadingRejections', MEMBERS, ['SP-0001', '10', '']],
    ];
    for (const [fn, allowed, args] of rows) {
      for (const col of TABLE_COLUMNS) {
        const who = t.callers[col];
        const r = await net.invoke('lr', who, fn, ...args);
        if (allowed.includes(col)) {
          assert.equal(r.response.status, 200, `${fn} by ${who.label}: ${r.response.message}`);
        } else {
          assert.equal(r.response.status, 500, `${fn} by ${who.label} should be denied`);
          assert.equal(
            parseChaincodeErrorMessage(r.response.message)?.code,
            'ACCESS_DENIED',
            `${fn} by ${who.label}: ${r.response.message}`,
          );
        }
      }
    }
  });
});

describe('LR chaincode configuration', () => {
  it('names the same notified body and governance chaincode as the governance chaincode does', () => {
    assert.equal(NOTIFIED_BODY_MSP_ID, GOVERNANCE_NB);
    assert.equal(GOVERNANCE_CHAINCODE_NAME, GOVERNANCE_NAME);
  });
});

describe('LR chaincode errors', () => {
  it('parses codes back out of response messages', () => {
    assert.deepEqual(parseChaincodeErrorMessage('METER_NOT_FOUND: meter X is not registered'), {
      code: 'METER_NOT_FOUND',
      detail: 'meter X is not registered',
    });
    assert.deepEqual(parseChaincodeErrorMessage('chaincode response 500, BAD_SIGNATURE: nope'), { code: 'BAD_SIGNATURE', detail: 'nope' });
    assert.deepEqual(parseChaincodeErrorMessage('LR_VERSION_NOT_APPROVED: x'), { code: 'LR_VERSION_NOT_APPROVED', detail: 'x' });
    assert.equal(parseChaincodeErrorMessage('SOMETHING_ELSE: x'), undefined);
    assert.equal(ChaincodeErrorCodes.REPLAYED_SEQUENCE, 'REPLAYED_SEQUENCE');
  });
});
