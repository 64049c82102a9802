#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The metroledger command. Each concept registers its subcommands from ./commands/<concept>.
import { Command, Option } from 'commander';
import { configureLogging, LOG_LEVEL_ENV, LOG_LEVELS, type LogLevel } from './logging';
import { applyConfigFile, CONFIG_ENV, CONFIG_FILE, loadConfigFile } from './config';
import { CliError } from './commands/errors';
import { describeError } from '@metroledger/errors';
import { registerLrCommands } from './commands/lr';
import { registerBenchCommands } from './commands/bench';
import { registerLifecycleCommands } from './commands/lifecycle';
import { registerDevnetCommands } from './commands/devnet';
import { registerLedgerCommands } from './commands/ledger';
import { registerStartCommand } from './commands/start';
import { registerSimCommand } from './commands/sim';
import { registerAuditCommands } from './commands/audit';
import { registerSurveilCommands } from './commands/surveil';
import { registerGovernanceCommands, registerOrgCommands } from './commands/governance';
import { registerMeterCommands } from './commands/meter';
import { registerChaincodeCommands } from './commands/chaincode';
import { registerInitCommand } from './commands/init';
import { registerDashboardCommand } from './commands/dashboard';
import { registerMeterdCommands } from './commands/meterd';
import { registerEvidenceCommands } from './commands/evidence';
import { registerDossierCommands } from './commands/dossier';
import { registerSizingCommand } from './commands/sizing';

const { version } = require('../package.json') as { version: string };

// `metroledger … | head` closes the pipe before the output ends: stop quietly, as Unix tools do.
const isBrokenPipe = (err: unknown): boolean => (err as { code?: unknown }).code === 'EPIPE';
process.stdout.on('error', (err) => {
  if (isBrokenPipe(err)) process.exit(0);
  throw err;
});

const logLevelOption = () => new Option('--log-level <level>', 'structured log level (JSON lines on stderr)').choices(LOG_LEVELS);
const configOption = () =>
  new Option(
    '--config <file>',
    `configuration file (YAML; default ./${CONFIG_FILE} when present): values for the flags, which override it`,
  );

const program = new Command();
program
  .name('metroledger')
  .description('A distributed measuring system on a permissioned blockchain (Hyperledger Fabric).')
  .version(`metroledger ${version} (Node ${process.version})`, '-V, --version', 'print the version')
  .addOption(logLevelOption().env(LOG_LEVEL_ENV).default('info'))
  .addOption(configOption().env(CONFIG_ENV))
  // the program's options come before the subcommand, so that a subcommand's own --version
  // (`lr approve --version 2.0`) is its own; --log-level and --config are every command's too (below)
  .enablePositionalOptions()
  .showHelpAfterError()
  .hook('preAction', (root, action) => {
    const local = action.opts<{ logLevel?: string; config?: string }>();
    const config = loadConfigFile(local.config ?? root.opts<{ config?: string }>().config);
    if (config !== undefined) applyConfigFile(root, action, config);
    const level = local.logLevel ?? root.opts<{ logLevel: string }>().logLevel;
    if (!(LOG_LEVELS as readonly string[]).includes(level))
      throw new CliError('BAD_CONFIG_FILE', `${config?.path ?? ''}: logLevel must be one of ${LOG_LEVELS.join(', ')}, not ${level}`);
    configureLogging(level as LogLevel);
  });

registerLrCommands(program);
registerBenchCommands(program);
registerDevnetCommands(program);
registerLedgerCommands(program);
registerStartCommand(program);
registerSimCommand(program);
registerLifecycleCommands(program.commands.find((c) => c.name() === 'lr') ?? program.command('lr'));
registerAuditCommands(program);
registerSurveilCommands(program);
registerGovernanceCommands(program.commands.find((c) => c.name() === 'lr')!);
registerDossierCommands(program.commands.find((c) => c.name() === 'lr')!);
registerMeterCommands(program);
registerOrgCommands(program);
registerChaincodeCommands(program);
registerInitCommand(program);
registerDashboardCommand(program);
registerMeterdCommands(program);
registerEvidenceCommands(program);
registerSizingCommand(program);

/** --log-level and --config after the subcommand as well: every command that runs takes them. */
function addCommonOptions(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (sub.commands.length > 0) addCommonOptions(sub);
    else sub.addOption(logLevelOption()).addOption(configOption());
  }
}
addCommonOptions(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isBrokenPipe(err)) process.exit(0);
  console.error(`metroledger: ${describeError(err)}`);
  process.exitCode = 1;
});
