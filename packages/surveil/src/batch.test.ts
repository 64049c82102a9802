// SPDX-License-Identifier: Apache-2.0
// Readings aggregated in submitReadingBatch transactions (a concentrator, a meter draining its
// outbox after an outage) count in the statistics like readings sent one by one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerDirectorySource } from '@metroledger/audit';
import { ForgedLedger } from '@metroledger/audit/testing/forge';
import { encodeReadingBatch } from '@metroledger/lr';
import { collectMeasurements, surveil } from './index';

test('readings of batch transactions are collected, each under its own meter and sequence', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'metroledger-surveil-batch-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const f = await ForgedLedger.create(root);
  const meters = [f.newMeter('SP-0101'), f.newMeter('SP-0102')];
  for (const m of meters) await f.registerMeter(m);
  await f.cut();
  await f.submit(f.reading(meters[0]!));
  // sequences 2-3 of each meter in one batch, then 4 of the first one alone
  const batch = [f.reading(meters[0]!), f.reading(meters[1]!), f.reading(meters[0]!), f.reading(meters[1]!)].map((b64) =>
    Buffer.from(b64, 'base64'),
  );
  const { result } = await f.invoke('CETSPMSP', ['submitReadingBatch', Buffer.from(encodeReadingBatch(batch)).toString('base64')]);
  assert.equal(result.response.status, 200, result.response.message);
  await f.submit(f.reading(meters[0]!));
  await f.cut();
  await f.close();
  const collected = await collectMeasurements(ledgerDirectorySource(root));
  const seqs = (id: string) =>
    collected.readings
      .filter((r) => r.meterId === id)
      .map((r) => r.sequence)
      .sort((a, b) => a - b);
  assert.deepEqual(seqs('SP-0101'), [1, 2, 3, 4]);
  assert.deepEqual(seqs('SP-0102'), [1, 2]);
  assert.ok(collected.readings.every((r) => r.status === 'MEASURED' && r.speedKmh !== undefined));
  const batchTx = collected.readings.filter((r) => r.txId === collected.readings.find((x) => x.meterId === 'SP-0102')!.txId);
  assert.equal(batchTx.length, 4, 'the four readings of the batch share its transaction');
  const report = surveil(collected, 'batch test');
  assert.equal(report.flagCounts.SEQUENCE_GAP, undefined, 'no gap where the batch carried the readings');
  assert.equal(report.readings, 6);
});
