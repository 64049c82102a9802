// SPDX-License-Identifier: Apache-2.0
// `metroledger sizing`: endorsing peers, orderers and cores for N meters at r vehicles/s, on the
// devnet or on a Fabric deployment, from measured CPU per reading (docs/SIZING.md).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  devnetFigures,
  FABRIC_FIGURES,
  formatSizing,
  sizeDeployment,
  type EndorseBenchResult,
  type FigureSet,
  type PerReadingCpu,
} from '@metroledger/bench';

interface SizingFlags {
  meters: string;
  rate: string;
  fabric?: string | true;
  readingsPerTx: string;
  ordering: string;
  endorseResults?: string;
  endorseMs?: string;
  commitMs?: string;
  orderMs?: string;
  clientMs?: string;
  utilization: string;
  coresPerNode: string;
  json?: boolean;
}

function number(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number, not ${v}`);
  return n;
}

function baseFigures(opts: SizingFlags): FigureSet {
  const perTx = number(opts.readingsPerTx, '--readings-per-tx');
  if (opts.fabric === undefined) {
    if (opts.ordering !== 'solo' && opts.ordering !== 'bft') throw new Error(`--ordering takes solo or bft, not ${opts.ordering}`);
    if (perTx !== 1)
      throw new Error("--readings-per-tx: the devnet's figures are for one reading per transaction (use --fabric for batches)");
    return devnetFigures(opts.ordering);
  }
  const version = opts.fabric === true ? '3.0' : opts.fabric;
  const found = FABRIC_FIGURES.find((f) => f.id === `fabric-${version}${perTx > 1 ? `-batch${perTx}` : ''}`);
  if (found === undefined) {
    throw new Error(
      `no Fabric figures for version ${version} with ${perTx} reading(s) per transaction; known: ${FABRIC_FIGURES.map((f) => `${f.id.replace(/^fabric-/, '').replace(/-batch(\d+)$/, ' (--readings-per-tx $1)')}`).join(', ')}`,
    );
  }
  return found;
}

async function figures(opts: SizingFlags): Promise<FigureSet> {
  const base = baseFigures(opts);
  const cpu: { -readonly [K in keyof PerReadingCpu]: number } = { ...base.cpu };
  const changed: string[] = [];
  if (opts.endorseResults !== undefined) {
    let r: EndorseBenchResult;
    try {
      r = JSON.parse(await readFile(opts.endorseResults, 'utf8')) as EndorseBenchResult;
    } catch (err) {
      throw new Error(`--endorse-results ${opts.endorseResults}: not a bench endorse results file (${(err as Error).message})`);
    }
    const ms = r.best?.cpuMsPerEndorsement;
    if (typeof ms !== 'number' || !(ms > 0)) throw new Error(`--endorse-results ${opts.endorseResults}: no CPU per endorsement in it`);
    cpu.endorseMs = ms;
    changed.push(`endorse ${ms.toFixed(3)} ms from ${opts.endorseResults} (${r.peer}, ${r.machine.cpus} CPUs)`);
  }
  for (const [flag, key, v] of [
    ['--endorse-ms', 'endorseMs', opts.endorseMs],
    ['--commit-ms', 'commitMs', opts.commitMs],
    ['--order-ms', 'orderMs', opts.orderMs],
    ['--client-ms', 'clientMs', opts.clientMs],
  ] as const) {
    if (v === undefined) continue;
    cpu[key] = number(v, flag);
    changed.push(`${flag} ${v}`);
  }
  return changed.length === 0 ? base : { ...base, cpu, source: `${base.source}; given: ${changed.join(', ')}` };
}

export function registerSizingCommand(program: Command): void {
  program
    .command('sizing')
    .description(
      "endorsing peers, orderers and cores for N meters at r vehicles/s (the paper's section VII, aspect 1), on the devnet or on Fabric, from measured CPU per reading (docs/SIZING.md)",
    )
    .option('--meters <n>', 'speed meters', '1000')
    .option('--rate <vehicles/s>', 'vehicles per second at each meter (one reading each)', '0.76')
    .option(
      '--fabric [version]',
      'a Fabric deployment (3.0: SmartBFT ×4, 2.5: Raft ×1) with the figures of docs/PRODUCTION.md; default: the devnet',
    )
    .option('--readings-per-tx <n>', "with --fabric: 1 (submitReading) or 10 (a concentrator's submitReadingBatch)", '1')
    .option('--ordering <solo|bft>', "the devnet's ordering", 'bft')
    .option('--endorse-results <file>', 'the JSON of `metroledger bench endorse --out`: its CPU per endorsement replaces the default')
    .option('--endorse-ms <ms>', "CPU per endorsement (one provider's peer and chaincode), ms")
    .option('--commit-ms <ms>', 'CPU of validating and committing one reading on one peer, ms')
    .option('--order-ms <ms>', 'CPU of one ordering node per reading, ms')
    .option('--client-ms <ms>', 'CPU of the submitting application per reading, ms')
    .option('--utilization <share>', "share of each node's cores the load may use", '0.7')
    .option('--cores-per-node <n>', "cores of one server (8: the paper's Dell R410 nodes)", '8')
    .option('--json', 'print the sizing as JSON')
    .action(async (opts: SizingFlags) => {
      const s = sizeDeployment(await figures(opts), {
        meters: number(opts.meters, '--meters'),
        vehiclesPerS: number(opts.rate, '--rate'),
        utilization: number(opts.utilization, '--utilization'),
        coresPerNode: number(opts.coresPerNode, '--cores-per-node'),
      });
      console.log(opts.json === true ? JSON.stringify(s, null, 2) : formatSizing(s).join('\n'));
    });
}
