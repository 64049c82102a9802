// SPDX-License-Identifier: Apache-2.0
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { verifyLedgerFiles, type LedgerVerification } from '@metroledger/ledger';
// every command's default data directory (the module alone: the devnet's network code stays unloaded)
import { DEFAULT_DATA_DIR } from '@metroledger/devnet/datadir';

/** Exit status of `ledger verify` when it finds anything (1 stays for errors such as no ledger). */
export const LEDGER_FINDINGS_EXIT_CODE = 3;

interface VerifyOptions {
  data: string;
  json?: boolean;
  index: boolean;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function formatVerification(v: LedgerVerification): string {
  const lines = [
    `ledger verify: ${v.chainsDir}`,
    `  ${v.files} block file(s), ${mib(v.bytes)}; ${v.blocks} readable block(s)${v.lastBlockNumber >= 0 ? `, last block ${v.lastBlockNumber}` : ''}`,
    `  index: ${v.index.checked ? `${v.index.height} block(s)` : `not checked (${v.index.reason})`}`,
  ];
  if (v.findings.length === 0) lines.push('  OK: every record matches its checksum and the chain is whole');
  else {
    lines.push(`  ${v.findings.length} finding(s):`);
    for (const f of v.findings) {
      const where = f.file !== undefined ? ` file ${f.path ?? f.file} offset ${f.offset}` : '';
      lines.push(`  ${f.code.padEnd(18)} block ${f.blockNumber ?? '?'}${where}: ${f.message}`);
    }
  }
  return lines.join('\n');
}

async function verify(opts: VerifyOptions): Promise<void> {
  const dir = resolve(opts.data);
  // a devnet data directory keeps its ledger in ./ledger
  const ledgerDir = existsSync(join(dir, 'ledger', 'chains')) ? join(dir, 'ledger') : dir;
  const v = await verifyLedgerFiles(ledgerDir, { index: opts.index });
  console.log(opts.json === true ? JSON.stringify(v, null, 2) : formatVerification(v));
  if (v.findings.length > 0) process.exitCode = LEDGER_FINDINGS_EXIT_CODE;
}

/** `metroledger ledger verify`: a full scan of a peer ledger's block files. */
export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description("a peer's ledger on disk (block files and their index)");
  ledger
    .command('verify')
    .description(
      `check every block record's checksum, the hash chain, data hashes and the index's block count; lists each damaged record (file, offset, block); exit ${LEDGER_FINDINGS_EXIT_CODE} on any finding`,
    )
    .option('--data <dir>', 'a devnet data directory, a ledger directory, or its chains directory', DEFAULT_DATA_DIR)
    .option('--json', 'machine-readable output')
    .option('--no-index', 'do not compare with the block index (it cannot be opened while a devnet runs)')
    .action(verify);
}
