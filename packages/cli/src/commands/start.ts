// SPDX-License-Identifier: Apache-2.0
// `metroledger start`: the main job, São Paulo at rush hour through @hyperledger/fabric-gateway.
// On its own it starts a devnet in a fresh data directory as its own process (so the network and
// the load generator use both cores) and stops it afterwards; given a network (--gateway/--endpoint
// with --tls-ca, --profile, or --devnet) it drives that one, a real Fabric network included,
// doing only the governance bootstrap steps the ledger does not show done.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { startDevnetProcess } from '@metroledger/devnet';
import { DEFAULT_SCENARIO, formatReport, runSaoPaulo, type ScenarioOptions } from '@metroledger/scenario';
import { NetworkOptions } from './connection';
import { checkNetworkAccessOptions, meterPrefix, networkAccess, withNetworkAccessOptions, type NetworkAccessOptions } from './access';
import { orderingOptions } from './devnet';

interface StartOptions extends NetworkAccessOptions {
  meters: string;
  seconds: string;
  rate: string;
  ordering: string;
  bftReplicas?: string;
  bftDown?: string;
  speedup: string;
  seed: string;
  faultShare: string;
  data?: string;
  meterPrefix: string;
}

export function registerStartCommand(program: Command): void {
  const cmd = program
    .command('start')
    .description('the main job: São Paulo at rush hour, on a fresh embedded devnet or on the network given (--gateway, --profile, --devnet)')
    .option('--meters <n>', 'speed meters', String(DEFAULT_SCENARIO.meters))
    .option('--seconds <s>', 'seconds of traffic', String(DEFAULT_SCENARIO.seconds))
    .option('--rate <v>', 'vehicles per second per meter', String(DEFAULT_SCENARIO.vehiclesPerSecond))
    .option('--ordering <type>', 'own devnet: ordering service, bft (n consenters of n orderer organizations) or solo', 'bft')
    .option('--bft-replicas <n>', 'own devnet: BFT consenters, 4..31; n tolerates f = floor((n-1)/3) faulty (default 4)')
    .option('--bft-down <ids>', 'own devnet: BFT replicas (0-based, comma-separated, at most f) left stopped for the whole run')
    .option('--speedup <x>', 'simulated seconds per wall-clock second', String(DEFAULT_SCENARIO.speedup))
    .option('--seed <seed>', 'seed of the meters, traffic and vehicles', String(DEFAULT_SCENARIO.seed))
    .option('--fault-share <p>', 'share of passages that are sensor faults or incomplete events', String(DEFAULT_SCENARIO.faultShare))
    .option('--meter-prefix <p>', 'meter ids are <p>-0001…; meters found registered by an earlier run with the same plan get new keys', 'SP')
    .option('--data <dir>', 'data directory: the devnet and report.json (default: a new one under .metroledger/runs)');
  withNetworkAccessOptions(cmd);
  cmd.action(async (opts: StartOptions) => {
    const options: ScenarioOptions = {
      ...DEFAULT_SCENARIO,
      meters: positiveInt(opts.meters, '--meters'),
      seconds: positiveNumber(opts.seconds, '--seconds'),
      vehiclesPerSecond: positiveNumber(opts.rate, '--rate'),
      speedup: positiveNumber(opts.speedup, '--speedup'),
      faultShare: fraction(opts.faultShare, '--fault-share'),
      seed: opts.seed,
      meterIdPrefix: meterPrefix(opts.meterPrefix),
    };
    const given = new NetworkOptions(opts);
    if (!given.given) orderingOptions(opts); // refuse bad ordering flags before creating anything
    checkNetworkAccessOptions(opts);
    const dataDir = resolve(opts.data ?? join('.metroledger', 'runs', new Date().toISOString().replace(/[:.]/g, '-')));
    await mustBeFresh(dataDir);
    let network = given;
    let stop = async () => {};
    if (given.given) {
      console.log(`running on the network given (${opts.profile !== undefined ? `profile ${opts.profile}` : opts.devnet !== undefined ? `devnet ${opts.devnet}` : opts.endpoint ?? opts.gateway})`);
    } else {
      const ordering = ['--ordering', opts.ordering];
      if (opts.bftReplicas !== undefined) ordering.push('--bft-replicas', opts.bftReplicas);
      if (opts.bftDown !== undefined) ordering.push('--bft-down', opts.bftDown);
      const described = opts.ordering === 'bft' ? `BFT ordering, ${opts.bftReplicas ?? 4} consenters${opts.bftDown ? `, replica(s) ${opts.bftDown} down` : ''}` : `${opts.ordering} ordering`;
      console.log(`starting the embedded devnet (${described}) in ${dataDir}`);
      const devnet = await startDevnetProcess({ cliMain: require.resolve('../main'), dataDir, upArgs: ordering });
      network = new NetworkOptions({ devnet: dataDir, channel: opts.channel });
      stop = () => devnet.stop();
    }
    try {
      const access = await networkAccess(network, opts);
      const report = await runSaoPaulo(access, options, progressHooks());
      const text = formatReport(report);
      console.log(`\n${text}`);
      console.log(`  data                     ${dataDir}`);
      if (!given.given) console.log(`  devnet log               ${join(dataDir, 'devnet.log')}`);
      await writeFile(join(dataDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
      console.log(`  report                   ${join(dataDir, 'report.json')}`);
      if (report.traffic.committed !== report.traffic.planned) process.exitCode = 1;
    } finally {
      await stop();
    }
  });
}

async function mustBeFresh(dir: string): Promise<void> {
  const exists = await stat(dir).then(() => true, () => false);
  if (exists) throw new Error(`${dir} already exists: the main job runs on a fresh data directory`);
  await mkdir(dir, { recursive: true });
}

function progressHooks(): Parameters<typeof runSaoPaulo>[2] {
  let bar: SingleBar | undefined;
  const interactive = Boolean(process.stdout.isTTY);
  let lastLine = 0;
  return {
    onPhase: (phase, total) => {
      bar?.stop();
      const label = phase === 'approve' ? 'type approval      ' : phase === 'register' ? 'registering meters ' : 'rush-hour readings ';
      bar = new SingleBar({
        format: `${label} [{bar}] {value}/{total} | {rate}/s | abandoned {abandoned} | {duration_formatted}`,
        noTTYOutput: true, notTTYSchedule: 5000, hideCursor: interactive, etaBuffer: 200,
      });
      bar.start(total, 0, { rate: 0, abandoned: 0 });
      lastLine = performance.now();
    },
    onProgress: (done, detail) => {
      if (!bar) return;
      const seconds = (performance.now() - lastLine) / 1000;
      bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds) : 0, abandoned: detail?.abandoned ?? 0 });
      if (done === bar.getTotal()) { bar.stop(); bar = undefined; }
    },
  };
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, not ${v}`);
  return n;
}

function positiveNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, not ${v}`);
  return n;
}

function fraction(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${flag} must be between 0 and 1, not ${v}`);
  return n;
}
