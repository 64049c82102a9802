// SPDX-License-Identifier: Apache-2.0
// The daily incremental audit: a run from a checkpoint with no new block finds nothing and changes
// nothing; new blocks are audited from where the last run stopped, without rereading the files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  governancePlugin,
  ledgerDirectorySource,
  parseCheckpoint,
  peekBlockNumber,
  runAudit,
  type AuditCheckpoint,
  type AuditOptions,
} from './index';
import { ForgedLedger, GOVERNANCE_POLICY, LR_POLICY } from './testing/forge';
import { blockHash } from './auditor';

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-checkpoint-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const options = (checkpoint?: AuditCheckpoint): AuditOptions => ({
  policies: { lr: LR_POLICY, governance: GOVERNANCE_POLICY },
  plugins: [governancePlugin()],
  workers: 0,
  ...(checkpoint === undefined ? {} : { checkpoint }),
});

/** Through JSON, as the CLI stores it. */
const stored = (c: AuditCheckpoint | undefined): AuditCheckpoint => parseCheckpoint(JSON.parse(JSON.stringify(c)));

describe('incremental audit', () => {
  test('runs with no new block report nothing, keep the totals, and never reread block 0', async () => {
    const f = await ForgedLedger.create(join(root, 'idle'));
    const m = f.newMeter('SP-0001');
    await f.registerMeter(m);
    await f.cut();
    for (let i = 0; i < 3; i++) await f.submit(f.reading(m));
    await f.cut();

    // The ledger stays open, as a running peer's would: the audit reads its files beside it.
    const first = await runAudit(ledgerDirectorySource(f.dir), options());
    assert.equal(first.report.verdict, 'PASS', JSON.stringify(first.report.findings));
    let checkpoint = stored(first.checkpoint);
    for (let run = 0; run < 3; run++) {
      const again = await runAudit(ledgerDirectorySource(f.dir), options(checkpoint));
      assert.deepEqual(again.report.findings, [], `run ${run + 2}: ${JSON.stringify(again.report.findings)}`);
      assert.equal(again.report.verdict, 'PASS');
      assert.equal(again.report.counts.blocks, 0);
      assert.equal(again.report.totals!.errors, 0);
      assert.equal(again.report.totals!.blocks, first.report.counts.blocks);
      assert.equal(again.report.totals!.readings, 3);
      assert.deepEqual(again.checkpoint!.position, first.checkpoint!.position);
      checkpoint = stored(again.checkpoint);
    }

    // A new block later is audited from the checkpoint, and only it.
    await f.submit(f.reading(m));
    await f.cut();
    await f.close();
    const next = await runAudit(ledgerDirectorySource(f.dir), options(checkpoint));
    assert.deepEqual(next.report.findings, []);
    assert.equal(next.report.counts.blocks, 1);
    assert.equal(next.report.fromBlock, first.report.toBlock + 1);
    assert.equal(next.report.totals!.readings, 4);
  });

  test('the block number of a genesis block (number 0 is not encoded) is read as 0', async () => {
    const f = await ForgedLedger.create(join(root, 'genesis'));
    await f.close();
    const blocks: Uint8Array[] = [];
    for await (const sb of ledgerDirectorySource(f.dir).blocks(0)) blocks.push(sb.bytes);
    assert.equal(peekBlockNumber(blocks[0]!), 0);
    assert.equal(peekBlockNumber(blocks[1]!), 1);
    assert.match(blockHash(blocks[0]!), /^[0-9a-f]{64}$/);
  });
});
