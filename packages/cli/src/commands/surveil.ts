// SPDX-License-Identifier: Apache-2.0
// `metroledger surveil`: public surveillance statistics over a ledger (paper, IV-C).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  collectMeasurements,
  formatSurveilHtml,
  formatSurveilText,
  pseudonymizeReport,
  surveil,
  SurveilError,
  type PseudonymRotation,
  type SurveilOptions,
} from '@metroledger/surveil';
import { addSourceOptions, sourceOf, type SourceCliOptions } from './audit';
import { withPeerServerName } from './connection';

interface SurveilCliOptions extends SourceCliOptions {
  recentShare: string;
  alpha: string;
  minSample: string;
  neighbours: string;
  z: string;
  maxSkewS: string;
  json?: boolean;
  html?: string;
  all?: boolean;
  top: string;
  pseudonymize?: string;
  rotation: string;
  period?: string;
}

async function run(opts: SurveilCliOptions): Promise<void> {
  const { source } = sourceOf(await withPeerServerName(opts));
  const options: SurveilOptions = {
    recentShare: Number(opts.recentShare),
    alpha: Number(opts.alpha),
    minSample: Number(opts.minSample),
    neighbours: Number(opts.neighbours),
    zThreshold: Number(opts.z),
    maxSkewMs: Number(opts.maxSkewS) * 1000,
  };
  const collected = await collectMeasurements(source, opts.to === undefined ? {} : { toBlock: Number(opts.to) });
  const full = surveil(collected, source.description, options);
  if (opts.pseudonymize !== undefined && !['day', 'week', 'month'].includes(opts.rotation))
    throw new Error('--rotation is day, week or month');
  // a report to publish: meters under keyed pseudonyms (docs/PRIVACY.md)
  const report =
    opts.pseudonymize === undefined
      ? full
      : pseudonymizeReport(full, {
          secret: await readFile(opts.pseudonymize),
          rotation: opts.rotation as PseudonymRotation,
          ...(opts.period !== undefined && { period: opts.period }),
        });
  const top = Number(opts.top);
  if (!Number.isInteger(top) || top < 1) throw new SurveilError('BAD_OPTION', `--top must be a positive integer, not ${opts.top}`);
  const render = { all: opts.all === true, top };
  if (opts.html !== undefined) {
    await mkdir(dirname(resolve(opts.html)), { recursive: true });
    await writeFile(opts.html, formatSurveilHtml(report, render));
    process.stderr.write(`HTML report: ${resolve(opts.html)}\n`);
  }
  process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : formatSurveilText(report, render));
}

export function registerSurveilCommands(program: Command): void {
  addSourceOptions(
    program
      .command('surveil')
      .description(
        'statistics anyone can run on the ledger: per-meter and hourly counts, speed distributions, violation rates, anomaly flags',
      ),
  )
    .option('--recent-share <x>', "share of each meter's latest readings compared with its history", '0.25')
    .option('--alpha <p>', 'KS p-value below which a shift is flagged', '0.001')
    .option('--min-sample <n>', 'fewest measurements per compared sample', '30')
    .option('--neighbours <n>', 'nearest meters compared with', '5')
    .option('--z <x>', '|robust z| above which a meter is flagged against its neighbours', '3.5')
    .option('--max-skew-s <s>', 'capture time this far from the transaction time is flagged', '300')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write a self-contained HTML report with SVG charts')
    .option('--top <n>', 'meters listed in the text and HTML reports: the highest violation rates', '10')
    .option('--all', 'list every meter and every flag in the text and HTML reports (--json always has them all)')
    .option(
      '--pseudonymize <secret-file>',
      'a report to publish: meters under keyed pseudonyms (HMAC with the secret in the file, at least 32 bytes), no locations or ledger references',
    )
    .option('--rotation <period>', 'how often pseudonyms change: day, week or month', 'month')
    .option('--period <p>', 'the rotation period to name meters under (default: that of the last hour of data), e.g. 2025-06')
    .action((opts: SurveilCliOptions) => run(opts));
}
