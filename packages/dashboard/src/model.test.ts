// SPDX-License-Identifier: Apache-2.0
// The model over real blocks (forged in-process with the real chaincodes): what it counts, what it
// keeps within its limits, the surveillance statistics it takes from packages/surveil, and one
// transaction's drill-down with its raw signals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerDirectorySource, memorySource } from '@metroledger/audit';
import { ForgedLedger } from '@metroledger/audit/testing/forge';
import { IdentityDeserializer } from '@metroledger/identity';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent } from '@metroledger/meter';
import { collectMeasurements } from '@metroledger/surveil';
import { parseAuditSection } from './auditfile.js';
import { decodeDashboardBlock, transactionDetail } from './decode.js';
import { dashboardLimits } from './limits.js';
import { DashboardModel } from './model.js';
import { DashboardError } from './errors.js';

const text = new TextDecoder();
let root: string;
const blocks: Uint8Array[] = [];
const submitted: { txId: string; status: string; speedKmh?: number; refusalCode?: string; speedLimitExceeded?: boolean }[] = [];
let invalidTxId = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-dashboard-model-'));
  const f = await ForgedLedger.create(root);
  const meters = [f.newMeter('SP-0001'), f.newMeter('SP-0002')];
  for (const m of meters) await f.registerMeter(m, { speedLimitKmh: 60 });
  await f.cut();
  const record = (r: { txId: string; result: { response: { payload: Uint8Array } } }) =>
    submitted.push({ txId: r.txId, ...(JSON.parse(text.decode(r.result.response.payload)) as { status: string }) });
  for (let k = 0; k < 12; k++) {
    for (const m of meters) record(await f.submit(f.reading(m, { speedKmh: 40 + k * 3 })));
    if (k % 3 === 2) await f.cut();
  }
  // Two readings the LR software refuses, with different codes.
  for (const scenario of ['noise-only', 'dead-loop'] as const) {
    const ev = generateEvent(f.rng, { geometry: meters[0]!.geometry, scenario });
    record(
      await f.submit(
        Buffer.from(encodeSignedReading(meters[0]!.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: Date.now() }))).toString(
          'base64',
        ),
      ),
    );
  }
  // A transaction the peers marked invalid: its record does not count.
  invalidTxId = (await f.submit(f.reading(meters[1]!), { code: 11 })).txId;
  await f.cut();
  await f.close();
  for await (const b of ledgerDirectorySource(root).blocks(0)) blocks.push(b.bytes);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function load(limits: Parameters<typeof dashboardLimits>[0] = {}): DashboardModel {
  const model = new DashboardModel({
    limits: dashboardLimits(limits),
    title: 't',
    source: 'test',
    channel: 'metrology',
    nowMs: Date.now(),
  });
  const ids = new IdentityDeserializer();
  for (const bytes of blocks) model.ingest(decodeDashboardBlock(bytes, ids), bytes, { live: true, arrivedMs: Date.now() });
  return model;
}

describe('the dashboard model over real blocks', () => {
  test('counts measurements, violations, LR refusals by code and invalid transactions by validation code', () => {
    const m = load().section('measurements', Date.now());
    const measured = submitted.filter((s) => s.status === 'MEASURED');
    const refused = submitted.filter((s) => s.status === 'REFUSED');
    assert.equal(refused.length, 2);
    assert.equal(m.counts.measured, measured.length);
    assert.equal(m.counts.violations, measured.filter((s) => s.speedLimitExceeded === true).length);
    assert.ok(m.counts.violations > 0 && m.counts.violations < measured.length);
    assert.equal(m.counts.refused, 2);
    assert.deepEqual(m.refusals.map((c) => [c.code, c.count]).sort(), refused.map((r) => [r.refusalCode, 1]).sort());
    assert.deepEqual(
      m.invalidTransactions.map((c) => [c.code, c.count, c.lastTxId]),
      [['MVCC_READ_CONFLICT', 1, invalidTxId]],
    );
    assert.equal(m.counts.invalidTransactions, 1);
  });

  test('the network section reads the organizations and the ordering from the config block, the peers from the endorsements', () => {
    const n = load().section('network', Date.now());
    assert.deepEqual(n.orgs.map((o) => o.mspId).sort(), ['CETSPMSP', 'InmetroMSP', 'LaSIGEMSP', 'OrdererMSP', 'PUCPRMSP']);
    assert.equal(n.ordering.type, 'solo');
    assert.deepEqual(n.peers.map((p) => p.mspId).sort(), ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP']);
    assert.equal(n.height, blocks.length);
  });

  test('every collection stays within its limit, newest kept', () => {
    const model = load({ feed: 5, violations: 2, blocks: 3, blockCache: 2, txIndex: 4, codes: 1 });
    const m = model.section('measurements', Date.now());
    assert.equal(m.feed.length, 5);
    const valid = submitted.filter((s) => s.txId !== invalidTxId);
    assert.deepEqual(
      m.feed.map((r) => r.txId),
      valid
        .slice(-5)
        .reverse()
        .map((s) => s.txId),
    );
    assert.equal(m.violations.length, 2);
    // one code counted by name, the next under OTHER
    assert.deepEqual(
      m.refusals.map((c) => c.count),
      [1, 1],
    );
    assert.equal(m.refusals.filter((c) => c.code === 'OTHER').length, 1);
    assert.equal(model.section('activity', Date.now()).blocks.length, 3);
    const last = blocks.length - 1;
    assert.ok(model.blockBytes(last) !== undefined && model.blockBytes(last - 1) !== undefined);
    assert.equal(model.blockBytes(last - 2), undefined);
    assert.equal(model.blockOfTx(invalidTxId), last);
    assert.equal(model.blockOfTx(submitted[0]!.txId), undefined);
    // bytes bound: a cache smaller than two blocks keeps one
    const small = load({ blockCacheBytes: blocks[last]!.length });
    assert.ok(small.blockBytes(last) !== undefined && small.blockBytes(last - 1) === undefined);
    assert.throws(
      () => dashboardLimits({ feed: 0 }),
      (err: unknown) => err instanceof DashboardError && err.code === 'BAD_OPTION',
    );
  });

  test('per-meter statistics and flags come from packages/surveil over the readings held', async () => {
    const model = load();
    for (const bytes of blocks) model.addSurveilData(await collectMeasurements(memorySource([bytes])));
    assert.equal(model.statsDirty, true);
    model.recomputeStats(Date.now());
    const meters = model.section('meters', Date.now());
    const sp1 = meters.meters.find((r) => r.meterId === 'SP-0001')!;
    assert.equal(sp1.stats?.readings, 14);
    assert.equal(sp1.stats?.refused, 2);
    assert.equal(sp1.stats?.measured, 12);
    assert.equal(sp1.lastReading?.status, 'REFUSED');
    assert.equal(meters.statsReadings, 26);
  });

  test('a transaction drills down to its raw loop signals and its recorded outcome', () => {
    const ids = new IdentityDeserializer();
    const target = submitted.find((s) => s.status === 'MEASURED')!;
    const model = load();
    const detail = transactionDetail(model.blockBytes(model.blockOfTx(target.txId)!)!, target.txId, ids)!;
    assert.equal(detail.validation, 'VALID');
    assert.deepEqual(
      detail.endorsers.map((e) => e.mspId),
      ['LaSIGEMSP', 'PUCPRMSP'],
    );
    const r = detail.readings[0]!;
    assert.equal(r.outcome?.speedKmh, target.speedKmh);
    assert.equal(r.outcome?.lrSoftware?.name, 'metroledger-speed');
    assert.ok(r.loopA.length > 100 && r.loopA.length === r.loopB.length && r.sampleRateHz === 2000);
    assert.ok(Math.max(...r.loopA) > 1000, 'the vehicle is in the signal');
    assert.equal(transactionDetail(blocks[0]!, target.txId, ids), undefined);
  });

  test('an audit report file: a report is summarized, anything else is unreadable with the reason', () => {
    const ok = parseAuditSection(
      JSON.stringify({
        verdict: 'FAIL',
        counts: { readings: 3 },
        findings: Array.from({ length: 30 }, (_, i) => ({ code: 'SEQUENCE_GAP', blockNum: i, message: 'x' })),
        errors: 1,
        warnings: 29,
      }),
      '/r.json',
      1,
    );
    assert.equal(ok.state, 'ok');
    assert.equal(ok.report?.verdict, 'FAIL');
    assert.equal(ok.report?.findings.length, 20);
    assert.match(parseAuditSection('{"verdict":"MAYBE"}', '/r.json', 1).message ?? '', /not an audit report/);
    assert.match(parseAuditSection('not json', '/r.json', 1).message ?? '', /not JSON/);
  });
});
