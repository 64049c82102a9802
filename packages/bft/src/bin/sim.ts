#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Usage: node packages/bft/dist/bin/sim.js --seeds 10000 [--from 1] [--faults random|none|crash|network|partition|byzantine|all] [--n 4]
//        node packages/bft/dist/bin/sim.js --seed 1410 [--trace]     (replay one seed, optionally printing every trace line)
import { runSimulation, runSoak, type FaultMix } from '../sim/simulator';

const MIXES = ['random', 'none', 'crash', 'network', 'partition', 'byzantine', 'all'];

function parse(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) { out[a.slice(2)] = next; i++; } else out[a.slice(2)] = true;
  }
  return out;
}

function int(v: string | true | undefined, name: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v === true || !Number.isSafeInteger(x) || x < 0) throw new Error(`--${name} needs a non-negative integer`);
  return x;
}

function main(): number {
  const args = parse(process.argv.slice(2));
  if (args.help) { console.log('usage: sim --seeds N [--from S] [--faults MIX] [--n N] | --seed S [--trace]'); return 0; }
  const faults = (args.faults ?? 'random') as string;
  if (!MIXES.includes(faults)) throw new Error(`--faults must be one of ${MIXES.join(', ')}`);
  const n = int(args.n, 'n');
  const common = { faults: faults as FaultMix, ...(n !== undefined && { n }) };
  const one = int(args.seed, 'seed');
  if (one !== undefined) {
    const r = runSimulation({ seed: one, ...common, ...(args.trace && { traceSink: (l: string) => console.log(l) }) });
    const { traceTail, ...summary } = r;
    if (!args.trace && !r.ok) for (const l of traceTail) console.log(l);
    console.log(JSON.stringify(summary, null, 2));
    return r.ok ? 0 : 1;
  }
  const soak = runSoak({ seeds: int(args.seeds, 'seeds', 100)!, from: int(args.from, 'from', 1)!, ...common });
  return soak.failed.length === 0 ? 0 : 1;
}

try { process.exitCode = main(); } catch (e) { console.error(`sim: ${(e as Error).message}`); process.exitCode = 2; }
