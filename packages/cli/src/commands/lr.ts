// SPDX-License-Identifier: Apache-2.0
import type { Command } from 'commander';

/** `metroledger lr …`: the type-approval bench. */
export function registerLrCommands(program: Command): void {
  program.command('lr').description('LR software: reference sets and the type-approval bench');
}
