// SPDX-License-Identifier: Apache-2.0
// A ledger that lost blocks must fail the audit: a block file whose tail was cut off (inside a
// record or exactly at a block), a record damaged in the middle, blocks gone since the previous
// audit. Every unreadable record is reported, the blocks after a damaged one are still audited, and
// blocks the ledger's own index (or the checkpoint, or a peer) says exist must have been verified.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { governancePlugin, ledgerDirectorySource, parseCheckpoint, runAudit, type AuditOptions, type AuditReport } from './index';
import { ForgedLedger, GOVERNANCE_POLICY, LR_POLICY } from './testing/forge';

let root: string;
let source: string;
let readings = 0;
const READINGS_PER_BLOCK = 4;

const options = (extra: Partial<AuditOptions> = {}): AuditOptions => ({
  policies: { lr: LR_POLICY, governance: GOVERNANCE_POLICY },
  plugins: [governancePlugin()],
  workers: 0,
  ...extra,
});

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-lost-'));
  const f = await ForgedLedger.create(join(root, 'source'));
  const meters = [f.newMeter('SP-0001'), f.newMeter('SP-0002')];
  for (const m of meters) await f.registerMeter(m);
  await f.cut();
  for (let b = 0; b < 6; b++) {
    for (let i = 0; i < READINGS_PER_BLOCK; i++) await f.submit(f.reading(meters[i % 2]!));
    readings += READINGS_PER_BLOCK;
    await f.cut();
  }
  await f.close();
  source = f.dir;
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The records of the (single) block file: offset and total size of each, block i at index i. */
async function records(dir: string): Promise<{ path: string; bytes: Buffer; list: { offset: number; size: number }[] }> {
  const path = join(dir, 'ledger', 'chains', 'blockfile_000000');
  const bytes = await readFile(path);
  const list: { offset: number; size: number }[] = [];
  for (let o = 0; o < bytes.length; o += 12 + bytes.readUInt32BE(o)) list.push({ offset: o, size: 12 + bytes.readUInt32BE(o) });
  return { path, bytes, list };
}

async function copy(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(source, dir, { recursive: true });
  return dir;
}

const codes = (r: AuditReport): [string, string, number][] => r.findings.map((f) => [f.code, f.severity, f.blockNum]);

describe('a ledger that lost blocks', () => {
  test('the intact copy passes and its height is confirmed by its index', async () => {
    const { report } = await runAudit(ledgerDirectorySource(await copy('intact')), options());
    assert.deepEqual(report.findings, []);
    assert.equal(report.counts.readings, readings);
    assert.equal(report.declaredHeights[0]?.height, report.toBlock + 1);
  });

  test('a tail cut inside the last record fails: the index says that block exists', async () => {
    const dir = await copy('tail');
    const { path, list } = await records(dir);
    const last = list[list.length - 1]!;
    await truncate(path, last.offset + Math.floor(last.size / 2));
    const { report } = await runAudit(ledgerDirectorySource(dir), options());
    assert.equal(report.verdict, 'FAIL', JSON.stringify(report.findings));
    const n = list.length - 1;
    assert.deepEqual(codes(report), [
      ['BLOCK_FILE_DAMAGED', 'error', n],
      ['BLOCK_MISSING', 'error', n],
    ]);
    assert.equal(report.counts.readings, readings - READINGS_PER_BLOCK);
    assert.match(report.findings[1]!.message, /block index/);
  });

  test('files cut exactly at a block boundary fail: blocks the index records are missing', async () => {
    const dir = await copy('cut');
    const { path, list } = await records(dir);
    const cutAt = 3;
    await truncate(path, list[cutAt]!.offset);
    const { report } = await runAudit(ledgerDirectorySource(dir), options());
    assert.equal(report.verdict, 'FAIL');
    assert.deepEqual(codes(report), [['BLOCK_MISSING', 'error', cutAt]]);
    assert.deepEqual([report.findings[0]!.details!['missingFrom'], report.findings[0]!.details!['missingTo']], [cutAt, list.length - 1]);
  });

  test('a damaged record in the middle is reported and every block after it is still audited', async () => {
    const dir = await copy('middle');
    const { path, bytes, list } = await records(dir);
    const k = 3;
    // The record's length field now runs past the end of the file: its framing is lost.
    const damaged = Buffer.from(bytes);
    damaged.writeUInt32BE(0x7fffff00, list[k]!.offset);
    await writeFile(path, damaged);
    const { report } = await runAudit(ledgerDirectorySource(dir), options());
    assert.equal(report.verdict, 'FAIL');
    const found = codes(report);
    assert.deepEqual(
      found.slice(0, 2),
      [
        ['BLOCK_FILE_DAMAGED', 'error', k],
        ['BLOCK_MISSING', 'error', k],
      ],
      JSON.stringify(report.findings, null, 1),
    );
    // The blocks after the damaged one were read and checked: the readings of all other blocks count.
    assert.equal(report.toBlock, list.length - 1);
    assert.equal(report.counts.readings, readings - READINGS_PER_BLOCK);
    // The block after the gap does not link to the last one verified: reported as the gap, nothing else.
    assert.ok(
      found.every(([, , b]) => b === k),
      JSON.stringify(found),
    );
  });

  test('a record whose checksum fails is still audited, located by its block', async () => {
    const dir = await copy('checksum');
    const { path, bytes, list } = await records(dir);
    const k = 4;
    const damaged = Buffer.from(bytes);
    damaged[list[k]!.offset + list[k]!.size - 3] ^= 0x01; // inside the metadata: the block stays decodable
    await writeFile(path, damaged);
    const { report } = await runAudit(ledgerDirectorySource(dir), options());
    assert.equal(report.verdict, 'FAIL');
    assert.equal(report.findings.find((f) => f.code === 'BLOCK_FILE_CHECKSUM')?.blockNum, k);
    assert.equal(report.toBlock, list.length - 1);
  });

  test('a damaged genesis record is reported, not a reason to refuse the directory', async () => {
    const dir = await copy('genesis');
    const { path, bytes, list } = await records(dir);
    const damaged = Buffer.from(bytes);
    // A byte of its header's data_hash (the payload starts 0a <len> 1a 20 <32 bytes>).
    damaged[list[0]!.offset + 12 + 4 + 10] ^= 0x01;
    await writeFile(path, damaged);
    const { report } = await runAudit(ledgerDirectorySource(dir), options());
    assert.deepEqual(codes(report), [
      ['BLOCK_FILE_CHECKSUM', 'error', 0],
      ['DATA_HASH_MISMATCH', 'error', 0],
      ['PREVIOUS_HASH_MISMATCH', 'error', 1],
    ]);
    assert.equal(report.counts.readings, readings);
  });

  test('without a readable index, a short record at the end is a warning (it may be lost), not silence', async () => {
    const dir = await copy('noindex');
    const { path, list } = await records(dir);
    await rm(join(dir, 'ledger', 'chains', 'index'), { recursive: true });
    const last = list[list.length - 1]!;
    await truncate(path, last.offset + 20);
    const { report } = await runAudit(ledgerDirectorySource(dir), options());
    assert.deepEqual(codes(report), [['BLOCK_FILE_INCOMPLETE', 'warning', list.length - 1]]);
    assert.equal(report.verdict, 'PASS_WITH_WARNINGS');
    assert.match(report.heightNotes.join(), /no block index/);
  });

  test('a height given by a peer that the files do not reach fails the audit', async () => {
    const dir = await copy('peer');
    await rm(join(dir, 'ledger', 'chains', 'index'), { recursive: true });
    const { list } = await records(dir);
    const { report } = await runAudit(
      ledgerDirectorySource(dir),
      options({ expectedHeight: { height: list.length + 5, by: 'peer0.lasige.example.com (peer channel getinfo)' } }),
    );
    assert.deepEqual(codes(report), [['BLOCK_MISSING', 'error', list.length]]);
    assert.match(report.findings[0]!.message, /peer0\.lasige/);
  });

  test('blocks gone since the previous audit fail the next run from its checkpoint', async () => {
    const dir = await copy('since');
    const first = await runAudit(ledgerDirectorySource(dir), options());
    assert.deepEqual(first.report.findings, []);
    const checkpoint = parseCheckpoint(JSON.parse(JSON.stringify(first.checkpoint)));
    const { path, list } = await records(dir);
    // Cut the files and the index alike (as a restore from an old backup would).
    await truncate(path, list[2]!.offset);
    await rm(join(dir, 'ledger', 'chains', 'index'), { recursive: true });
    const { report } = await runAudit(ledgerDirectorySource(dir), options({ checkpoint }));
    assert.equal(report.verdict, 'FAIL');
    assert.deepEqual(codes(report), [['BLOCK_MISSING', 'error', 2]]);
    assert.match(report.findings[0]!.message, /previous audit/);
  });
});
