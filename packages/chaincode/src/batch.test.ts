// SPDX-License-Identifier: Apache-2.0
// submitReadingBatch through fabric-contract-api's own dispatch, beside the governance chaincode:
// each reading is processed as submitReading processes it; a reading submitReading would reject
// rejects the whole batch.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { RawReading } from '@metroledger/lr';
import { payload, testOrgs, TestNetwork, type TestCaller, type TestOrgs } from '@metroledger/governance/testing/network';
import {
  LR_CHAINCODE_VERSION,
  MAX_BATCH_READINGS,
  type MeasurementRecord,
  type MeterRegistration,
  type ReadingBatchResult,
  type ReadingRejection,
} from './index';
import { TestMeter } from './testing/meterkeys';
import { quietLoops, vehiclePass } from './testing/signals';

const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 1000 };
const MODEL = 'ML-2L v1';
const LR_DIR = join(__dirname, '..');
const GOVERNANCE_DIR = dirname(require.resolve('@metroledger/governance/package.json'));

let t: TestOrgs;
let meters: Record<'A' | 'B', TestMeter>;
let owner: TestCaller;

before(async () => {
  t = await testOrgs();
  meters = { A: new TestMeter(), B: new TestMeter() };
  owner = t.callers.cetspClient;
});

async function network(): Promise<TestNetwork> {
  const net = new TestNetwork([
    { name: 'governance', version: '1.0', dir: GOVERNANCE_DIR },
    { name: 'lr', version: LR_CHAINCODE_VERSION, dir: LR_DIR },
  ]);
  await net.bootstrap(t, { versions: [LR_CHAINCODE_VERSION], model: MODEL });
  for (const id of ['A', 'B'] as const) {
    const reg: MeterRegistration = {
      meterId: `SP-${id}`,
      ownerMspId: 'CETSPMSP',
      publicKeyPem: meters[id].publicKeyPem,
      geometry: GEOMETRY,
      location: { text: 'Marginal Tietê km 12', lat: -23.5, lon: -46.6 },
      speedLimitKmh: 60,
      model: MODEL,
    };
    await net.submit('lr', t.callers.inmetroClient, 'registerMeter', JSON.stringify(reg));
  }
  return net;
}

function reading(id: 'A' | 'B', sequence: number, overrides: Partial<RawReading> = {}): string {
  return meters[id].signedBase64({
    meterId: `SP-${id}`,
    sequence,
    captureTimeMs: 1_750_000_000_000 + sequence * 1000,
    sampleRateHz: 1000,
    ...vehiclePass(50 + 10 * sequence, 4.5, GEOMETRY),
    ...overrides,
  });
}

/** The batch container, written here independently of the chaincode's decoder. */
function batch(signedBase64: readonly string[], tweak: { count?: number; trailing?: number } = {}): string {
  const parts = signedBase64.map((s) => Buffer.from(s, 'base64'));
  const head = Buffer.alloc(6);
  head.write('MLB1', 0, 'latin1');
  head.writeUInt16BE(tweak.count ?? parts.length, 4);
  const body = parts.flatMap((p) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length);
    return [len, p];
  });
  return Buffer.concat([head, ...body, Buffer.alloc(tweak.trailing ?? 0)]).toString('base64');
}

async function record(net: TestNetwork, id: 'A' | 'B', seq: number): Promise<MeasurementRecord> {
  return net.query<MeasurementRecord>('lr', t.callers.lasigeClient, 'getMeasurement', `SP-${id}`, String(seq));
}

/** A record without what belongs to its transaction. */
function content(r: MeasurementRecord): Omit<MeasurementRecord, 'txId' | 'txTimestamp'> {
  const { txId: _id, txTimestamp: _ts, ...rest } = r;
  return rest;
}

describe('LR chaincode: submitReadingBatch', () => {
  it('stores each reading of a batch as the record submitReading would store, in batch order, with one batch event', async () => {
    const order: ['A' | 'B', number, Partial<RawReading>][] = [
      ['A', 1, {}],
      ['B', 1, {}],
      ['A', 2, {}],
      ['B', 2, quietLoops(1000)],
      ['A', 3, {}],
      ['B', 3, {}],
    ];
    const signed = order.map(([id, seq, o]) => reading(id, seq, o));
    const batched = await network();
    const r = await batched.submit('lr', owner, 'submitReadingBatch', batch(signed));
    const batchTxId = batched.lastTxId;
    const result = payload<ReadingBatchResult>(r);
    assert.equal(result.count, 6);
    assert.deepEqual(
      result.outcomes.map((o) => [o.meterId, o.sequence, o.status]),
      order.map(([id, seq], i) => [`SP-${id}`, seq, i === 3 ? 'REFUSED' : 'MEASURED']),
    );
    assert.equal(result.outcomes[3]!.refusalCode, 'NO_VEHICLE');
    assert.equal(r.event?.name, 'MeasurementBatch');
    assert.deepEqual(JSON.parse(Buffer.from(r.event!.payload).toString()), result);

    const single = await network();
    for (const s of signed) await single.submit('lr', owner, 'submitReading', s);
    for (const [id, seq] of order) {
      const fromBatch = await record(batched, id, seq);
      assert.deepEqual(content(fromBatch), content(await record(single, id, seq)));
    }
    // One transaction for all six records.
    const txIds = new Set(await Promise.all(order.map(async ([id, seq]) => (await record(batched, id, seq)).txId)));
    assert.deepEqual([...txIds], [batchTxId]);
    // The meters' sequences moved on: the next batch continues after them, a replay is refused.
    await batched.submit('lr', owner, 'submitReadingBatch', batch([reading('A', 4), reading('B', 4)]));
    await batched.assertRejected('lr', 'REPLAYED_SEQUENCE', owner, 'submitReadingBatch', batch([reading('A', 5), reading('B', 4)]));
  });

  it("refuses the whole batch when one reading is forged, replayed, out of order or not the caller's, naming its index", async () => {
    const net = await network();
    const forged = new TestMeter().signedBase64({
      meterId: 'SP-B',
      sequence: 1,
      captureTimeMs: 1_750_000_000_000,
      sampleRateHz: 1000,
      ...vehiclePass(60, 4.5, GEOMETRY),
    });
    let r = await net.assertRejected('lr', 'BAD_SIGNATURE', owner, 'submitReadingBatch', batch([reading('A', 1), reading('A', 2), forged]));
    assert.match(r.response.message, /^BAD_SIGNATURE: reading 2 of the batch: /);
    r = await net.assertRejected('lr', 'REPLAYED_SEQUENCE', owner, 'submitReadingBatch', batch([reading('A', 1), reading('A', 1)]));
    assert.match(r.response.message, /reading 1 of the batch/);
    await net.assertRejected('lr', 'REPLAYED_SEQUENCE', owner, 'submitReadingBatch', batch([reading('A', 2), reading('A', 1)]));
    await net.assertRejected(
      'lr',
      'METER_NOT_FOUND',
      owner,
      'submitReadingBatch',
      batch([
        reading('A', 1),
        meters.A.signedBase64({ meterId: 'SP-X', sequence: 1, captureTimeMs: 1, sampleRateHz: 1000, ...quietLoops(1000) }),
      ]),
    );
    await net.assertRejected('lr', 'ACCESS_DENIED', t.callers.lasigeClient, 'submitReadingBatch', batch([reading('A', 1)]));
    // Nothing was written: the same readings go through afterwards.
    await net.submit('lr', owner, 'submitReadingBatch', batch([reading('A', 1), reading('A', 2)]));
  });

  it('refuses malformed or oversized containers with MALFORMED_BATCH', async () => {
    const net = await network();
    const one = reading('A', 1);
    await net.assertRejected('lr', 'MALFORMED_BATCH', owner, 'submitReadingBatch', batch([one], { trailing: 3 }));
    await net.assertRejected('lr', 'MALFORMED_BATCH', owner, 'submitReadingBatch', batch([one], { count: 2 }));
    await net.assertRejected('lr', 'MALFORMED_BATCH', owner, 'submitReadingBatch', batch([], { count: 0 }));
    await net.assertRejected(
      'lr',
      'MALFORMED_BATCH',
      owner,
      'submitReadingBatch',
      batch(Array.from({ length: MAX_BATCH_READINGS + 1 }, () => one)),
    );
    await net.assertRejected('lr', 'MALFORMED_BATCH', owner, 'submitReadingBatch', Buffer.from('MLB2\u0000\u0001').toString('base64'));
    await net.assertRejected('lr', 'MALFORMED_READING', owner, 'submitReadingBatch', 'not base64!');
    await net.assertRejected('lr', 'MALFORMED_READING', owner, 'submitReadingBatch', batch([Buffer.from('garbage').toString('base64')]));
  });

  it("records a revoked meter's readings in a batch as rejections, like submitReading", async () => {
    const net = await network();
    await net.submit('lr', t.callers.inmetroClient, 'revokeMeter', 'SP-B', 'seal broken');
    const result = payload<ReadingBatchResult>(
      await net.submit('lr', owner, 'submitReadingBatch', batch([reading('A', 1), reading('B', 1), reading('B', 2)])),
    );
    assert.deepEqual(
      result.outcomes.map((o) => o.status),
      ['MEASURED', 'REJECTED', 'REJECTED'],
    );
    const page = await net.query<{ records: ReadingRejection[] }>('lr', t.callers.lasigeClient, 'listReadingRejections', 'SP-B', '10', '');
    assert.deepEqual(
      page.records.map((x) => x.sequence),
      [1, 2],
    );
  });
});
