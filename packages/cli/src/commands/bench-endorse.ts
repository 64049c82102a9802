// SPDX-License-Identifier: Apache-2.0
// `metroledger bench endorse`: one endorsing peer's throughput, latency and CPU per endorsement on
// the LR chaincode (the paper's section VII, aspect 1), the endorser input of `metroledger sizing`.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runEndorseBench } from '@metroledger/bench';

interface EndorseFlags {
  data?: string;
  concurrency: string;
  warmup: string;
  duration: string;
  meters: string;
  proposals: string;
  seed: string;
  verifyThreads?: string;
  out?: string;
}

function positiveIntegers(v: string, flag: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x <= 0)) throw new Error(`${flag} takes positive integers separated by commas, not ${v}`);
  return xs;
}

function number(v: string, flag: string, ok: (n: number) => boolean, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n)) throw new Error(`${flag} must be ${what}, not ${v}`);
  return n;
}

export function registerBenchEndorseCommand(bench: Command): void {
  bench
    .command('endorse')
    .description(
      "one endorsing peer (LaSIGE's peer0, as the devnet runs it) endorsing submitReading proposals on the LR chaincode: endorsements/s, latency, CPU per endorsement",
    )
    .option('--data <dir>', 'devnet data directory to use (created and bootstrapped if absent; default: a temporary one, removed after)')
    .option('--concurrency <list>', 'proposals in flight at a time, one point each', '1,4,16,64')
    .option('--warmup <s>', 'seconds before each timed window', '2')
    .option('--duration <s>', 'seconds of each timed window', '8')
    .option('--meters <n>', 'meters registered whose readings the proposals carry', '50')
    .option('--proposals <n>', 'distinct signed proposals, sent round-robin (nothing commits)', '1000')
    .option('--seed <seed>', 'seed of the meters and vehicles', 'bench')
    .option('--verify-threads <n>', "the peer's signature-verification threads (default: the devnet's; 0: on its own thread)")
    .option('--out <file>', 'write the results as JSON to this file')
    .action(async (opts: EndorseFlags) => {
      const concurrency = positiveIntegers(opts.concurrency, '--concurrency');
      const warmupS = number(opts.warmup, '--warmup', (n) => n >= 0, 'zero or more');
      const durationS = number(opts.duration, '--duration', (n) => n > 0, 'positive');
      const meters = number(opts.meters, '--meters', (n) => Number.isInteger(n) && n > 0, 'a positive integer');
      const proposals = number(opts.proposals, '--proposals', (n) => Number.isInteger(n) && n > 0, 'a positive integer');
      const verifyThreads =
        opts.verifyThreads === undefined
          ? undefined
          : number(opts.verifyThreads, '--verify-threads', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
      const temporary = opts.data === undefined ? await mkdtemp(join(tmpdir(), 'metroledger-bench-endorse-')) : undefined;
      const dataDir = resolve(opts.data ?? join(temporary!, 'devnet'));
      try {
        const r = await runEndorseBench({
          dataDir,
          concurrency,
          warmupS,
          durationS,
          meters,
          proposals,
          seed: opts.seed,
          ...(verifyThreads !== undefined && { verifyThreads }),
          log: (line) => console.log(line),
        });
        const b = r.best;
        console.log(
          `\n${r.peer} on ${r.chaincode.name} ${r.chaincode.version}, readings of ${r.readingBytes} bytes, ${r.verifyThreads} verification thread(s), ${r.machine.cpus} CPUs (${r.machine.cpuModel})`,
        );
        console.log(
          `one endorsing peer: ${b.throughputPerS.toFixed(0)} endorsements/s at ${b.concurrency} in flight, latency p50 ${b.latency.p50Ms.toFixed(2)} ms, p99 ${b.latency.p99Ms.toFixed(2)} ms; ${b.cores.toFixed(2)} cores busy`,
        );
        console.log(
          `CPU per endorsement: ${b.cpuMsPerEndorsement.toFixed(3)} ms (${r.singleThread.cpuMsPerEndorsement.toFixed(3)} ms on one thread, 1 in flight)`,
        );
        console.log(
          `sizing input: metroledger sizing --endorse-ms ${b.cpuMsPerEndorsement.toFixed(3)} …${opts.out !== undefined ? ` (or --endorse-results ${opts.out})` : ''}`,
        );
        const failed = r.points.reduce((a, p) => a + p.failed, 0);
        if (failed > 0) {
          console.log(`FAILED: ${failed} proposals were not endorsed during the timed windows`);
          process.exitCode = 1;
        }
        if (opts.out !== undefined) {
          await mkdir(resolve(opts.out, '..'), { recursive: true });
          await writeFile(opts.out, JSON.stringify(r, null, 2) + '\n');
          console.log(`results in ${resolve(opts.out)}`);
        }
      } finally {
        if (temporary !== undefined) await rm(temporary, { recursive: true, force: true });
      }
    });
}
