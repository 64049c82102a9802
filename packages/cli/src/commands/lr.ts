// SPDX-License-Identifier: Apache-2.0
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import { generateReferenceCases, REFERENCE_TWO_VEHICLE_SHARE } from '@metroledger/meter';
import { formatCaseLine, formatSummary, parseCaseLine, runCase, TypeApprovalError, Verification } from '@metroledger/typeapproval';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

async function writeLine(out: Writable, line: string): Promise<void> {
  if (!out.write(line + '\n')) await once(out, 'drain');
}

function share(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new Error(`expected a share in 0..1, got "${value}"`);
  return n;
}

async function generate(opts: { count: number; seed: string; out?: string; twoVehicles?: number }): Promise<void> {
  const out: Writable = opts.out ? createWriteStream(opts.out) : process.stdout;
  const setOptions = opts.twoVehicles === undefined ? {} : { twoVehicleShare: opts.twoVehicles };
  for (const c of generateReferenceCases(opts.count, opts.seed, setOptions)) await writeLine(out, formatCaseLine(c));
  if (opts.out) {
    out.end();
    await once(out, 'finish');
    console.error(`wrote ${opts.count} cases (seed ${opts.seed}) to ${opts.out}`);
  }
}

async function verify(file: string, opts: { json?: boolean }): Promise<void> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const verification = new Verification();
  let lineNo = 0;
  let malformed = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let outcome;
    try {
      const c = parseCaseLine(line);
      outcome = runCase(c);
      verification.add(c, outcome);
    } catch (err) {
      malformed++;
      console.error(`${file}:${lineNo}: ${(err as { code?: string }).code ?? 'ERROR'}: ${(err as Error).message}`);
      continue;
    }
    if (opts.json) {
      await writeLine(
        process.stdout,
        JSON.stringify(
          'speedKmh' in outcome ? { id: outcome.id, speedKmh: outcome.speedKmh } : { id: outcome.id, refused: outcome.refused },
        ),
      );
    }
  }
  const summary = verification.summary();
  if (summary.cases === 0) {
    const what =
      malformed > 0 ? `no readable reference case (${malformed} malformed line${malformed === 1 ? '' : 's'})` : 'no reference case';
    throw new TypeApprovalError('EMPTY_SET', `${file} holds ${what}: there is nothing to judge`, { file, malformed });
  }
  // no ground truth: results only, and no verdict to give
  const verdict = summary.verdict ?? 'NO_VERDICT';
  if (opts.json) {
    const { verdict: _, ...figures } = summary;
    await writeLine(
      process.stdout,
      JSON.stringify({ summary: { software: `${LR_SOFTWARE_NAME} ${LR_SOFTWARE_VERSION}`, file, ...figures, malformed }, verdict }),
    );
  } else {
    console.log(`${LR_SOFTWARE_NAME} ${LR_SOFTWARE_VERSION} on ${file}`);
    console.log(formatSummary(summary));
    if (malformed) console.log(`malformed lines: ${malformed}`);
  }
  if (malformed > 0 || verdict === 'FAIL') process.exitCode = 1;
}

/** `metroledger lr …`: reference sets and the type-approval bench. */
export function registerLrCommands(program: Command): void {
  const lr = program.command('lr').description('LR software: reference sets and the type-approval bench');
  lr.command('generate')
    .description('write a reference set of dual-loop captures with ground truth, as JSON Lines')
    .requiredOption('--count <n>', 'number of cases', positiveInt)
    .option('--seed <seed>', 'seed (same seed, same set)', '1')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--two-vehicles <share>', `share of two-vehicle events (default ${REFERENCE_TWO_VEHICLE_SHARE})`, share)
    .action(generate);
  lr.command('verify')
    .description('run the LR software over a JSON Lines set and judge it against the MPE (exit 1 on FAIL, malformed lines or an empty set)')
    .argument('<file>', 'JSON Lines file, or - for stdin')
    .option('--json', 'print one JSON line per case, then {"summary": …, "verdict": PASS|FAIL|NO_VERDICT}')
    .action(verify);
}
