#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The metroledger command. Each concept registers its subcommands from ./commands/<concept>.
import { Command } from 'commander';
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
import { registerDashboardCommand } from './commands/dashboard';
import { registerMeterdCommands } from './commands/meterd';
import { registerEvidenceCommands } from './commands/evidence';
import { registerDossierCommands } from './commands/dossier';

const program = new Command();
program
  .name('metroledger')
  .description('A distributed measuring system on a permissioned blockchain (Hyperledger Fabric).')
  .showHelpAfterError();

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
registerDashboardCommand(program);
registerMeterdCommands(program);
registerEvidenceCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  // Several packages already start their messages with the code.
  const prefix = e.code && !message.startsWith(`${e.code}:`) ? `${e.code}: ` : '';
  console.error(`metroledger: ${prefix}${message}`);
  process.exitCode = 1;
});
