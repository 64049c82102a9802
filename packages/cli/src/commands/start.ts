// SPDX-License-Identifier: Apache-2.0
// `metroledger start`: the main job, São Paulo at rush hour through @hyperledger/fabric-gateway.
// On its own it starts a devnet as its own process (so the network and the load generator use both
// cores) in the default data directory made fresh (every command reads it afterwards; a previous
// devnet there is moved aside), stops it afterwards and says how to audit, surveil and serve it; given a network (--gateway/--endpoint
// with --tls-ca, --profile, or --devnet) it drives that one, a real Fabric network included,
// doing only the governance bootstrap steps the ledger does not show done.
//
// While it runs it shows the readings settled, the commit rate, an ETA, and a warning when the
// network commits fewer readings than the city offers. Ctrl-C stops it: no new reading is captured
// or submitted, readings in flight are waited for (a second Ctrl-C stops at once), and it prints the
// partial report, each reading's fate, and exits with INTERRUPTED_EXIT_CODE.
import { lstat, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { MultiBar, type SingleBar } from 'cli-progress';
import { devnetBlocks, LedgerChecker, readingKey } from '@metroledger/bench';
import { startDevnetProcess } from '@metroledger/devnet';
import {
  DEFAULT_SCENARIO,
  formatDuration,
  formatReport,
  runSaoPaulo,
  TrafficMonitor,
  type InFlightOnLedger,
  type ScenarioHooks,
  type ScenarioOptions,
  type ScenarioReport,
} from '@metroledger/scenario';
import { NetworkOptions } from './connection';
import { checkNetworkAccessOptions, meterPrefix, networkAccess, withNetworkAccessOptions, type NetworkAccessOptions } from './access';
import { orderingOptions } from './devnet';
import { freshRunDir, nextSteps } from './rundir';

/** Exit status of a run stopped by Ctrl-C (SIGINT): 128 + 2, as a shell reports a process SIGINT ended. */
export const INTERRUPTED_EXIT_CODE = 130;

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
    .description(
      'the main job: São Paulo at rush hour, on a fresh embedded devnet or on the network given (--gateway, --profile, --devnet)',
    )
    .option('--meters <n>', 'speed meters', String(DEFAULT_SCENARIO.meters))
    .option('--seconds <s>', 'seconds of traffic', String(DEFAULT_SCENARIO.seconds))
    .option('--rate <v>', 'vehicles per second per meter', String(DEFAULT_SCENARIO.vehiclesPerSecond))
    .option('--ordering <type>', 'own devnet: ordering service, bft (n consenters of n orderer organizations) or solo', 'bft')
    .option('--bft-replicas <n>', 'own devnet: BFT consenters, 4..31; n tolerates f = floor((n-1)/3) faulty (default 4)')
    .option('--bft-down <ids>', 'own devnet: BFT replicas (0-based, comma-separated, at most f) left stopped for the whole run')
    .option('--speedup <x>', 'simulated seconds per wall-clock second', String(DEFAULT_SCENARIO.speedup))
    .option('--seed <seed>', 'seed of the meters, traffic and vehicles', String(DEFAULT_SCENARIO.seed))
    .option('--fault-share <p>', 'share of passages that are sensor faults or incomplete events', String(DEFAULT_SCENARIO.faultShare))
    .option(
      '--meter-prefix <p>',
      'meter ids are <p>-0001…; meters found registered by an earlier run with the same plan get new keys',
      'SP',
    )
    .option(
      '--data <dir>',
      "data directory: the devnet and report.json (default: own devnet: .metroledger/devnet, every command's default, a previous devnet there moved to .metroledger/runs/; a network given: a new one under .metroledger/runs)",
    );
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
    let dataDir: string;
    if (given.given) {
      dataDir = resolve(opts.data ?? join('.metroledger', 'runs', new Date().toISOString().replace(/[:.]/g, '-')));
      await mustBeFresh(dataDir);
    } else {
      const fresh = await freshRunDir(opts.data);
      dataDir = fresh.dataDir;
      if (fresh.archived !== undefined) console.log(`kept the previous devnet in ${fresh.archived}`);
    }
    // Ctrl-C: the first stops the run and waits for the readings in flight, a second stops waiting.
    const stopRun = new AbortController();
    const stopWaiting = new AbortController();
    const display = new RunDisplay();
    const onSigint = () => {
      if (!stopRun.signal.aborted) {
        display.stopping(
          'stopping (Ctrl-C): no new reading is captured or submitted; waiting up to 10 s for the readings in flight (Ctrl-C again to stop waiting)',
        );
        stopRun.abort();
      } else stopWaiting.abort();
    };
    process.on('SIGINT', onSigint);
    let upArgs: string[] = [];
    let network = given;
    let stop = async () => {};
    try {
      if (given.given) {
        console.log(
          `running on the network given (${opts.profile !== undefined ? `profile ${opts.profile}` : opts.devnet !== undefined ? `devnet ${opts.devnet}` : (opts.endpoint ?? opts.gateway)})`,
        );
      } else {
        const ordering = ['--ordering', opts.ordering];
        if (opts.bftReplicas !== undefined) ordering.push('--bft-replicas', opts.bftReplicas);
        if (opts.bftDown !== undefined) ordering.push('--bft-down', opts.bftDown);
        const described =
          opts.ordering === 'bft'
            ? `BFT ordering, ${opts.bftReplicas ?? 4} consenters${opts.bftDown ? `, replica(s) ${opts.bftDown} down` : ''}`
            : `${opts.ordering} ordering`;
        console.log(`starting the embedded devnet (${described}) in ${dataDir}`);
        const devnet = await startDevnetProcess({ cliMain: require.resolve('../main'), dataDir, upArgs: ordering });
        upArgs = ordering;
        network = new NetworkOptions({ devnet: dataDir, channel: opts.channel });
        stop = () => devnet.stop();
      }
      const access = await networkAccess(network, opts);
      const report = await runSaoPaulo(access, options, { ...display.hooks(), signal: stopRun.signal, forceSignal: stopWaiting.signal });
      display.stop();
      // Own devnet: it orders and commits what it accepted before it exits; then its ledger says
      // what became of the readings whose answer the run did not wait for.
      await stop();
      stop = async () => {};
      const inFlightOnLedger =
        report.interruptedIn !== undefined && !given.given && report.traffic.inFlightReadings.length > 0
          ? await inFlightFromLedger(dataDir, report)
          : undefined;
      console.log(`\n${formatReport(report, inFlightOnLedger)}`);
      console.log(`  data                     ${dataDir} (${formatBytes(await directoryBytes(dataDir))})`);
      if (!given.given) console.log(`  devnet log               ${join(dataDir, 'devnet.log')}`);
      await writeFile(
        join(dataDir, 'report.json'),
        JSON.stringify({ ...report, ...(inFlightOnLedger !== undefined && { inFlightOnLedger }) }, null, 2) + '\n',
      );
      console.log(`  report                   ${join(dataDir, 'report.json')}`);
      if (!given.given && report.interruptedIn === undefined) for (const line of nextSteps(dataDir, upArgs)) console.log(line);
      if (report.interruptedIn !== undefined) {
        process.exitCode = INTERRUPTED_EXIT_CODE;
        // readings the run stopped waiting for may still be retrying against a closed connection
        setTimeout(() => process.exit(INTERRUPTED_EXIT_CODE), 2000).unref();
      } else if (report.traffic.committed !== report.traffic.planned) process.exitCode = 1;
    } finally {
      display.stop();
      process.off('SIGINT', onSigint);
      await stop();
    }
  });
}

/** How many of the readings in flight at the stop the (stopped) devnet's ledger holds as VALID. */
async function inFlightFromLedger(dataDir: string, report: ScenarioReport): Promise<InFlightOnLedger> {
  const inFlight = new Set(report.traffic.inFlightReadings.map((r) => readingKey(r.meterId, r.sequence)));
  const check = await new LedgerChecker(devnetBlocks(dataDir)).check(new Set(), inFlight);
  return { committed: check.committedUnacknowledged, notOnLedger: inFlight.size - check.committedUnacknowledged };
}

/** Bytes of the files under `dir` (apparent size, as `du --apparent-size`). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else total += (await lstat(path).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

async function mustBeFresh(dir: string): Promise<void> {
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (exists) throw new Error(`${dir} already exists: the main job runs on a fresh data directory`);
  await mkdir(dir, { recursive: true });
}

/** The progress bar of each phase; during the traffic, rate, backlog, ETA and the slower-than-the-city warning. */
class RunDisplay {
  readonly #interactive = Boolean(process.stdout.isTTY);
  #bars: MultiBar | undefined;
  #bar: SingleBar | undefined;
  #monitor: TrafficMonitor | undefined;
  #phaseStart = 0;
  #stopping = false;

  hooks(): Pick<ScenarioHooks, 'onPhase' | 'onProgress'> {
    return {
      onPhase: (phase, total) => {
        this.stop();
        const label = phase === 'approve' ? 'type approval      ' : phase === 'register' ? 'registering meters ' : 'rush-hour readings ';
        const traffic = phase === 'traffic';
        this.#monitor = traffic ? new TrafficMonitor() : undefined;
        this.#bars = new MultiBar({
          format: traffic
            ? `${label} [{bar}] {value}/{total} | {rate}/s | waiting {backlog} | ETA {remaining} | {duration_formatted}`
            : `${label} [{bar}] {value}/{total} | {rate}/s | {duration_formatted}`,
          noTTYOutput: true,
          notTTYSchedule: 5000,
          hideCursor: this.#interactive,
          etaBuffer: 200,
        });
        this.#bar = this.#bars.create(total, 0, { rate: 0, backlog: 0, remaining: '…' });
        this.#phaseStart = performance.now();
      },
      onProgress: (done, detail) => {
        if (this.#bar === undefined) return;
        if (detail !== undefined && this.#monitor !== undefined) {
          const s = this.#monitor.update(detail);
          this.#bar.update(done, {
            rate: s.commitRatePerS === undefined ? '…' : Math.round(s.commitRatePerS),
            backlog: s.backlog,
            remaining: s.etaMs === undefined ? '…' : formatDuration(s.etaMs),
          });
          const warning = this.#monitor.warning();
          if (warning !== undefined && !this.#stopping) this.log(`WARNING: ${warning}`);
        } else {
          const seconds = (performance.now() - this.#phaseStart) / 1000;
          this.#bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds) : 0 });
        }
        if (done === this.#bar.getTotal()) this.stop();
      },
    };
  }

  /** A line above the bar (or in the output when it is not a terminal). */
  log(line: string): void {
    if (this.#bars !== undefined && this.#interactive) this.#bars.log(`${line}\n`);
    else console.log(line);
  }

  /** The run is stopping: say so; no more warnings about the rate. */
  stopping(line: string): void {
    this.#stopping = true;
    this.log(line);
  }

  stop(): void {
    this.#bars?.stop();
    this.#bars = undefined;
    this.#bar = undefined;
  }
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
