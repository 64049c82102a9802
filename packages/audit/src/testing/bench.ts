// SPDX-License-Identifier: Apache-2.0
// Audit throughput on a synthetic ledger: builds signed, endorsed readings with the forge (real
// chaincode, real signatures; or takes an existing ledger directory) and measures it with
// measureAuditThroughput (`metroledger bench audit` measures a ledger that exists).
//   node packages/audit/dist/testing/bench.js [--readings 5000] [--meters 20] [--ledger DIR] [--workers 0,2]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { governancePlugin, ledgerDirectorySource, measureAuditThroughput, type AuditThroughputRun } from '../index';
import { ForgedLedger, GOVERNANCE_POLICY, LR_POLICY } from './forge';

export interface BenchAuditResult {
  readonly ledgerDir: string;
  readonly built?: { readonly readings: number; readonly seconds: number };
  readonly runs: AuditThroughputRun[];
}

/** Builds `readings` readings over `meters` meters into `dir` (blocks of `perBlock`). */
export async function buildBenchLedger(dir: string, readings: number, meters: number, perBlock = 250): Promise<void> {
  const f = await ForgedLedger.create(dir);
  const ms = Array.from({ length: meters }, (_, i) => f.newMeter(`BENCH-${String(i + 1).padStart(4, '0')}`));
  for (const m of ms) await f.registerMeter(m);
  await f.cut();
  for (let i = 0; i < readings; i++) {
    await f.submit(f.reading(ms[i % meters]!));
    if ((i + 1) % perBlock === 0) await f.cut();
  }
  if (readings % perBlock !== 0) await f.cut();
  await f.close();
}

export async function benchAudit(
  opts: { ledgerDir?: string; readings?: number; meters?: number; workers?: readonly number[] } = {},
): Promise<BenchAuditResult> {
  let dir = opts.ledgerDir;
  let built: BenchAuditResult['built'];
  let temp: string | undefined;
  if (dir === undefined) {
    temp = await mkdtemp(join(tmpdir(), 'metroledger-bench-audit-'));
    dir = temp;
    const readings = opts.readings ?? 5000;
    const t0 = performance.now();
    await buildBenchLedger(dir, readings, opts.meters ?? 20);
    built = { readings, seconds: (performance.now() - t0) / 1000 };
  }
  const ledgerDir = dir;
  try {
    const runs = await measureAuditThroughput(() => ledgerDirectorySource(ledgerDir), opts.workers ?? [0, 2], {
      policies: { lr: LR_POLICY, governance: GOVERNANCE_POLICY },
      plugins: [governancePlugin()],
    });
    return { ledgerDir, ...(built === undefined ? {} : { built }), runs };
  } finally {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  const ledgerDir = arg('ledger');
  benchAudit({
    ...(ledgerDir === undefined ? {} : { ledgerDir }),
    readings: Number(arg('readings') ?? 5000),
    meters: Number(arg('meters') ?? 20),
    workers: (arg('workers') ?? '0,2').split(',').map(Number),
  })
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
