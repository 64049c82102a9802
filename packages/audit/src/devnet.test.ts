// SPDX-License-Identifier: Apache-2.0
// The audit of a real devnet ledger: clean (through Deliver and from the directory, in one run or
// incrementally), then damaged on disk: a flipped byte, a removed block, two blocks swapped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Devnet } from '@metroledger/devnet';
import { blockEnvelopes, decodeBlock, parseEnvelope } from '@metroledger/protocol';
import { decodeReading, decodeSignedReading, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { deliverSource, governancePlugin, ledgerDirectorySource, runAudit, type AuditOptions, type AuditReport } from './index';
import { devnetPolicies, devnetWithWorkload, userPaths } from './testing/workload';

let root: string;
let dataDir: string;
let devnet: Devnet | undefined;
let submitted = 0;

const options = (extra: Partial<AuditOptions> = {}): AuditOptions => ({
  policies: devnetPolicies(),
  plugins: [governancePlugin()],
  ...extra,
});
const text = new TextDecoder();

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-devnet-'));
  dataDir = join(root, 'devnet');
  const run = await devnetWithWorkload(dataDir, { meters: 3, readingsPerMeter: 8 });
  devnet = run.devnet;
  submitted = run.readings;
});

after(async () => {
  await devnet?.stop();
  await rm(root, { recursive: true, force: true });
});

function assertClean(r: AuditReport): void {
  assert.deepEqual(r.findings, [], JSON.stringify(r.findings, null, 1));
  assert.equal(r.verdict, 'PASS');
  assert.equal(r.counts.readings, submitted);
  assert.equal(r.counts.reexecuted, r.counts.measurements + r.counts.refusals);
  assert.equal(r.counts.readings, r.counts.measurements + r.counts.refusals);
  assert.ok(r.counts.invalidTransactions >= 1, 'the refused transaction is in the ledger');
}

/** The block files as records: [offset, payload] per block, in file order (one file in these tests). */
async function records(dir: string): Promise<{ path: string; bytes: Buffer; list: { offset: number; length: number }[] }> {
  const path = join(dir, 'ledger', 'chains', 'blockfile_000000');
  const bytes = await readFile(path);
  const list: { offset: number; length: number }[] = [];
  for (let o = 0; o < bytes.length;) {
    const length = bytes.readUInt32BE(o);
    list.push({ offset: o, length });
    o += 12 + length;
  }
  return { path, bytes, list };
}

async function copyLedger(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(join(dataDir, 'ledger'), join(dir, 'ledger'), { recursive: true });
  return dir;
}

describe('audit of a devnet ledger', () => {
  test('blocks streamed from the running peer through Deliver, with a user identity, pass with zero findings', async () => {
    const d = devnet!;
    const source = deliverSource({
      endpoint: d.endpoint,
      channelId: d.channelId,
      mspId: 'CETSPMSP',
      ...userPaths(d, 'CETSPMSP'),
      tlsCaCertPath: d.tlsCaCertPath,
      idleMs: 1500,
    });
    const { report } = await runAudit(source, options());
    assertClean(report);
    assert.equal(report.toBlock, d.height() - 1);
  });

  test('the ledger directory passes with zero findings, every reading re-executed exactly', async () => {
    await devnet!.stop();
    devnet = undefined;
    const { report, checkpoint } = await runAudit(ledgerDirectorySource(dataDir), options());
    assertClean(report);
    assert.equal(report.fromBlock, 0);
    assert.ok(checkpoint !== undefined && checkpoint.nextBlock === report.toBlock + 1);
    assert.equal(report.policies['lr']?.from, 'ledger', 'the LR policy comes from the governance registry');
    assert.deepEqual(
      report.declaredHeights.map((d) => d.height),
      [report.toBlock + 1],
      'the index was read and agrees',
    );
  });

  test('--lr-package: the LR package the devnet approved re-executes every reading, also after a checkpoint; the bundled module none', async () => {
    // The package of the code the devnet's notified body approved (its bootstrap approves this repository's LR package).
    const pkg = await packageLrChaincode();
    const file = join(root, 'lr-node.tgz');
    await writeFile(file, pkg.bytes);
    const { report } = await runAudit(ledgerDirectorySource(dataDir), options({ lrPackages: [file] }));
    assertClean(report);
    const used = report.lrSoftware.find((u) => u.from === 'package');
    assert.deepEqual(
      [used?.version, used?.verified, used?.readings, used?.package?.packageId, used?.package?.approval.matchedBy],
      [LR_SOFTWARE_VERSION, true, submitted, pkg.packageId, 'packageId'],
    );
    assert.equal(report.lrSoftware.find((u) => u.from === 'bundled')?.readings, 0);
    // Resumed from a checkpoint taken after the approval: the approval comes from the checkpoint's registry.
    const full = report.toBlock;
    const first = await runAudit(ledgerDirectorySource(dataDir), options({ toBlock: Math.floor(full / 2) }));
    const second = (
      await runAudit(
        ledgerDirectorySource(dataDir),
        options({ checkpoint: JSON.parse(JSON.stringify(first.checkpoint)), lrPackages: [file], workers: 2 }),
      )
    ).report;
    assert.deepEqual(second.findings, []);
    assert.ok(second.counts.readings > 0);
    assert.equal(second.lrSoftware.find((u) => u.from === 'package')?.readings, second.counts.readings);
  });

  test('incremental: a second run from the checkpoint reads only the new blocks and keeps the totals', async () => {
    const full = (await runAudit(ledgerDirectorySource(dataDir), options({ workers: 0 }))).report;
    const mid = Math.floor(full.toBlock / 2);
    const first = await runAudit(ledgerDirectorySource(dataDir), options({ toBlock: mid }));
    assert.equal(first.report.toBlock, mid);
    // The checkpoint goes through JSON, as the CLI stores it.
    const checkpoint = JSON.parse(JSON.stringify(first.checkpoint));
    const second = await runAudit(ledgerDirectorySource(dataDir), options({ checkpoint }));
    assert.equal(second.report.fromBlock, mid + 1);
    assert.equal(second.report.counts.blocks, full.toBlock - mid);
    assert.deepEqual(second.report.findings, []);
    assert.equal(second.report.totals!.readings, full.counts.readings);
    assert.equal(second.report.totals!.blocks, full.counts.blocks);
    assert.equal(second.checkpoint!.position!.offset > 0, true);
  });

  test('a byte flipped inside a committed block is found at its block, transaction and meter', async () => {
    const dir = await copyLedger('flip');
    const { path, bytes, list } = await records(dir);
    // The first block with a reading; flip one base64 character in the middle of the reading's samples.
    let target: { block: number; txId: string; meterId: string; sequence: number; at: number } | undefined;
    for (const rec of list) {
      const payload = bytes.subarray(rec.offset + 12, rec.offset + 12 + rec.length);
      const block = decodeBlock(payload);
      for (const env of blockEnvelopes(block)) {
        const tx = parseEnvelope(env);
        if (tx.chaincodeName !== 'lr' || text.decode(tx.args[0]!) !== 'submitReading') continue;
        const arg = Buffer.from(tx.args[1]!);
        const r = decodeReading(decodeSignedReading(Buffer.from(arg.toString(), 'base64')).reading);
        const at = rec.offset + 12 + payload.indexOf(arg) + Math.floor(arg.length / 2);
        target = { block: block.getHeader()!.getNumber(), txId: tx.txId, meterId: r.meterId, sequence: r.sequence, at };
        break;
      }
      if (target !== undefined) break;
    }
    assert.ok(target !== undefined);
    const fh = await open(path, 'r+');
    const old = bytes[target.at]!;
    await fh.write(Buffer.from([old === 0x41 ? 0x42 : 0x41]), 0, 1, target.at);
    await fh.close();

    const { report } = await runAudit(ledgerDirectorySource(dir), options());
    assert.equal(report.verdict, 'FAIL');
    const at = (code: string) => report.findings.find((f) => f.code === code);
    assert.equal(at('BLOCK_FILE_CHECKSUM')?.blockNum, target.block);
    assert.equal(at('DATA_HASH_MISMATCH')?.blockNum, target.block);
    const tx = report.findings.find((f) => f.txId === target!.txId);
    assert.ok(tx !== undefined, JSON.stringify(report.findings, null, 1));
    assert.deepEqual([tx.blockNum, tx.meterId, tx.sequence], [target.block, target.meterId, target.sequence]);
    // Nothing is reported anywhere else.
    assert.deepEqual([...new Set(report.findings.map((f) => f.blockNum))], [target.block]);
  });

  test('a removed block and two swapped blocks are found at their block numbers', async () => {
    const source = await records(await copyLedger('src'));
    const n = source.list.length;
    const k = n - 3; // a block with readings, with blocks after it
    const rec = (i: number) => source.bytes.subarray(source.list[i]!.offset, source.list[i]!.offset + 12 + source.list[i]!.length);

    const removed = await copyLedger('removed');
    await writeFile(
      join(removed, 'ledger', 'chains', 'blockfile_000000'),
      Buffer.concat(source.list.map((_, i) => (i === k ? Buffer.alloc(0) : rec(i)))),
    );
    const r1 = (await runAudit(ledgerDirectorySource(removed), options())).report;
    const missing = r1.findings.find((f) => f.code === 'BLOCK_MISSING');
    assert.equal(missing?.blockNum, k);
    assert.equal(r1.verdict, 'FAIL');
    assert.ok(
      r1.findings.every((f) => f.blockNum >= k),
      JSON.stringify(r1.findings),
    );

    const swapped = await copyLedger('swapped');
    const order = source.list.map((_, i) => (i === k ? k + 1 : i === k + 1 ? k : i));
    await writeFile(join(swapped, 'ledger', 'chains', 'blockfile_000000'), Buffer.concat(order.map((i) => rec(i))));
    const r2 = (await runAudit(ledgerDirectorySource(swapped), options())).report;
    assert.equal(r2.findings.find((f) => f.code === 'BLOCK_MISSING')?.blockNum, k);
    assert.equal(r2.findings.find((f) => f.code === 'BLOCK_OUT_OF_ORDER')?.blockNum, k);
    assert.equal(r2.verdict, 'FAIL');
  });

  test('a block still being written at the end of the newest file (past the index height) is noted and left for the next run', async () => {
    const dir = await copyLedger('torn');
    const { path, bytes, list } = await records(dir);
    const last = list[list.length - 1]!;
    // The next record's header and the first half of its payload, as a reader may catch a write.
    const partial = Buffer.concat([
      bytes.subarray(last.offset, last.offset + 12),
      bytes.subarray(last.offset + 12, last.offset + 12 + Math.floor(last.length / 2)),
    ]);
    await writeFile(path, Buffer.concat([bytes, partial]));
    const { report, checkpoint } = await runAudit(ledgerDirectorySource(dir), options());
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity, f.blockNum]),
      [['BLOCK_BEING_WRITTEN', 'info', list.length]],
    );
    assert.equal(report.verdict, 'PASS');
    assert.equal(checkpoint!.nextBlock, list.length);
    assert.equal(checkpoint!.position!.offset, bytes.length);
  });

  test('a pinned genesis hash that differs is a finding; the checksum of the files is not needed to read them', async () => {
    const { report } = await runAudit(
      ledgerDirectorySource(dataDir),
      options({ genesisHash: createHash('sha256').update('another chain').digest('hex') }),
    );
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.blockNum]),
      [['GENESIS_MISMATCH', 0]],
    );
  });
});
