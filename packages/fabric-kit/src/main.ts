#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `metroledger-fabric` (npm run fabric:* from the repository root): a local multi-process Fabric
// network without Docker, from the binaries FABRIC_BIN points to.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { describeError } from '@metroledger/errors';
import { DEFAULT_SCENARIO } from '@metroledger/scenario';
import { deploy, restartChaincodeServers } from './chaincodes.js';
import { runMainJob } from './mainjob.js';
import { recordLedger } from './record.js';
import { auditNetwork } from './audit.js';
import { runE2e, targetsFromEnv } from './e2e.js';
import { formatLeanReport, hotSpots, runLeanBench } from './lean.js';
import { FabricKitError } from './errors.js';
import { locateFabric } from './fabric.js';
import { checkProfile, clean, defaultProfile, down, up } from './network.js';
import { readState } from './state.js';
import { CHAINCODES, DEFAULT_PORT_BASE, ORDERING_PROFILES, type ChaincodeName, type OrderingProfile } from './topology.js';

const DEFAULT_DIR = resolve('.metroledger', 'fabric');
const log = (line: string): void => console.log(line);

interface CommonOptions {
  dir: string;
}
interface UpOptions extends CommonOptions {
  bin?: string;
  config?: string;
  fabricVersion?: string;
  profile?: string;
  portBase: string;
  deploy: boolean;
}

function profileOption(v: string | undefined): OrderingProfile | undefined {
  if (v === undefined) return undefined;
  if (!(ORDERING_PROFILES as readonly string[]).includes(v))
    throw new FabricKitError('BAD_OPTION', `--profile must be one of ${ORDERING_PROFILES.join(', ')}, not ${v}`);
  return v as OrderingProfile;
}

function chaincodesOption(v: string): ChaincodeName[] {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (!(CHAINCODES as readonly string[]).includes(n))
      throw new FabricKitError('BAD_OPTION', `unknown chaincode ${n} (${CHAINCODES.join(', ')})`);
  return names as ChaincodeName[];
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new FabricKitError('BAD_OPTION', `${flag} must be a positive number, not ${v}`);
  return n;
}

export function program(): Command {
  const cli = new Command('metroledger-fabric').description('a local Hyperledger Fabric network without Docker, for metroledger');
  cli
    .command('up')
    .description(
      'crypto, genesis block, orderers and peers on 127.0.0.1 (ports 20000-21999), channel joined, chaincodes deployed as a service',
    )
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .option('--bin <dir>', 'Fabric binaries (default: $FABRIC_BIN)')
    .option('--config <dir>', "Fabric's config directory with core.yaml and orderer.yaml (default: $FABRIC_CFG, else next to the binaries)")
    .option(
      '--fabric-version <v>',
      "release of binaries built without Fabric's Makefile, whose `peer version` says latest (default: $FABRIC_VERSION)",
    )
    .option('--profile <p>', `ordering: ${ORDERING_PROFILES.join(' | ')} (default: bft on Fabric 3, raft on 2.5)`)
    .option(
      '--port-base <n>',
      'ports base+101 to base+632 on 127.0.0.1 (another base runs a second network beside the first)',
      String(DEFAULT_PORT_BASE),
    )
    .option('--no-deploy', 'only the nodes and the channel')
    .action(async (opts: UpOptions) => {
      const fabric = await locateFabric(
        opts.bin ?? process.env.FABRIC_BIN,
        opts.config ?? process.env.FABRIC_CFG,
        opts.fabricVersion ?? process.env.FABRIC_VERSION,
      );
      const profile = profileOption(opts.profile) ?? defaultProfile(fabric);
      checkProfile(fabric, profile);
      log(`Fabric ${fabric.version} (${fabric.binDir}, config ${fabric.configDir}), ordering ${profile}`);
      const state = await up({ dir: opts.dir, fabric, profile, portBase: positive(opts.portBase, '--port-base'), log });
      if (opts.deploy) await deploy(state, { chaincodes: CHAINCODES, version: '1.0', log });
      log(`network up in ${state.dir}`);
    });
  cli
    .command('deploy')
    .description('install, approve and commit chaincodes (a new version upgrades: next sequence)')
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .option('--chaincodes <list>', 'comma-separated', CHAINCODES.join(','))
    .option('--version <v>', 'chaincode definition version', '1.0')
    .action(async (opts: CommonOptions & { chaincodes: string; version: string }) => {
      const state = await readState(resolve(opts.dir));
      await deploy(state, { chaincodes: chaincodesOption(opts.chaincodes), version: opts.version, log });
    });
  cli
    .command('run')
    .description(
      'the main job on the network: `metroledger start --profile <dir>/connection-cetsp.json` (governance bootstrap, meters, readings through the gateway)',
    )
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .option('--meters <n>', 'speed meters', String(DEFAULT_SCENARIO.meters))
    .option('--seconds <s>', 'seconds of traffic', String(DEFAULT_SCENARIO.seconds))
    .option('--rate <v>', 'vehicles per second per meter', String(DEFAULT_SCENARIO.vehiclesPerSecond))
    .option('--seed <seed>', 'seed of the meters and traffic', String(DEFAULT_SCENARIO.seed))
    .option('--meter-prefix <p>', 'meter ids <p>-0001…', 'SP')
    .action(async (opts: CommonOptions & { meters: string; seconds: string; rate: string; seed: string; meterPrefix: string }) => {
      const state = await readState(resolve(opts.dir));
      const r = await runMainJob(
        state,
        {
          meters: positive(opts.meters, '--meters'),
          seconds: positive(opts.seconds, '--seconds'),
          rate: positive(opts.rate, '--rate'),
          seed: opts.seed,
          meterPrefix: opts.meterPrefix,
        },
        log,
      );
      process.exitCode = r.exitCode;
    });
  cli
    .command('record')
    .description(
      "copy the Inmetro peer's block files and Fabric's own decoding of every block (expected.json) into a folder, for offline tests",
    )
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .requiredOption('--out <dir>', 'output folder')
    .action(async (opts: CommonOptions & { out: string }) => {
      await recordLedger(await readState(resolve(opts.dir)), resolve(opts.out), log);
    });
  cli
    .command('audit')
    .description(
      "audit the network's ledger with `metroledger audit`: through the Inmetro peer's Deliver service, or from its own block files",
    )
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .option('--files', "read the Inmetro peer's block files (stopped network) instead of its Deliver service")
    .action(async (opts: CommonOptions & { files?: boolean }) => {
      const a = await auditNetwork(await readState(resolve(opts.dir)), log, opts.files === true ? 'files' : 'deliver');
      if (a.report === undefined)
        throw new FabricKitError('COMMAND_FAILED', `metroledger audit gave no report (exit ${a.exitCode}): ${a.text.slice(0, 2000)}`);
      const byCode: Record<string, number> = {};
      for (const f of a.report.findings ?? []) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
      log(`verdict ${a.report.verdict}: ${a.report.errors} error(s), ${a.report.warnings} warning(s) ${JSON.stringify(byCode)}`);
      if (a.report.verdict !== 'PASS') process.exitCode = 3;
    });
  cli
    .command('e2e')
    .description(
      'the whole flow on real Fabric for FABRIC_BIN and FABRIC_BIN_25 (each optional): up, deploy, profiles, main job, audit, down; skipped when FABRIC_BIN is unset',
    )
    .option('--meters <n>', 'speed meters of the main job', '100')
    .option('--seconds <s>', 'seconds of traffic', '10')
    .option('--profile <p>', `ordering: ${ORDERING_PROFILES.join(' | ')} (default: bft on Fabric 3, raft on 2.5)`)
    .option('--base-dir <dir>', 'where the networks live while tested', resolve('.metroledger'))
    .option('--port-base <n>', 'ports base+101 to base+632 on 127.0.0.1', String(DEFAULT_PORT_BASE))
    .option('--record <dir>', 'copy each ledger to <dir>/fabric-<version>/ (block files + expected.json)')
    .option('--keep', 'leave the stopped networks on disk')
    .action(
      async (opts: {
        meters: string;
        seconds: string;
        profile?: string;
        baseDir: string;
        portBase: string;
        record?: string;
        keep?: boolean;
      }) => {
        const targets = targetsFromEnv(process.env);
        if (targets.length === 0 || process.env.FABRIC_BIN === undefined || process.env.FABRIC_BIN === '') {
          log('SKIPPED: FABRIC_BIN is unset (point it at Fabric 3.x or 2.5 binaries; FABRIC_BIN_25 adds a second version)');
          return;
        }
        const results = await runE2e({
          targets,
          baseDir: opts.baseDir,
          portBase: positive(opts.portBase, '--port-base'),
          meters: positive(opts.meters, '--meters'),
          seconds: positive(opts.seconds, '--seconds'),
          ...(opts.profile !== undefined ? { profile: profileOption(opts.profile)! } : {}),
          ...(opts.record !== undefined ? { recordDir: opts.record } : {}),
          keep: opts.keep === true,
          log,
        });
        const failed = results.filter((r) => !r.ok);
        log(`\ne2e:fabric: ${results.length - failed.length} of ${results.length} checks passed`);
        for (const r of failed) log(`  FAILED ${r.target}: ${r.check}`);
        if (failed.length > 0) process.exitCode = 1;
      },
    );
  cli
    .command('lean')
    .description(
      '"lean on Fabric": the LR workload and a trivial CreateAsset chaincode side by side, interleaved; throughput, CPU per committed transaction per process group (/proc), readings lost',
    )
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .option('--concurrency <n>', 'concurrent meters / submitters', '200')
    .option('--seconds <s>', 'seconds per phase', '30')
    .option('--rounds <n>', 'rounds of (LR, basic)', '2')
    .option('--batch <n>', 'readings per LR transaction (submitReadingBatch, one reading of each of n meters)', '1')
    .option('--profile-dir <dir>', "write this client's CPU profile per phase there")
    .action(async (opts: CommonOptions & { concurrency: string; seconds: string; rounds: string; batch: string; profileDir?: string }) => {
      const state = await readState(resolve(opts.dir));
      const profileDir = opts.profileDir !== undefined ? resolve(opts.profileDir) : undefined;
      // profiled: every chaincode server runs under node --cpu-prof (written when it stops)
      if (profileDir !== undefined)
        await restartChaincodeServers(state, (cc) => ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'servers', cc)}`], log);
      let report;
      try {
        report = await runLeanBench(state, {
          concurrency: positive(opts.concurrency, '--concurrency'),
          phaseSeconds: positive(opts.seconds, '--seconds'),
          rounds: positive(opts.rounds, '--rounds'),
          batch: positive(opts.batch, '--batch'),
          ...(profileDir !== undefined ? { profileDir: join(profileDir, 'client') } : {}),
          log,
        });
      } finally {
        if (profileDir !== undefined) await restartChaincodeServers(state, () => [], log);
      }
      log(formatLeanReport(report));
      const file = resolve(state.dir, `lean-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      await writeFile(file, JSON.stringify(report, null, 2) + '\n');
      log(`report: ${file}`);
      if (profileDir !== undefined) {
        const text = await hotSpots(profileDir, report);
        await writeFile(join(profileDir, 'hotspots.txt'), text + '\n');
        log(text);
      }
    });
  cli
    .command('down')
    .description('stop every process of the network (its data stays)')
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .action(async (opts: CommonOptions) => down(opts.dir, log));
  cli
    .command('clean')
    .description('stop the network and remove its directory')
    .option('--dir <dir>', 'network directory', DEFAULT_DIR)
    .action(async (opts: CommonOptions) => clean(opts.dir, log));
  return cli;
}

if (require.main === module) {
  program()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`error: ${describeError(err)}`);
      process.exitCode = 1;
    });
}
