// SPDX-License-Identifier: Apache-2.0
// What each case ends with: every acknowledged reading on the ledger (VALID, in the block the
// client was told), no reading recorded twice, the scan of the block files and the audit.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { blockContents, decodeBlock, Ledger, readBlockRecords, verifyLedgerFiles, type LedgerFinding } from '@metroledger/ledger';
import type { Acknowledged } from './load';

export interface LedgerCheck {
  readonly height: number;
  /** Acknowledged readings missing, not VALID, or in another block than the client was told. */
  readonly lost: readonly string[];
  /** VALID transactions whose tx id, or whose measurement key, an earlier VALID transaction had already. */
  readonly duplicates: number;
}

/** The acknowledged-versus-ledger check, on a stopped node's data directory. */
export async function checkLedger(dataDir: string, acknowledged: Acknowledged): Promise<LedgerCheck> {
  const ledger = await Ledger.open(join(dataDir, 'ledger'));
  const lost: string[] = [];
  let height: number;
  try {
    height = ledger.height;
    for (const [txId, blockNum] of acknowledged) {
      const tx = await ledger.getTx(txId);
      if (tx === undefined || tx.code !== 0 || tx.blockNum !== blockNum) lost.push(txId);
    }
  } finally {
    await ledger.close();
  }
  const txIds = new Set<string>();
  const measurements = new Set<string>();
  let duplicates = 0;
  for await (const r of readBlockRecords(join(dataDir, 'ledger', 'chains'))) {
    if (r.kind !== 'block') continue;
    const contents = blockContents(decodeBlock(r.bytes));
    for (const t of contents.txIndex) {
      if (t.code !== 0 || t.txId === '') continue;
      if (txIds.has(t.txId)) duplicates++;
      txIds.add(t.txId);
    }
    for (const u of contents.updates) {
      // the LR chaincode's record of one reading: \0measurement\0<meter>\0<capture>\0<sequence>\0
      if (u.ns !== 'lr' || !u.key.startsWith('\u0000measurement\u0000')) continue;
      if (measurements.has(u.key)) duplicates++;
      measurements.add(u.key);
    }
  }
  return { height, lost, duplicates };
}

/** The full scan of the block files (`metroledger ledger verify`). */
export async function scanLedger(dataDir: string): Promise<readonly LedgerFinding[]> {
  return (await verifyLedgerFiles(join(dataDir, 'ledger'))).findings;
}

export interface AuditOutcome {
  readonly verdict: string;
  readonly exitCode: number | null;
  readonly findingCodes: Record<string, number>;
}

/** `metroledger audit --data DIR`, as an auditor runs it on a copy of the ledger. */
export function auditLedger(dataDir: string): AuditOutcome {
  const cli = require.resolve('@metroledger/cli/main');
  const r = spawnSync(process.execPath, [cli, 'audit', '--data', dataDir, '--json', '--quiet', '--workers', '0'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  let report: { verdict: string; findings: { code: string }[] };
  try {
    report = JSON.parse(r.stdout) as typeof report;
  } catch {
    return { verdict: `NO_REPORT (exit ${r.status}): ${r.stderr.trim().slice(-500)}`, exitCode: r.status, findingCodes: {} };
  }
  const findingCodes: Record<string, number> = {};
  for (const f of report.findings) findingCodes[f.code] = (findingCodes[f.code] ?? 0) + 1;
  return { verdict: report.verdict, exitCode: r.status, findingCodes };
}
