// SPDX-License-Identifier: Apache-2.0
// The outbox on a real LevelDB and the forwarder against a ledger that keeps the chaincode's
// sequence rule and fails on a script; virtual time, seeded jitter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRng } from '@metroledger/meter';
import { verifyPlateImageSignature } from '@metroledger/evidence';
import { VirtualClock } from '@metroledger/client';
import { FieldMeter, Forwarder, OutboxError, OutboxStore, type Alarm, type EvidenceSink, type OutboxLimits } from './index';
import { ScriptedLedger } from './testing/ledger';

const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 };

function meterKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

async function withOutbox(t: { after(fn: () => Promise<void>): void }, limits: Partial<OutboxLimits> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-outbox-'));
  const alarms: Alarm[] = [];
  let store = await OutboxStore.open(dir, { limits, onAlarm: (a) => alarms.push(a) });
  t.after(async () => {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    alarms,
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await OutboxStore.open(dir, { limits, onAlarm: (a) => alarms.push(a) });
      return store;
    },
  };
}

const capture = (m: FieldMeter, k: number, plateImage?: Uint8Array) =>
  m.capture({
    loopA: Int16Array.from([0, 40, 80, 40, 0]),
    loopB: Int16Array.from([0, 0, 40, 80, 40]),
    captureTimeMs: 1_700_000_000_000 + k * 1000,
    ...(plateImage !== undefined && { plateImage }),
  });

test('a restarted meter continues after its last stored reading, and its backlog survives', async (t) => {
  const o = await withOutbox(t);
  const key = meterKey();
  let meter = new FieldMeter({ store: o.store, meterId: 'M-1', geometry: GEOMETRY, ...key });
  for (let k = 0; k < 5; k++) await capture(meter, k);
  await o.reopen();
  // one process at a time: a second meter process on the same outbox is refused
  await assert.rejects(OutboxStore.open(o.dir), (err: unknown) => err instanceof OutboxError && err.code === 'OUTBOX_LOCKED');
  assert.equal(o.store.lastSequence('M-1'), 5);
  assert.equal(o.store.stats().pending, 5);
  meter = new FieldMeter({ store: o.store, meterId: 'M-1', geometry: GEOMETRY, ...key });
  const sixth = await capture(meter, 5);
  assert.equal(sixth.sequence, 6);
  assert.deepEqual(
    (await o.store.nextForLedger('M-1', 10)).map((e) => e.sequence),
    [1, 2, 3, 4, 5, 6],
  );
});

test('a full outbox refuses the capture with OUTBOX_FULL, alarms, and uses no sequence', async (t) => {
  const o = await withOutbox(t, { maxReadings: 4, nearFullShare: 0.75, clearShare: 0.5 });
  const meter = new FieldMeter({ store: o.store, meterId: 'M-2', geometry: GEOMETRY, ...meterKey() });
  for (let k = 0; k < 4; k++) await capture(meter, k);
  assert.deepEqual(
    o.alarms.map((a) => a.code),
    ['OUTBOX_NEAR_FULL'],
  );
  await assert.rejects(capture(meter, 4), (err: unknown) => err instanceof OutboxError && err.code === 'OUTBOX_FULL');
  await assert.rejects(capture(meter, 5), (err: unknown) => err instanceof OutboxError && err.code === 'OUTBOX_FULL');
  assert.deepEqual(
    o.alarms.map((a) => a.code),
    ['OUTBOX_NEAR_FULL', 'OUTBOX_FULL'],
    'one alarm per episode, not one per refused capture',
  );
  assert.equal(o.alarms[1]!.level, 'critical');
  // the ledger takes three: the outbox drains below the clear share and the meter captures again, at sequence 5
  const ledger = new ScriptedLedger();
  const f = new Forwarder({ store: o.store, ledger, clock: new VirtualClock(), random: newRng('full').next });
  f.start();
  await f.drained();
  await f.stop();
  assert.equal(o.alarms.at(-1)!.code, 'OUTBOX_CLEARED');
  const next = await capture(meter, 6);
  assert.equal(next.sequence, 5, 'the refused captures used no sequence: no gap');
});

test('exactly once: answers lost after commit and unreachable gateways neither lose nor duplicate a reading', async (t) => {
  const o = await withOutbox(t);
  const meters = ['M-A', 'M-B', 'M-C'].map((id) => new FieldMeter({ store: o.store, meterId: id, geometry: GEOMETRY, ...meterKey() }));
  for (let k = 0; k < 40; k++) for (const m of meters) await capture(m, k);
  const ledger = new ScriptedLedger(4);
  // every fifth submission commits but its answer is lost; every seventh finds the gateway unreachable
  ledger.fault = (i) => (i % 5 === 1 ? 'answer-lost' : i % 7 === 3 ? 'unavailable' : 'none');
  const clock = new VirtualClock();
  const f = new Forwarder({
    store: o.store,
    ledger,
    clock,
    random: newRng('jitter').next,
    backoff: { initialDelayMs: 100, maxDelayMs: 5000 },
  });
  f.start();
  await f.drained();
  await f.stop();
  for (const m of meters) {
    const seqs = ledger.committed.get(m.meterId)!.map((r) => r.sequence);
    assert.deepEqual(
      seqs,
      Array.from({ length: 40 }, (_, i) => i + 1),
      `${m.meterId}: every reading once, in order`,
    );
  }
  assert.equal(o.store.stats().readings, 0, 'the outbox is empty');
  assert.equal(f.stats.delivered, 120);
  assert.ok(f.stats.settled > 0, 'some readings were recognised on the ledger after a lost answer');
  assert.ok((f.stats.retriesByCause['UNAVAILABLE'] ?? 0) > 0 && (f.stats.retriesByCause['DEADLINE_EXCEEDED'] ?? 0) > 0);
  // jittered, bounded backoff
  assert.ok(clock.sleeps.length > 0 && clock.sleeps.every((ms) => ms >= 0 && ms <= 5000));
  assert.ok(new Set(clock.sleeps).size > clock.sleeps.length / 2, 'delays are jittered, not identical');
});

test('the same seed gives the same backoff: jitter is reproducible in tests', async (t) => {
  const delays: number[][] = [];
  for (let run = 0; run < 2; run++) {
    const o = await withOutbox(t);
    const m = new FieldMeter({ store: o.store, meterId: 'M-J', geometry: GEOMETRY, ...meterKey() });
    for (let k = 0; k < 3; k++) await capture(m, k);
    const ledger = new ScriptedLedger();
    ledger.fault = (i) => (i < 6 ? 'unavailable' : 'none');
    const clock = new VirtualClock();
    const f = new Forwarder({ store: o.store, ledger, clock, random: newRng('same-seed').next });
    f.start();
    await f.drained();
    await f.stop();
    delays.push(clock.sleeps);
  }
  assert.equal(delays[0]!.length, 6);
  assert.deepEqual(delays[0], delays[1]);
  // the ceiling doubles: later delays are drawn from higher ranges
  assert.ok(delays[0]![5]! > delays[0]![0]!);
});

test('another reading under a sequence is quarantined with an alarm, and delivery goes on', async (t) => {
  const o = await withOutbox(t);
  const m = new FieldMeter({ store: o.store, meterId: 'M-Q', geometry: GEOMETRY, ...meterKey() });
  for (let k = 0; k < 4; k++) await capture(m, k);
  const ledger = new ScriptedLedger();
  ledger.plant('M-Q', 1, 'f'.repeat(64)); // e.g. a meter restored from an old backup had sent another #1
  const f = new Forwarder({
    store: o.store,
    ledger,
    clock: new VirtualClock(),
    random: newRng('q').next,
    onAlarm: (a) => o.alarms.push(a),
  });
  f.start();
  await f.drained();
  await f.stop();
  assert.deepEqual(
    ledger.committed.get('M-Q')!.map((r) => r.sequence),
    [1, 2, 3, 4],
  );
  const q = await o.store.quarantined();
  assert.deepEqual(
    q.map((e) => [e.sequence, e.quarantine?.code]),
    [[1, 'SEQUENCE_CONFLICT']],
  );
  assert.ok(o.alarms.some((a) => a.code === 'READING_QUARANTINED' && a.sequence === 1 && a.level === 'critical'));
  await o.reopen();
  assert.equal((await o.store.quarantined()).length, 1, 'the quarantined reading is kept across restarts');
  assert.equal(o.store.stats().readings, 1, 'and still counts against the capacity');
});

test('a refused reading inside a batch is found and quarantined; the others are delivered', async (t) => {
  const o = await withOutbox(t);
  const m = new FieldMeter({ store: o.store, meterId: 'M-R', geometry: GEOMETRY, ...meterKey() });
  for (let k = 0; k < 6; k++) await capture(m, k);
  const ledger = new ScriptedLedger(6);
  ledger.refuse.add('M-R#3');
  const f = new Forwarder({ store: o.store, ledger, clock: new VirtualClock(), random: newRng('r').next });
  f.start();
  await f.drained();
  await f.stop();
  assert.deepEqual(
    ledger.committed.get('M-R')!.map((r) => r.sequence),
    [1, 2, 4, 5, 6],
  );
  assert.deepEqual(
    (await o.store.quarantined()).map((e) => [e.sequence, e.quarantine?.code]),
    [[3, 'BAD_SIGNATURE']],
  );
  assert.deepEqual(ledger.submissions[0], [1, 2, 3, 4, 5, 6]);
});

test('a meter the ledger refuses (not registered) raises DELIVERY_BLOCKED, keeps its readings, and resumes', async (t) => {
  const o = await withOutbox(t);
  const m = new FieldMeter({ store: o.store, meterId: 'M-B', geometry: GEOMETRY, ...meterKey() });
  for (let k = 0; k < 3; k++) await capture(m, k);
  const ledger = new ScriptedLedger();
  ledger.fault = (i) => (i < 5 ? 'blocked' : 'none');
  const alarms: Alarm[] = [];
  const clock = new VirtualClock();
  const f = new Forwarder({
    store: o.store,
    ledger,
    clock,
    random: newRng('b').next,
    onAlarm: (a) => alarms.push(a),
    backoff: { maxDelayMs: 60_000 },
  });
  f.start();
  await f.drained();
  await f.stop();
  assert.deepEqual(
    alarms.map((a) => a.code),
    ['DELIVERY_BLOCKED', 'DELIVERY_RESUMED'],
  );
  // a blocked meter waits at the longest ceiling between attempts (drawn below it with jitter)
  assert.equal(clock.sleeps.length, 5);
  assert.ok(clock.sleeps.every((ms) => ms <= 60_000) && clock.sleeps.reduce((a, b) => a + b, 0) / 5 > 15_000);
  assert.deepEqual(
    ledger.committed.get('M-B')!.map((r) => r.sequence),
    [1, 2, 3],
  );
});

test('an unusable answer is no reason to stop: the meter alarms, retries, and the ledger decides', async (t) => {
  const o = await withOutbox(t);
  const m = new FieldMeter({ store: o.store, meterId: 'M-U', geometry: GEOMETRY, ...meterKey() });
  for (let k = 0; k < 4; k++) await capture(m, k);
  const ledger = new ScriptedLedger(2);
  ledger.fault = (i) => (i === 0 ? 'garbled' : 'none');
  const alarms: Alarm[] = [];
  const f = new Forwarder({ store: o.store, ledger, clock: new VirtualClock(), random: newRng('u').next, onAlarm: (a) => alarms.push(a) });
  f.start();
  await f.drained();
  await f.stop();
  assert.deepEqual(
    alarms.map((a) => a.code),
    ['DELIVERY_STALLED', 'DELIVERY_RESUMED'],
  );
  assert.deepEqual(
    ledger.committed.get('M-U')!.map((r) => r.sequence),
    [1, 2, 3, 4],
  );
  assert.equal(f.stats.settled, 2, 'the garbled batch was found committed, not sent twice');
});

test('plate images: only violations go to the evidence store, signed by the meter; the others never leave the meter', async (t) => {
  const o = await withOutbox(t);
  const key = meterKey();
  const m = new FieldMeter({ store: o.store, meterId: 'M-E', geometry: GEOMETRY, ...key });
  const images = Array.from({ length: 6 }, (_, k) => Buffer.from(`jpeg of passage ${k}`));
  for (let k = 0; k < 6; k++) await capture(m, k, images[k]);
  await assert.rejects(
    o.store.append({
      signedReading: (await o.store.nextForLedger('M-E', 1))[0]!.signedReading,
      image: { bytes: Buffer.from('another picture'), signature: new Uint8Array(8) },
    }),
    (err: unknown) => err instanceof OutboxError && (err.code === 'BAD_READING' || err.code === 'SEQUENCE_CONFLICT'),
  );
  const ledger = new ScriptedLedger(3);
  ledger.violation = (seq) => seq % 2 === 0;
  const handed: { seq: number; ok: boolean }[] = [];
  let failOnce = true;
  const evidence: EvidenceSink = {
    async put(s) {
      if (failOnce) {
        failOnce = false;
        throw new Error('store unreachable');
      }
      const { decodeReading, decodeSignedReading } = await import('@metroledger/lr');
      const r = decodeReading(decodeSignedReading(s.signedReading).reading);
      const digest = (await import('node:crypto')).createHash('sha256').update(s.image).digest();
      handed.push({ seq: r.sequence, ok: verifyPlateImageSignature(key.publicKeyPem, 'M-E', r.sequence, digest, s.imageSignature) });
      return 'stored';
    },
    classify: () => ({ kind: 'transient', cause: 'UNAVAILABLE' }),
  };
  const f = new Forwarder({ store: o.store, ledger, evidence, clock: new VirtualClock(), random: newRng('e').next });
  f.start();
  await f.drained();
  await f.stop();
  assert.deepEqual(handed.map((h) => h.seq).sort(), [2, 4, 6]);
  assert.ok(
    handed.every((h) => h.ok),
    "each image carries the meter's signature over it",
  );
  assert.equal(o.store.stats().readings, 0);
  assert.equal(await o.store.image('M-E', 1), undefined, "a lawful passage's image is deleted with its reading");
});
