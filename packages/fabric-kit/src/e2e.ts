// SPDX-License-Identifier: Apache-2.0
// `npm run e2e:fabric`: the whole production flow on real Fabric, for each version given
// (FABRIC_BIN, and FABRIC_BIN_25 for a second one): network up, both chaincodes deployed as a
// service, every configtx profile the version supports checked by configtxgen, governance bootstrap
// and the main job with no reading lost, a clean audit, and nothing left running.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { auditNetwork, type AuditSource } from './audit.js';
import { deploy } from './chaincodes.js';
import { writeNetworkCrypto } from './crypto.js';
import { locateFabric, run, type FabricInstall } from './fabric.js';
import { runMainJob } from './mainjob.js';
import { clean, configtxFor, defaultProfile, down, up, type Log } from './network.js';
import { isRunning } from './processes.js';
import { recordLedger } from './record.js';
import { CONFIG_DIR } from './overlay.js';
import { readState } from './state.js';
import { CHAINCODES, CONFIGTX_PROFILE, ORDERING_PROFILES, type OrderingProfile } from './topology.js';

export interface E2eTarget {
  /** Environment variable the binaries came from, for messages. */
  readonly source: string;
  readonly bin: string;
  readonly config?: string;
  /** The release, for binaries built without Fabric's Makefile (`peer version` says latest). */
  readonly version?: string;
}

export interface E2eOptions {
  readonly targets: readonly E2eTarget[];
  readonly baseDir: string;
  readonly meters: number;
  readonly seconds: number;
  readonly profile?: OrderingProfile;
  readonly portBase?: number;
  /** Also copy each version's ledger here, under fabric-<version>/ (npm run e2e:fabric -- --record DIR). */
  readonly recordDir?: string;
  readonly keep: boolean;
  readonly log: Log;
}

export interface CheckResult {
  readonly target: string;
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * The targets from the environment: FABRIC_BIN (+ FABRIC_CFG, FABRIC_VERSION) and FABRIC_BIN_25
 * (+ FABRIC_CFG_25, FABRIC_VERSION_25).
 */
export function targetsFromEnv(env: NodeJS.ProcessEnv): E2eTarget[] {
  const targets: E2eTarget[] = [];
  for (const suffix of ['', '_25']) {
    const bin = env[`FABRIC_BIN${suffix}`];
    const config = env[`FABRIC_CFG${suffix}`];
    const version = env[`FABRIC_VERSION${suffix}`];
    if (bin !== undefined && bin !== '') {
      targets.push({ source: `FABRIC_BIN${suffix}`, bin, ...(config ? { config } : {}), ...(version ? { version } : {}) });
    }
  }
  return targets;
}

/** configtxgen accepts every profile this Fabric supports (SmartBFT only on 3.x). */
async function checkProfiles(fabric: FabricInstall): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), 'ml-profiles-'));
  try {
    const checked: string[] = [];
    for (const profile of ORDERING_PROFILES.filter((p) => p !== 'bft' || fabric.major >= 3)) {
      const dir = join(tmp, profile);
      await writeNetworkCrypto(dir, profile);
      await writeFile(join(dir, 'configtx.yaml'), configtxFor(fabric, await readFile(join(CONFIG_DIR, 'configtx.yaml'), 'utf8')));
      await run(
        join(fabric.binDir, 'configtxgen'),
        ['-configPath', dir, '-profile', CONFIGTX_PROFILE[profile], '-channelID', 'metrology', '-outputBlock', join(dir, 'genesis.block')],
        { env: { PATH: process.env.PATH } },
      );
      checked.push(CONFIGTX_PROFILE[profile]);
    }
    return checked.join(', ');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Audits the network's ledger; the summary, or an error unless the verdict is PASS without findings. */
async function audited(dir: string, source: AuditSource, log: Log): Promise<string> {
  const a = await auditNetwork(await readState(dir), log, source);
  if (a.report === undefined) throw new Error(`no report (exit ${a.exitCode}): ${a.text.slice(0, 500)}`);
  const byCode: Record<string, number> = {};
  for (const finding of a.report.findings ?? []) byCode[finding.code] = (byCode[finding.code] ?? 0) + 1;
  const summary = `verdict ${a.report.verdict}, ${a.report.errors} error(s), ${a.report.warnings} warning(s)${Object.keys(byCode).length ? ` ${JSON.stringify(byCode)}` : ''}`;
  if (a.report.verdict !== 'PASS' || (a.report.findings ?? []).length > 0) throw new Error(summary);
  return summary;
}

export async function runE2e(opts: E2eOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const target of opts.targets) {
    let label = target.source;
    const check = async (name: string, fn: () => Promise<string>): Promise<boolean> => {
      const started = performance.now();
      try {
        const detail = await fn();
        results.push({ target: label, check: name, ok: true, detail });
        opts.log(`PASS ${label}: ${name} (${((performance.now() - started) / 1000).toFixed(0)} s) ${detail}`);
        return true;
      } catch (err) {
        const detail = (err as Error).message;
        results.push({ target: label, check: name, ok: false, detail });
        opts.log(`FAIL ${label}: ${name}: ${detail}`);
        return false;
      }
    };
    let fabric: FabricInstall | undefined;
    if (
      !(await check('Fabric binaries and configuration', async () => {
        fabric = await locateFabric(target.bin, target.config, target.version);
        return `${fabric.version} in ${fabric.binDir}, config ${fabric.configDir}`;
      }))
    )
      continue;
    const f = fabric!;
    label = `Fabric ${f.version}`;
    const profile = opts.profile ?? defaultProfile(f);
    const dir = resolve(opts.baseDir, `fabric-e2e-${f.version.replace(/[^0-9a-z.]+/gi, '-')}`);
    await clean(dir, () => undefined).catch(() => undefined);
    await check('configtx profiles accepted by configtxgen', () => checkProfiles(f));
    try {
      if (
        !(await check(
          `network up (${profile}), channel joined`,
          async () =>
            `${(await up({ dir, fabric: f, profile, log: opts.log, ...(opts.portBase !== undefined ? { portBase: opts.portBase } : {}) })).processes.length} nodes`,
        ))
      )
        continue;
      if (
        !(await check('governance, lr and basic deployed as a service (full lifecycle)', async () => {
          const deployed = await deploy(await readState(dir), { chaincodes: CHAINCODES, version: '1.0', log: opts.log });
          return deployed.map((c) => `${c.name} seq ${c.sequence}`).join(', ');
        }))
      )
        continue;
      await check(`main job (${opts.meters} meters × ${opts.seconds} s): governance bootstrap, no reading lost`, async () => {
        const r = await runMainJob(await readState(dir), { meters: opts.meters, seconds: opts.seconds }, opts.log);
        const t = r.report?.traffic;
        if (t === undefined) throw new Error(`metroledger start wrote no report (exit ${r.exitCode})`);
        const abandoned = Object.values(t.abandoned).reduce((a, b) => a + b, 0);
        const lost = t.planned - t.committed;
        const summary = `${t.planned} readings, ${t.committed} committed (${t.measured} measured, ${Object.values(t.refused).reduce((a, b) => a + b, 0)} refused by the LR), ${abandoned} abandoned, ${t.committedPerSecond.toFixed(1)} tx/s, ${t.retries} retries ${JSON.stringify(t.retriesByCause)}`;
        if (lost !== 0 || r.exitCode !== 0) throw new Error(`${summary}: ${lost} lost ${JSON.stringify(t.abandoned)}, exit ${r.exitCode}`);
        return summary;
      });
      await check("audit through the notified body's peer (Deliver): PASS with zero findings", () => audited(dir, 'deliver', opts.log));
      await check(
        'LR definition upgraded (sequence 2 of the approved version, checked again by every provider); readings continue, none lost',
        async () => {
          const [lr] = await deploy(await readState(dir), { chaincodes: ['lr'], version: '1.0', log: opts.log });
          const r = await runMainJob(await readState(dir), { meters: Math.min(opts.meters, 20), seconds: 5, meterPrefix: 'UPG' }, opts.log);
          const t = r.report?.traffic;
          if (t === undefined || t.committed !== t.planned || r.exitCode !== 0)
            throw new Error(`after the upgrade: ${t?.committed}/${t?.planned} readings committed (exit ${r.exitCode})`);
          return `lr ${lr!.version} sequence ${lr!.sequence}; ${t.committed} of ${t.planned} readings committed after it`;
        },
      );
      await check('audit after the upgrade: PASS with zero findings', () => audited(dir, 'deliver', opts.log));
      if (opts.recordDir !== undefined) {
        await check('ledger recorded', async () => {
          const out = join(resolve(opts.recordDir!), `fabric-${f.version.replace(/[^0-9a-z.]+/gi, '-')}`);
          const r = await recordLedger(await readState(dir), out, opts.log);
          return `${r.height} blocks, ${r.bytes} bytes in ${out}`;
        });
      }
    } finally {
      const stopped = await check('down: no process of the network left running', async () => {
        const state = await readState(dir);
        await down(dir, opts.log);
        const alive = state.processes.filter(isRunning);
        if (alive.length > 0) throw new Error(`still running: ${alive.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
        return `${state.processes.length} processes stopped`;
      });
      if (stopped)
        await check("audit of the stopped peer's own block files: PASS with zero findings", () => audited(dir, 'files', opts.log));
      if (!opts.keep) await clean(dir, () => undefined).catch(() => undefined);
    }
  }
  return results;
}
