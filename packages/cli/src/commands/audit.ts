// SPDX-License-Identifier: Apache-2.0
// `metroledger audit`: verify a ledger (a devnet data directory, or any Fabric peer through Deliver)
// and `metroledger bench audit`: audit throughput on this machine.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  AuditError,
  deliverSource,
  formatAuditHtml,
  formatAuditText,
  governancePlugin,
  ledgerDirectorySource,
  measureAuditThroughput,
  resolveLedger,
  parseCheckpoint,
  runAudit,
  type AuditCheckpoint,
  type AuditOptions,
  type BlockSource,
} from '@metroledger/audit';
import { withPeerServerName } from './connection';
// every command's default data directory (the module alone: the devnet's network code stays unloaded)
import { DEFAULT_DATA_DIR } from '@metroledger/devnet/datadir';
// the devnet's record of the chaincodes deployed on it (the record module alone, as above)
import { readDeployedChaincodes, type DeployedChaincode } from '@metroledger/devnet/deployed';

/** Where blocks come from: options shared by `audit` and `surveil`. */
export interface SourceCliOptions {
  data: string;
  peer?: string;
  channel: string;
  msp?: string;
  cert?: string;
  key?: string;
  tlsCa?: string;
  serverName?: string;
  idleMs: string;
  to?: string;
}

interface AuditCliOptions extends SourceCliOptions {
  checkpoint?: string;
  height?: string;
  policy: string[];
  policies?: string;
  lrModule: string[];
  lrPackage: string[];
  genesisHash?: string;
  workers?: string;
  json?: boolean;
  html?: string;
  quiet?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The devnet's configured endorsement policies (its config module only: no network code is loaded). */
function devnetPolicies(): Record<string, string> {
  const { DEFAULT_NETWORK } = require('@metroledger/devnet/config/default-network') as {
    DEFAULT_NETWORK: { chaincodes: { name: string; endorsementPolicy: string }[] };
  };
  return Object.fromEntries(DEFAULT_NETWORK.chaincodes.map((c) => [c.name, c.endorsementPolicy]));
}

/**
 * What a devnet data directory records of the chaincodes `devnet deploy` put on it, which its ledger
 * does not carry (a devnet writes no `_lifecycle` definitions): their endorsement policies and their
 * explicit private data collections.
 */
async function devnetDeployed(
  dataDir: string,
): Promise<{ policies: Record<string, string>; collections: Record<string, NonNullable<DeployedChaincode['collections']>> }> {
  const { chaincodes } = await readDeployedChaincodes(dataDir);
  return {
    policies: Object.fromEntries(chaincodes.map((c) => [c.name, c.endorsementPolicy])),
    collections: Object.fromEntries(chaincodes.flatMap((c) => (c.collections === undefined ? [] : [[c.name, c.collections]]))),
  };
}

/**
 * Policies given on the command line replace what the ledger says (an auditor's "what if"); without
 * them, a devnet data directory's configuration fills in what its ledger does not record (the
 * governance chaincode's policy), while Fabric ledgers carry every policy in `_lifecycle`.
 */
async function policiesOf(
  opts: AuditCliOptions,
  deployed: Record<string, string> | undefined,
): Promise<{ overrides: Record<string, string>; fallback: Record<string, string>; note?: string }> {
  const policies: Record<string, string> = {};
  if (opts.policies !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(opts.policies, 'utf8'));
    } catch (err) {
      throw new AuditError('BAD_OPTION', `--policies ${opts.policies}: ${(err as Error).message}`);
    }
    const map = (parsed as { policies?: unknown }).policies ?? parsed;
    if (map === null || typeof map !== 'object')
      throw new AuditError('BAD_OPTION', `--policies ${opts.policies}: expected {"<chaincode>": "<policy>"}`);
    for (const [cc, p] of Object.entries(map as Record<string, unknown>)) policies[cc] = String(p);
  }
  for (const p of opts.policy) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new AuditError('BAD_OPTION', `--policy ${p}: expected <chaincode>=<policy>`);
    policies[p.slice(0, eq)] = p.slice(eq + 1);
  }
  if (Object.keys(policies).length > 0)
    return {
      overrides: policies,
      fallback: {},
      note: `endorsement policies of ${Object.keys(policies).join(', ')} given on the command line replace the ledger's`,
    };
  return { overrides: {}, fallback: deployed === undefined ? {} : { ...devnetPolicies(), ...deployed } };
}

/** The block source the options name: a ledger directory (the devnet's, or a copy of a Fabric peer's), or a peer's Deliver service. */
export function sourceOf(opts: SourceCliOptions): { source: BlockSource; fromDevnet: boolean } {
  if (opts.peer === undefined) {
    const location = resolveLedger(resolve(opts.data), opts.channel);
    return {
      source: ledgerDirectorySource(resolve(opts.data), { channelId: opts.channel }),
      fromDevnet: location.format === 'metroledger',
    };
  }
  const missing = (['msp', 'cert', 'key', 'tlsCa'] as const).filter((k) => opts[k] === undefined);
  if (missing.length > 0)
    throw new AuditError(
      'BAD_OPTION',
      `--peer needs ${missing.map((k) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`).join(', ')}`,
    );
  return {
    source: deliverSource({
      endpoint: opts.peer,
      channelId: opts.channel,
      mspId: opts.msp!,
      certPath: opts.cert!,
      keyPath: opts.key!,
      tlsCaCertPath: opts.tlsCa!,
      ...(opts.serverName === undefined ? {} : { serverNameOverride: opts.serverName }),
      ...(opts.to === undefined ? {} : { toBlock: Number(opts.to) }),
      idleMs: Number(opts.idleMs),
    }),
    fromDevnet: false,
  };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function audit(opts: AuditCliOptions): Promise<void> {
  const { source, fromDevnet } = sourceOf(await withPeerServerName(opts));
  const deployed = fromDevnet ? await devnetDeployed(resolve(opts.data)) : undefined;
  const { overrides, fallback, note } = await policiesOf(opts, deployed?.policies);
  let checkpoint: AuditCheckpoint | undefined;
  if (opts.checkpoint !== undefined && existsSync(opts.checkpoint)) {
    try {
      checkpoint = parseCheckpoint(JSON.parse(await readFile(opts.checkpoint, 'utf8')));
    } catch (err) {
      if (err instanceof AuditError) throw err;
      throw new AuditError('BAD_CHECKPOINT', `${opts.checkpoint}: ${(err as Error).message}`);
    }
  }
  const log = (s: string): void => {
    if (opts.quiet !== true) process.stderr.write(s + '\n');
  };
  if (note !== undefined) log(`note: ${note}`);
  if (checkpoint !== undefined) log(`resuming after block ${checkpoint.nextBlock - 1} (checkpoint ${opts.checkpoint})`);
  let expectedHeight: AuditOptions['expectedHeight'];
  if (opts.height !== undefined) {
    const height = Number(opts.height);
    if (!Number.isSafeInteger(height) || height < 0) throw new AuditError('BAD_OPTION', `--height ${opts.height}: expected a block count`);
    expectedHeight = { height, by: '--height' };
  }
  const auditOpts: AuditOptions = {
    policies: fallback,
    policyOverrides: overrides,
    ...(deployed === undefined ? {} : { collections: deployed.collections }),
    ...(expectedHeight === undefined ? {} : { expectedHeight }),
    plugins: [governancePlugin()],
    ...(opts.lrModule.length > 0 ? { lrModules: opts.lrModule } : {}),
    ...(opts.lrPackage.length > 0 ? { lrPackages: opts.lrPackage.map((f) => resolve(f)) } : {}),
    ...(checkpoint === undefined ? {} : { checkpoint }),
    ...(opts.genesisHash === undefined ? {} : { genesisHash: opts.genesisHash }),
    ...(opts.workers === undefined ? {} : { workers: Number(opts.workers) }),
    ...(opts.to === undefined ? {} : { toBlock: Number(opts.to) }),
    onProgress: (p) =>
      log(
        `  block ${p.blockNum}: ${p.blocks} blocks, ${p.transactions} transactions, ${p.readings} readings, ${p.findings} findings, ${(p.elapsedMs / 1000).toFixed(1)} s`,
      ),
  };
  const { report, checkpoint: next } = await runAudit(source, auditOpts);
  if (opts.checkpoint !== undefined && next !== undefined) await writeAtomically(opts.checkpoint, JSON.stringify(next) + '\n');
  if (opts.html !== undefined) {
    await writeAtomically(opts.html, formatAuditHtml(report));
    log(`HTML report: ${resolve(opts.html)}`);
  }
  process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : formatAuditText(report));
  // Distinct from usage errors (1): the ledger did not pass.
  if (report.verdict === 'FAIL') process.exitCode = 3;
}

/**
 * Adds `metroledger bench audit` under an existing `bench` command (or creates it): the audit of a
 * ledger that exists (the devnet's by default), timed per worker count. A synthetic ledger of any
 * size comes from the audit package's benchmark, `node packages/audit/dist/testing/bench.js`.
 */
function registerBenchAudit(program: Command): void {
  const bench =
    program.commands.find((c) => c.name() === 'bench') ?? program.command('bench').description('measure performance on this machine');
  bench
    .command('audit')
    .description(
      "audit throughput (readings re-executed and verified per second) on a ledger (devnet data or ledger directory, or a copy of a Fabric peer's)",
    )
    .option('--ledger <dir>', 'the ledger to audit', DEFAULT_DATA_DIR)
    .option('--channel <id>', "channel (of a Fabric peer's ledger)", 'metrology')
    .option('--workers <list>', 'worker counts to compare', '0,2')
    .option(
      '--lr-package <file>',
      'an approved LR chaincode package (node form) for readings of an earlier LR version, as `audit --lr-package` (repeatable)',
      collect,
      [],
    )
    .action(async (opts: { ledger: string; channel: string; workers: string; lrPackage: string[] }) => {
      const dir = resolve(opts.ledger);
      const fromDevnet = resolveLedger(dir, opts.channel).format === 'metroledger';
      const runs = await measureAuditThroughput(
        () => ledgerDirectorySource(dir, { channelId: opts.channel }),
        opts.workers.split(',').map(Number),
        {
          policies: fromDevnet ? devnetPolicies() : {},
          plugins: [governancePlugin()],
          ...(opts.lrPackage.length > 0 ? { lrPackages: opts.lrPackage.map((f) => resolve(f)) } : {}),
        },
      );
      console.log(`Node ${process.version}, ${availableParallelism()} cores, ledger ${dir}`);
      for (const run of runs) {
        console.log(
          `workers ${run.workers}: ${run.readings} readings in ${run.seconds.toFixed(2)} s = ${run.readingsPerSecond} readings/s (${run.signatures} signatures verified), verdict ${run.verdict}`,
        );
      }
    });
}

/** Adds the block-source options (`--data`, or `--peer` with an identity) to a command. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option(
      '--data <dir>',
      "ledger to read: a devnet data (or ledger) directory, or a copy of a Fabric peer's file system (its ledgersData, or chains/chains/<channel>)",
      DEFAULT_DATA_DIR,
    )
    .option('--peer <host:port>', "read blocks from this peer's Deliver service instead")
    .option('--channel <id>', 'channel (with --peer, or --data of a Fabric peer)', 'metrology')
    .option('--msp <id>', 'MSP id of the identity requesting blocks (with --peer)')
    .option('--cert <file>', 'PEM certificate of that identity')
    .option('--key <file>', 'PEM private key of that identity')
    .option('--tls-ca <file>', "PEM of the CA that issued the peer's TLS certificate")
    .option('--server-name <name>', 'TLS server name override')
    .option('--idle-ms <ms>', 'with --peer: end once no block arrived for this long', '3000')
    .option('--to <block>', 'stop after this block');
}

export function registerAuditCommands(program: Command): void {
  addSourceOptions(
    program
      .command('audit')
      .description(
        'verify a ledger: hash chain, orderer/creator/endorser signatures, endorsement policies, meter signatures, sequences, LR re-execution',
      ),
  )
    .option('--checkpoint <file>', 'resume from and update this checkpoint file (incremental audit)')
    .option(
      '--policy <cc=policy>',
      'audit a chaincode against this endorsement policy instead of the one on the ledger (repeatable; never needed)',
      collect,
      [],
    )
    .option('--policies <file>', 'JSON file {"<chaincode>": "<policy>"}, as --policy')
    .option('--height <n>', 'the channel height a peer reports (e.g. peer channel getinfo): every block below it must be found')
    .option(
      '--lr-package <file>',
      "an LR chaincode package (node form) whose LR software re-executes the readings of its version, used only if the ledger shows the notified body's approval of its package id or code digest (repeatable)",
      collect,
      [],
    )
    .option(
      '--lr-module <module>',
      "an LR software module to re-execute with, NOT verified against any approval (repeatable, a developer's escape hatch; default: the bundled one)",
      collect,
      [],
    )
    .option('--genesis-hash <hex>', 'expected header hash of the genesis block')
    .option('--workers <n>', 'verification worker threads (0 = none)')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--quiet', 'no progress on stderr')
    .action((opts: AuditCliOptions) => audit(opts));
  registerBenchAudit(program);
}
