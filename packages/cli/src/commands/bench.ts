// SPDX-License-Identifier: Apache-2.0
import type { Command } from 'commander';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import { benchLr } from '@metroledger/typeapproval';
import { registerBenchE2eCommands } from './bench-e2e';
import { registerBenchEndorseCommand } from './bench-endorse';

function registerBenchLr(bench: Command): void {
  bench
    .command('lr')
    .description('LR computations/s and meter-signature verifications/s on this machine (single thread)')
    .option('--seconds <s>', 'measuring time per figure', '3')
    .action((opts: { seconds: string }) => {
      const seconds = Number(opts.seconds);
      if (!(seconds > 0)) throw new Error('--seconds must be positive');
      const r = benchLr(seconds);
      console.log(`${LR_SOFTWARE_NAME} ${LR_SOFTWARE_VERSION}, Node ${process.version}, single thread`);
      console.log(`readings: ${r.samplesPerLoop} samples per loop, ${r.readingBytes} bytes signed`);
      console.log(`LR speed computations/s:        ${r.computationsPerS}`);
      console.log(`meter signature verifications/s: ${r.verificationsPerS}`);
    });
}

/** `metroledger bench …`: performance measurements. Other subcommands register here too. */
export function registerBenchCommands(program: Command): Command {
  const bench = program.command('bench').description('measure performance on this machine');
  registerBenchLr(bench);
  registerBenchE2eCommands(bench);
  registerBenchEndorseCommand(bench);
  return bench;
}
