// SPDX-License-Identifier: Apache-2.0
// Attacks that need colluding endorsers (paper, VI-E attack 4): the forged transactions carry valid
// signatures of both computing providers and are committed as VALID in a real ledger directory.
// The audit must find each one at its block, transaction and meter, and nothing else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChaincodeResult } from '@metroledger/chaincode-host';
import { Meter } from '@metroledger/meter';
import { TxValidationCode } from '@metroledger/protocol';
import {
  formatAuditHtml,
  formatAuditText,
  governancePlugin,
  ledgerDirectorySource,
  runAudit,
  type AuditReport,
  type Finding,
} from './index';
import { ForgedLedger, GEOMETRY, GOVERNANCE_POLICY, LR_POLICY, meterKey, meterStateKey } from './testing/forge';

const utf8 = new TextEncoder();
const text = new TextDecoder();
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-forged-'));
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

/** A ledger with two meters and a few honest readings, then `attack`, then more honest readings. */
async function scenario(
  name: string,
  attack: (f: ForgedLedger, m: Meter) => Promise<string>,
): Promise<{ report: AuditReport; txId: string; block: number }> {
  const f = await ForgedLedger.create(join(root, name));
  const m1 = f.newMeter('SP-0001');
  const m2 = f.newMeter('SP-0002');
  await f.registerMeter(m1);
  await f.registerMeter(m2);
  await f.cut();
  for (let i = 0; i < 3; i++) {
    await f.submit(f.reading(m1));
    await f.submit(f.reading(m2));
  }
  await f.cut();
  const txId = await attack(f, m1);
  const block = await f.cut();
  await f.submit(f.reading(m2));
  await f.cut();
  await f.close();
  return { report: await audit(f.dir), txId, block };
}

function only(report: AuditReport, code: string): Finding {
  const errors = report.findings.filter((x) => x.severity !== 'info');
  assert.deepEqual(
    errors.map((x) => x.code),
    [code],
    JSON.stringify(report.findings, null, 1),
  );
  return errors[0]!;
}

/** Rewrites the stored measurement record (and the response/event carrying it) as colluding endorsers would. */
function alterRecord(change: (record: Record<string, unknown>) => void): (r: ChaincodeResult) => ChaincodeResult {
  return (r) => {
    const writes = r.rwset.writes.map((w) => {
      if (!w.key.startsWith('\u0000measurement\u0000')) return w;
      const record = JSON.parse(text.decode(w.value)) as Record<string, unknown>;
      change(record);
      return { ...w, value: utf8.encode(JSON.stringify(record)) };
    });
    const record = writes.find((w) => w.key.startsWith('\u0000measurement\u0000'))!.value;
    return {
      ...r,
      rwset: { ...r.rwset, writes },
      rwsets: [{ ...r.rwset, writes }],
      response: { ...r.response, payload: record },
      event: { name: 'Measurement', payload: record },
    };
  };
}

describe('forged ledgers (colluding endorsers)', () => {
  test('a clean forged ledger passes with zero findings, inline and with workers', async () => {
    const f = await ForgedLedger.create(join(root, 'clean'));
    const m = f.newMeter('SP-0009');
    await f.registerMeter(m);
    await f.cut();
    for (let i = 0; i < 5; i++) await f.submit(f.reading(m));
    await f.cut();
    await f.close();
    for (const workers of [0, 2]) {
      const r = await audit(f.dir, workers);
      assert.equal(r.verdict, 'PASS', JSON.stringify(r.findings));
      assert.equal(r.findings.length, 0);
      assert.equal(r.counts.readings, 5);
      assert.equal(r.counts.reexecuted, 5);
      assert.equal(r.counts.blocks, 4);
    }
  });

  test('a stored speed that re-execution does not reproduce (modified LR code, both providers signing)', async () => {
    const { report, txId, block } = await scenario('reexec', async (f, m) => {
      const { txId } = await f.submit(f.reading(m, { speedKmh: 80 }), {
        mutate: alterRecord((rec) => {
          rec['speedKmh'] = Math.round(((rec['speedKmh'] as number) - 25) * 10) / 10;
          rec['speedLimitExceeded'] = false;
        }),
      });
      return txId;
    });
    const x = only(report, 'REEXECUTION_MISMATCH');
    assert.deepEqual([x.blockNum, x.txId, x.meterId, x.sequence], [block, txId, 'SP-0001', 4]);
    const fields = (x.details!['mismatches'] as { field: string }[]).map((m) => m.field).sort();
    assert.deepEqual(fields, ['speedKmh', 'speedLimitExceeded']);
    assert.equal(report.verdict, 'FAIL');
    // The renderings name the same place.
    assert.match(
      formatAuditText(report),
      new RegExp(`REEXECUTION_MISMATCH at block ${block}, tx 0, txid ${txId.slice(0, 16)}…, meter SP-0001 seq 4`),
    );
    assert.match(formatAuditText(report), /verdict: FAIL \(1 error\(s\), 0 warning\(s\)\)/);
    const html = formatAuditHtml(report);
    assert.ok(html.includes(txId) && html.includes('<svg '));
    assert.doesNotMatch(html, /<script|<link|src="http/);
  });

  test("a reading signed with another key than the meter's registered one", async () => {
    const { report, txId, block } = await scenario('wrongkey', async (f, m) => {
      // A clone of the meter with its own key, continuing its sequence; the endorsers simulate
      // against a registry that shows the clone's key.
      const clone = Meter.create({ meterId: m.meterId, geometry: GEOMETRY, lastSequence: m.sequence });
      const real = JSON.parse(text.decode((await f.state.get('lr', meterKey(m.meterId)))!.value)) as Record<string, unknown>;
      const doctored = new Map([[meterKey(m.meterId), utf8.encode(JSON.stringify({ ...real, publicKeyPem: clone.publicKeyPem }))]]);
      const { txId } = await f.submit(f.reading(clone), { override: doctored });
      return txId;
    });
    const x = only(report, 'BAD_METER_SIGNATURE');
    assert.deepEqual([x.blockNum, x.txId, x.meterId, x.sequence], [block, txId, 'SP-0001', 4]);
  });

  test('a replayed reading (the same signed bytes accepted twice)', async () => {
    let replayed = '';
    const { report, txId, block } = await scenario('replay', async (f, m) => {
      replayed = f.reading(m);
      await f.submit(replayed);
      await f.cut();
      // The endorsers simulate against a state that forgot the meter's last sequence.
      const { txId } = await f.submit(replayed, { override: new Map([[meterStateKey(m.meterId), null]]) });
      return txId;
    });
    const x = only(report, 'REPLAYED_READING');
    assert.deepEqual([x.blockNum, x.txId, x.meterId, x.sequence], [block, txId, 'SP-0001', 4]);
  });

  test('a transaction committed as VALID whose endorsements do not satisfy the policy', async () => {
    const { report, txId, block } = await scenario('policy', async (f, m) => {
      const { txId } = await f.submit(f.reading(m), { endorsers: ['LaSIGEMSP'] });
      return txId;
    });
    const x = only(report, 'ENDORSEMENT_POLICY_FAILURE');
    assert.deepEqual([x.blockNum, x.txId, x.meterId], [block, txId, 'SP-0001']);
    assert.match(x.message, /LaSIGEMSP/);
  });

  test('a transaction the peers rightly invalidated is not a finding', async () => {
    const { report } = await scenario('invalid-ok', async (f, m) => {
      const { txId } = await f.submit(f.reading(m), {
        endorsers: ['LaSIGEMSP'],
        code: TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
        applyWrites: false,
      });
      return txId;
    });
    assert.equal(report.verdict, 'PASS', JSON.stringify(report.findings));
    assert.equal(report.counts.invalidTransactions, 1);
  });

  test('lost readings show as a sequence gap with the number lost', async () => {
    const { report, txId, block } = await scenario('gap', async (f, m) => {
      f.reading(m);
      f.reading(m); // captured and signed, never submitted
      const { txId } = await f.submit(f.reading(m));
      return txId;
    });
    const x = only(report, 'SEQUENCE_GAP');
    assert.deepEqual([x.blockNum, x.txId, x.meterId, x.sequence, x.details!['lost']], [block, txId, 'SP-0001', 6, 2]);
    assert.equal(report.verdict, 'PASS_WITH_WARNINGS');
  });

  test('key rotation: readings before and after verify against the key in force (pipelined workers)', async () => {
    const f = await ForgedLedger.create(join(root, 'rotation'));
    const oldKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const m = Meter.create({ meterId: 'SP-0007', geometry: GEOMETRY, privateKeyPem: oldKey });
    await f.registerMeter(m);
    await f.cut();
    for (let i = 0; i < 3; i++) await f.submit(f.reading(m));
    await f.cut();
    const successor = Meter.create({ meterId: m.meterId, geometry: GEOMETRY, lastSequence: m.sequence });
    await f.invoke('InmetroMSP', ['rotateMeterKey', m.meterId, successor.publicKeyPem, 'signing chip replaced']);
    await f.cut();
    for (let b = 0; b < 6; b++) {
      for (let i = 0; i < 4; i++) await f.submit(f.reading(successor));
      await f.cut();
    }
    // The old key, after the rotation, with endorsers simulating against the old registry entry.
    const before = JSON.parse(text.decode((await f.state.get('lr', meterKey(m.meterId)))!.value)) as Record<string, unknown>;
    const old = new Map([
      [
        meterKey(m.meterId),
        utf8.encode(
          JSON.stringify({ ...before, publicKeyPem: m.publicKeyPem, keyHistory: (before['keyHistory'] as unknown[]).slice(0, 1) }),
        ),
      ],
    ]);
    const stale = Meter.create({ meterId: m.meterId, geometry: GEOMETRY, privateKeyPem: oldKey, lastSequence: successor.sequence });
    const { txId } = await f.submit(f.reading(stale), { override: old });
    const block = await f.cut();
    await f.close();
    const r = await audit(f.dir, 2);
    // Only the stale-key reading is found: its signature, and the key index its record claims.
    assert.deepEqual(
      r.findings.map((x) => [x.code, x.blockNum, x.txId, x.meterId]),
      [
        ['BAD_METER_SIGNATURE', block, txId, 'SP-0007'],
        ['REEXECUTION_MISMATCH', block, txId, 'SP-0007'],
      ],
    );
    assert.deepEqual(
      (r.findings[1]!.details!['mismatches'] as { field: string }[]).map((x) => x.field),
      ['meterKeyIndex'],
    );
    assert.equal(r.counts.readings, 3 + 24 + 1);
    assert.equal(r.counts.reexecuted, 3 + 24);
  });

  test("a revoked meter's reading recorded as rejected is not a finding; a measured one is", async () => {
    const f = await ForgedLedger.create(join(root, 'revoked'));
    const m = f.newMeter('SP-0008');
    await f.registerMeter(m);
    await f.cut();
    await f.submit(f.reading(m));
    await f.invoke('InmetroMSP', ['revokeMeter', m.meterId, 'seal broken']);
    await f.cut();
    await f.submit(f.reading(m));
    await f.cut();
    // Colluding endorsers measure a revoked meter's reading anyway (simulating against the active entry).
    const active = JSON.parse(text.decode((await f.state.get('lr', meterKey(m.meterId)))!.value)) as Record<string, unknown>;
    const { txId } = await f.submit(f.reading(m), {
      override: new Map([[meterKey(m.meterId), utf8.encode(JSON.stringify({ ...active, status: 'ACTIVE' }))]]),
    });
    const block = await f.cut();
    await f.close();
    const r = await audit(f.dir);
    assert.equal(r.counts.rejected, 1);
    const x = only(r, 'METER_REVOKED');
    assert.deepEqual([x.blockNum, x.txId, x.meterId], [block, txId, 'SP-0008']);
  });

  test('an integrity incident recorded by an endorser is reported where it was recorded', async () => {
    const f = await ForgedLedger.create(join(root, 'incident'));
    const incident = {
      kind: 'FINGERPRINT_MISMATCH',
      chaincodeName: 'lr',
      expectedPackageId: `lr_1.0:${'ab'.repeat(32)}`,
      foundPackageId: `lr_1.0:${'ef'.repeat(32)}`,
      peer: 'peer0.pucpr.example.com',
      organization: 'PUCPRMSP',
    };
    const { txId } = await f.invoke('PUCPRMSP', ['reportIntegrityIncident', JSON.stringify(incident)], {
      chaincode: 'governance',
      user: 'peer0',
    });
    const block = await f.cut();
    await f.close();
    const r = await audit(f.dir);
    const x = only(r, 'INTEGRITY_INCIDENT');
    assert.deepEqual([x.blockNum, x.txId], [block, txId]);
    assert.match(x.message, /PUCPRMSP peer peer0\.pucpr\.example\.com reported FINGERPRINT_MISMATCH/);
    assert.equal(r.verdict, 'PASS_WITH_WARNINGS');
  });
});
