// SPDX-License-Identifier: Apache-2.0
// The audit of aggregated submissions (submitReadingBatch): every reading of a batch transaction is
// verified and re-executed as if it had its own transaction, and a finding names the reading.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChaincodeResult } from '@metroledger/chaincode-host';
import { formatAuditText, governancePlugin, ledgerDirectorySource, runAudit, type AuditReport } from './index';
import { ForgedLedger, GOVERNANCE_POLICY, LR_POLICY } from './testing/forge';

const utf8 = new TextEncoder();
const text = new TextDecoder();
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-batch-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function audit(dir: string, workers = 0): Promise<AuditReport> {
  return (
    await runAudit(ledgerDirectorySource(dir), {
      policies: { lr: LR_POLICY, governance: GOVERNANCE_POLICY },
      workers,
      plugins: [governancePlugin()],
    })
  ).report;
}

/** "MLB1" | u16 count | count × (u32 length | signed reading), written here from the format. */
function batch(signedBase64: readonly string[]): string {
  const head = Buffer.alloc(6);
  head.write('MLB1', 0, 'latin1');
  head.writeUInt16BE(signedBase64.length, 4);
  const body = signedBase64.flatMap((s) => {
    const bytes = Buffer.from(s, 'base64');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return [len, bytes];
  });
  return Buffer.concat([head, ...body]).toString('base64');
}

/** Two meters, single readings, then batches interleaving both meters (several readings of each). */
async function ledgerWithBatches(
  name: string,
  tamper?: (r: ChaincodeResult) => ChaincodeResult,
): Promise<{ f: ForgedLedger; tamperedTx?: string; tamperedBlock?: number }> {
  const f = await ForgedLedger.create(join(root, name));
  const a = f.newMeter('SP-0001');
  const b = f.newMeter('SP-0002');
  await f.registerMeter(a);
  await f.registerMeter(b);
  await f.cut();
  await f.submit(f.reading(a));
  await f.cut();
  await f.invoke('CETSPMSP', ['submitReadingBatch', batch([f.reading(a), f.reading(b), f.reading(a), f.reading(b), f.reading(b)])]);
  await f.cut();
  let tamperedTx: string | undefined;
  let tamperedBlock: number | undefined;
  const second = batch([f.reading(b), f.reading(a, { speedKmh: 90 }), f.reading(a)]);
  if (tamper === undefined) await f.invoke('CETSPMSP', ['submitReadingBatch', second]);
  else tamperedTx = (await f.invoke('CETSPMSP', ['submitReadingBatch', second], { mutate: tamper })).txId;
  const block = await f.cut();
  if (tamper !== undefined) tamperedBlock = block;
  await f.submit(f.reading(b));
  await f.cut();
  await f.close();
  return { f, ...(tamperedTx !== undefined ? { tamperedTx, tamperedBlock: tamperedBlock! } : {}) };
}

describe('audit of batch transactions', () => {
  test('every reading of every batch is verified and re-executed; a clean ledger passes, inline and with workers', async () => {
    const { f } = await ledgerWithBatches('clean');
    for (const workers of [0, 2]) {
      const r = await audit(f.dir, workers);
      assert.deepEqual(r.findings, [], JSON.stringify(r.findings, null, 1));
      assert.equal(r.verdict, 'PASS');
      assert.equal(r.counts.readings, 1 + 5 + 3 + 1);
      assert.equal(r.counts.reexecuted, 10);
    }
  });

  test('a record in a batch that re-execution does not reproduce is found at its meter and sequence', async () => {
    // Colluding endorsers lower the speed of SP-0001's reading in the second batch (its 2nd reading).
    const lower = (r: ChaincodeResult): ChaincodeResult => {
      const writes = r.rwset.writes.map((w) => {
        if (!w.key.startsWith('\u0000measurement\u0000SP-0001\u0000')) return w;
        const record = JSON.parse(text.decode(w.value)) as Record<string, unknown>;
        if (record['sequence'] !== 4) return w;
        record['speedKmh'] = Math.round(((record['speedKmh'] as number) - 30) * 10) / 10;
        record['speedLimitExceeded'] = false;
        return { ...w, value: utf8.encode(JSON.stringify(record)) };
      });
      return { ...r, rwset: { ...r.rwset, writes }, rwsets: [{ ...r.rwset, writes }, ...r.rwsets.slice(1)] };
    };
    const { f, tamperedTx, tamperedBlock } = await ledgerWithBatches('tampered', lower);
    const r = await audit(f.dir);
    const errors = r.findings.filter((x) => x.severity !== 'info');
    assert.deepEqual(
      errors.map((x) => [x.code, x.blockNum, x.txId, x.meterId, x.sequence]),
      [['REEXECUTION_MISMATCH', tamperedBlock, tamperedTx, 'SP-0001', 4]],
      JSON.stringify(r.findings, null, 1),
    );
    assert.match(errors[0]!.message, /reading 1 of the batch/);
    assert.equal(r.counts.readings, 10);
    assert.equal(r.verdict, 'FAIL');
    assert.match(formatAuditText(r), /REEXECUTION_MISMATCH/);
  });
});
