// SPDX-License-Identifier: Apache-2.0
// `metroledger start`: the main job. Starts a devnet in a fresh data directory as its own process
// (so the network and the load generator use both cores), runs São Paulo at rush hour through
// @hyperledger/fabric-gateway, prints the report and stops the devnet.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { loadMspIdentity } from '@metroledger/client';
import { startDevnetProcess, type DevnetProcess } from '@metroledger/devnet';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { DEFAULT_SCENARIO, formatReport, runSaoPaulo, type NetworkAccess, type ScenarioOptions } from '@metroledger/scenario';
import { orderingOptions } from './devnet';
import { freshRunDir, nextSteps } from './rundir';

interface StartOptions {
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
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('the main job: São Paulo at rush hour on a fresh embedded devnet')
    .option('--meters <n>', 'speed meters', String(DEFAULT_SCENARIO.meters))
    .option('--seconds <s>', 'seconds of traffic', String(DEFAULT_SCENARIO.seconds))
    .option('--rate <v>', 'vehicles per second per meter', String(DEFAULT_SCENARIO.vehiclesPerSecond))
    .option('--ordering <type>', 'ordering service: bft (n consenters of n orderer organizations), or solo', 'bft')
    .option('--bft-replicas <n>', 'BFT consenters, n = 3f+1 (default 4)')
    .option('--bft-down <ids>', 'BFT replicas (0-based, comma-separated, at most f) left stopped for the whole run')
    .option('--speedup <x>', 'simulated seconds per wall-clock second', String(DEFAULT_SCENARIO.speedup))
    .option('--seed <seed>', 'seed of the meters, traffic and vehicles', String(DEFAULT_SCENARIO.seed))
    .option('--fault-share <p>', 'share of passages that are sensor faults or incomplete events', String(DEFAULT_SCENARIO.faultShare))
    .option('--data <dir>', 'a new data directory (default: .metroledger/devnet, every command\'s default; a previous devnet there moves to .metroledger/runs/)')
    .action(async (opts: StartOptions) => {
      const options: ScenarioOptions = {
        ...DEFAULT_SCENARIO,
        meters: positiveInt(opts.meters, '--meters'),
        seconds: positiveNumber(opts.seconds, '--seconds'),
        vehiclesPerSecond: positiveNumber(opts.rate, '--rate'),
        speedup: positiveNumber(opts.speedup, '--speedup'),
        faultShare: fraction(opts.faultShare, '--fault-share'),
        seed: opts.seed,
      };
      orderingOptions(opts); // refuse bad ordering flags before creating anything
      const { dataDir, archived } = await freshRunDir(opts.data);
      if (archived !== undefined) console.log(`kept the previous devnet in ${archived}`);
      const ordering = ['--ordering', opts.ordering];
      if (opts.bftReplicas !== undefined) ordering.push('--bft-replicas', opts.bftReplicas);
      if (opts.bftDown !== undefined) ordering.push('--bft-down', opts.bftDown);
      const described = opts.ordering === 'bft' ? `BFT ordering, ${opts.bftReplicas ?? 4} consenters${opts.bftDown ? `, replica(s) ${opts.bftDown} down` : ''}` : `${opts.ordering} ordering`;
      console.log(`starting the embedded devnet (${described}) in ${dataDir}`);
      const devnet = await startDevnetProcess({ cliMain: require.resolve('../main'), dataDir, upArgs: ordering });
      try {
        const access = await networkAccess(devnet);
        const report = await runSaoPaulo(access, options, progressHooks());
        const text = formatReport(report);
        console.log(`\n${text}`);
        console.log(`  data                     ${dataDir}`);
        console.log(`  devnet log               ${join(dataDir, 'devnet.log')}`);
        await writeFile(join(dataDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
        console.log(`  report                   ${join(dataDir, 'report.json')}`);
        for (const line of nextSteps(dataDir, ordering)) console.log(line);
        const failed = Object.values(report.traffic.failed).reduce((a, b) => a + b, 0);
        if (failed > 0) process.exitCode = 1;
      } finally {
        await devnet.stop();
      }
    });
}

/** The identities the scenario acts as, read from the devnet's cryptogen layout. */
async function networkAccess(devnet: DevnetProcess): Promise<NetworkAccess> {
  const user = (domain: string) => join(devnet.dataDir, 'organizations', 'peerOrganizations', domain, 'users', `User1@${domain}`, 'msp');
  const admin = (domain: string) => join(devnet.dataDir, 'organizations', 'peerOrganizations', domain, 'users', `Admin@${domain}`, 'msp');
  const inmetro = await loadMspIdentity(user('inmetro.example.com'));
  const inmetroAdmin = await loadMspIdentity(admin('inmetro.example.com'));
  const cetsp = await loadMspIdentity(user('cetsp.example.com'));
  // The fingerprint the notified body approves: the deterministic package of the LR chaincode.
  const lrPackage = await packageLrChaincode();
  return {
    endpoint: devnet.endpoint,
    tlsRootCertPem: await readFile(devnet.tlsCaCertPath),
    serverNameOverride: devnet.tlsServerName,
    notifiedBody: { mspId: 'InmetroMSP', ...inmetro },
    notifiedBodyAdmin: { mspId: 'InmetroMSP', ...inmetroAdmin },
    organizations: [
      { mspId: 'LaSIGEMSP', name: 'LaSIGE', roles: ['COMPUTING_PROVIDER'] },
      { mspId: 'PUCPRMSP', name: 'PUCPR', roles: ['COMPUTING_PROVIDER'] },
      { mspId: 'CETSPMSP', name: 'CET-SP', roles: ['METER_OWNER'] },
    ],
    lrSoftware: {
      chaincodeName: 'lr', version: '1.0', packageId: lrPackage.packageId, sourceSha256: lrPackage.codeDigest,
      endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    },
    meterOwner: { mspId: 'CETSPMSP', ...cetsp },
  };
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
        format: `${label} [{bar}] {value}/{total} | {rate}/s | not committed {failed} | {duration_formatted}`,
        noTTYOutput: true, notTTYSchedule: 5000, hideCursor: interactive, etaBuffer: 200,
      });
      bar.start(total, 0, { rate: 0, failed: 0 });
      lastLine = performance.now();
    },
    onProgress: (done, detail) => {
      if (!bar) return;
      const seconds = (performance.now() - lastLine) / 1000;
      bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds) : 0, failed: detail?.failed ?? 0 });
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
