// SPDX-License-Identifier: Apache-2.0
// `metroledger sim`: the BFT protocol's deterministic simulation (docs/BFT.md).
import type { Command } from 'commander';
import { runSimulation, runSoak, type FaultMix } from '@metroledger/bft';

const MIXES: readonly FaultMix[] = ['random', 'none', 'crash', 'network', 'partition', 'byzantine', 'all'];

function count(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer, not ${v}`);
  return n;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run the BFT ordering protocol under injected faults from seeds (a soak), or replay one seed')
    .option('--seeds <n>', 'how many seeds to run', '100')
    .option('--from <seed>', 'first seed', '1')
    .option('--seed <seed>', 'replay this one seed exactly and print its result (and its trace if it failed)')
    .option('--trace', 'with --seed: print every trace line')
    .option('--faults <mix>', `fault mix: ${MIXES.join(', ')}`, 'random')
    .option('--n <replicas>', 'replicas (any n >= 4); default: drawn per seed from 4, 5, 6, 7, 8, 10')
    .action((opts: { seeds: string; from: string; seed?: string; trace?: boolean; faults: string; n?: string }) => {
      if (!(MIXES as readonly string[]).includes(opts.faults)) throw new Error(`--faults must be one of ${MIXES.join(', ')}`);
      const common = { faults: opts.faults as FaultMix, ...(opts.n !== undefined && { n: count(opts.n, '--n') }) };
      if (opts.seed !== undefined) {
        const r = runSimulation({
          seed: count(opts.seed, '--seed'),
          ...common,
          ...(opts.trace && { traceSink: (l: string) => console.log(l) }),
        });
        const { traceTail, ...summary } = r;
        if (!opts.trace && !r.ok) for (const l of traceTail) console.log(l);
        console.log(JSON.stringify(summary, null, 2));
        if (!r.ok) process.exitCode = 1;
        return;
      }
      // runSoak prints how many seeds ran, which failed, and the faults injected.
      const soak = runSoak({ seeds: count(opts.seeds, '--seeds'), from: count(opts.from, '--from'), ...common });
      if (soak.failed.length > 0) process.exitCode = 1;
    });
}
