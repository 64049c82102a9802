// SPDX-License-Identifier: Apache-2.0
// Governance bootstrap and the main job on the kit's network, as an operator runs them:
// `metroledger start --profile <network>/connection-cetsp.json --gateway-peer <computing provider's peer>`.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioReport } from '@metroledger/scenario';
import { metroledgerCli } from './chaincodes.js';
import type { Log } from './network.js';
import type { NetworkState } from './state.js';
import { GATEWAY_PEER } from './topology.js';

/** The meter owner's connection profile (the kit writes one per organization at `up`). */
export function connectionProfile(state: Pick<NetworkState, 'dir'>, org = 'cetsp'): string {
  return join(state.dir, `connection-${org}.json`);
}

export interface MainJobOptions {
  readonly meters: number;
  readonly seconds: number;
  readonly rate?: number;
  readonly seed?: string;
  /** Meter ids <prefix>-0001…: a second run on the same network uses another prefix or continues those meters. */
  readonly meterPrefix?: string;
}

/** The `metroledger start` arguments for the network (what an operator types). */
export function mainJobArgs(state: Pick<NetworkState, 'dir'>, opts: MainJobOptions, dataDir: string): string[] {
  return [
    'start',
    '--profile',
    connectionProfile(state),
    '--gateway-peer',
    GATEWAY_PEER,
    '--data',
    dataDir,
    '--meters',
    String(opts.meters),
    '--seconds',
    String(opts.seconds),
    ...(opts.rate !== undefined ? ['--rate', String(opts.rate)] : []),
    ...(opts.seed !== undefined ? ['--seed', opts.seed] : []),
    ...(opts.meterPrefix !== undefined ? ['--meter-prefix', opts.meterPrefix] : []),
  ];
}

/**
 * Runs the main job: the notified body's bootstrap steps the ledger does not show done
 * (organizations, LR approval, meter model), meters registered, readings through the gateway.
 * @returns the exit code and the report `metroledger start` wrote
 */
export async function runMainJob(
  state: NetworkState,
  opts: MainJobOptions,
  log: Log,
): Promise<{ exitCode: number; report: ScenarioReport | undefined; dataDir: string }> {
  const dataDir = join(state.dir, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
  const args = mainJobArgs(state, opts, dataDir);
  log(`main job: metroledger ${args.join(' ')}`);
  const exitCode = await new Promise<number>((resolveRun) => {
    const child = spawn(process.execPath, [metroledgerCli(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '' && !/DEP0123|trace-deprecation/.test(line)) log(`  ${line}`);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('close', (code) => resolveRun(code ?? 1));
  });
  const report = await readFile(join(dataDir, 'report.json'), 'utf8').then(
    (t) => JSON.parse(t) as ScenarioReport,
    () => undefined,
  );
  return { exitCode, report, dataDir };
}
