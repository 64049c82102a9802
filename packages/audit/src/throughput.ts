// SPDX-License-Identifier: Apache-2.0
// Audit throughput: the same ledger audited whole with each worker count in turn, timed.
import { runAudit, type AuditOptions, type AuditReport } from './auditor';
import type { BlockSource } from './sources';

export interface AuditThroughputRun {
  readonly workers: number;
  readonly readings: number;
  readonly seconds: number;
  readonly readingsPerSecond: number;
  readonly signatures: number;
  readonly verdict: string;
}

/**
 * Audits the ledger `source()` opens once per worker count (0: inline), in the given order, and
 * times each run. `options` are the audit's (policies, plugins), less the workers and progress.
 */
export async function measureAuditThroughput(
  source: () => BlockSource,
  workerCounts: readonly number[],
  options: Omit<AuditOptions, 'workers' | 'onProgress' | 'checkpoint'> = {},
): Promise<AuditThroughputRun[]> {
  const runs: AuditThroughputRun[] = [];
  for (const workers of workerCounts) {
    const t0 = performance.now();
    const { report } = await runAudit(source(), { ...options, workers });
    runs.push(summary(report, workers, (performance.now() - t0) / 1000));
  }
  return runs;
}

function summary(r: AuditReport, workers: number, seconds: number): AuditThroughputRun {
  return {
    workers,
    readings: r.counts.readings,
    seconds,
    readingsPerSecond: Math.round(r.counts.readings / seconds),
    verdict: r.verdict,
    signatures: r.counts.signaturesVerified,
  };
}
