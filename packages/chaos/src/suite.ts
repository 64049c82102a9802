// SPDX-License-Identifier: Apache-2.0
// Runs chaos cases and sums them into the verdict: acknowledged readings lost = 0, duplicates = 0,
// corrupt blocks served = 0, every injected corruption detected, every intact ledger audited PASS.
import { runCase, type CaseName, type CaseOptions, type CaseResult } from './cases';

export interface ChaosReport {
  readonly seed: string;
  readonly cases: readonly CaseResult[];
  readonly totals: {
    readonly kills: number;
    readonly replicaCrashes: number;
    readonly diskFullHalts: number;
    readonly acknowledged: number;
    readonly lost: number;
    readonly duplicates: number;
    readonly corruptionsInjected: number;
    readonly corruptionsDetected: number;
    readonly corruptServed: number;
  };
  readonly pass: boolean;
  readonly wallS: number;
}

export async function runChaos(cases: readonly CaseName[], o: CaseOptions): Promise<ChaosReport> {
  const started = Date.now();
  const results: CaseResult[] = [];
  for (const name of cases) {
    try {
      results.push(await runCase(name, o));
    } catch (err) {
      // A case that could not run to its checks fails the verdict; it never counts as a pass.
      o.log(`  case ${name} broke off: ${(err as Error).stack ?? String(err)}`);
      results.push({
        name,
        wallS: 0,
        kills: 0,
        replicaCrashes: 0,
        diskFullHalts: 0,
        acknowledged: 0,
        lost: 0,
        duplicates: 0,
        corruptionsInjected: 0,
        corruptionsDetected: 0,
        corruptServed: 0,
        audits: [],
        problems: [`broke off: ${(err as Error).message}`],
      });
    }
  }
  const sum = (k: keyof ChaosReport['totals']) => results.reduce((a, r) => a + r[k], 0);
  const totals = {
    kills: sum('kills'),
    replicaCrashes: sum('replicaCrashes'),
    diskFullHalts: sum('diskFullHalts'),
    acknowledged: sum('acknowledged'),
    lost: sum('lost'),
    duplicates: sum('duplicates'),
    corruptionsInjected: sum('corruptionsInjected'),
    corruptionsDetected: sum('corruptionsDetected'),
    corruptServed: sum('corruptServed'),
  };
  const pass =
    results.every((r) => r.problems.length === 0) &&
    totals.lost === 0 &&
    totals.duplicates === 0 &&
    totals.corruptServed === 0 &&
    totals.corruptionsDetected === totals.corruptionsInjected;
  return { seed: o.seed, cases: results, totals, pass, wallS: (Date.now() - started) / 1000 };
}

/** The verdict as the lines `npm run chaos` ends with. */
export function formatVerdict(r: ChaosReport): string {
  const t = r.totals;
  const lines = [
    `chaos seed ${r.seed}: ${r.cases.length} cases in ${r.wallS.toFixed(0)} s`,
    ...r.cases.map((c) =>
      c.skipped !== undefined
        ? `  ${c.name.padEnd(15)} skipped: ${c.skipped}`
        : `  ${c.name.padEnd(15)} ${c.wallS.toFixed(0).padStart(5)} s  kills ${c.kills}, replica crashes ${c.replicaCrashes}, disk-full halts ${c.diskFullHalts}, acknowledged ${c.acknowledged}, lost ${c.lost}, duplicates ${c.duplicates}, corruptions ${c.corruptionsDetected}/${c.corruptionsInjected} detected, corrupt served ${c.corruptServed}; audits ${c.audits.map((a) => `${a.verdict}${Object.keys(a.findingCodes).length ? ` ${JSON.stringify(a.findingCodes)}` : ''}`).join(', ') || '-'}${c.problems.length ? `\n      PROBLEMS: ${c.problems.join('; ')}` : ''}`,
    ),
    `acknowledged readings lost = ${t.lost} (of ${t.acknowledged})`,
    `duplicates = ${t.duplicates}`,
    `corrupt blocks served = ${t.corruptServed}`,
    `corruptions detected = ${t.corruptionsDetected} of ${t.corruptionsInjected}`,
    `kills -9 survived = ${t.kills}, BFT replica crashes = ${t.replicaCrashes}, disk-full halts recovered = ${t.diskFullHalts}`,
    `VERDICT: ${r.pass ? 'PASS' : 'FAIL'}`,
  ];
  return lines.join('\n');
}
