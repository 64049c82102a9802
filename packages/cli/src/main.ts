#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The metroledger command. Each concept registers its subcommands from ./commands/<concept>.
import { Command } from 'commander';
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
import { registerDashboardCommand } from './commands/dashboard';
import { registerMeterdCommands } from './commands/meterd';
import { registerEvidenceCommands } from './commands/evidence';

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
registerMeterCommands(program);
registerOrgCommands(program);
registerChaincodeCommands(program);
registerDashboardCommand(program);
registerMeterdCommands(program);
registerEvidenceCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`metroledger: ${describeError(err)}`);
  process.exitCode = 1;
});
