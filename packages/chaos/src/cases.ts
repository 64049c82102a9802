// SPDX-License-Identifier: Apache-2.0
// The chaos cases. Each is seeded (the same seed injects the same faults at the same counts of
// acknowledged readings) and ends with the acknowledged-versus-ledger check and the audit.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVNET_HALT_EXIT_CODE, prepareDataDir } from '@metroledger/devnet';
import { listBlockFiles, readBlockRecords, type BlockRecord } from '@metroledger/ledger';
import { mountTmpfs } from '@metroledger/ledger/testing/tmpfs';
import { newRng, type Rng } from '@metroledger/meter';
import { auditLedger, checkLedger, scanLedger, type AuditOutcome } from './check';
import { deliverAll } from './deliver';
import { newMeters, setUpGovernance, startLoad, untilAcknowledged, type Acknowledged } from './load';
import { startChaosNode } from './process';
import type { ChaosNodeOptions } from './node';

export const CASES = ['kill-solo', 'kill-bft', 'disk-full', 'disk-full-tmpfs', 'corrupt'] as const;
export type CaseName = (typeof CASES)[number];

export interface CaseOptions {
  readonly seed: string;
  /** kill -9 rounds of the kill cases. */
  readonly rounds: number;
  /** Meters submitting at once. */
  readonly meters: number;
  readonly log: (line: string) => void;
}

export interface CaseResult {
  readonly name: CaseName;
  readonly wallS: number;
  /** Processes killed with SIGKILL (whole devnets) and BFT replicas crashed inside them. */
  readonly kills: number;
  readonly replicaCrashes: number;
  /** Halts on a full disk (exit 74) and restarts that recovered. */
  readonly diskFullHalts: number;
  readonly acknowledged: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Damage injected into block files, damage the scan or the audit reported, blocks served damaged. */
  readonly corruptionsInjected: number;
  readonly corruptionsDetected: number;
  readonly corruptServed: number;
  /** The audit of the ledger the case ends with (of the intact ledger; of the damaged one for `corrupt`). */
  readonly audits: readonly AuditOutcome[];
  /** Why this case fails the verdict; empty when it passes. */
  readonly problems: readonly string[];
  /** Why the case did not run here (e.g. no permission to mount a tmpfs); it then counts nothing. */
  readonly skipped?: string;
}

type Counts = { -readonly [K in keyof Omit<CaseResult, 'name' | 'wallS' | 'audits' | 'problems' | 'skipped'>]: CaseResult[K] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const zero = (): Counts => ({
  kills: 0,
  replicaCrashes: 0,
  diskFullHalts: 0,
  acknowledged: 0,
  lost: 0,
  duplicates: 0,
  corruptionsInjected: 0,
  corruptionsDetected: 0,
  corruptServed: 0,
});

async function withDataDir<T>(name: string, run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `metroledger-chaos-${name}-`));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Ends a case on an intact ledger: every acknowledged reading there once, a clean scan, an audit that passes. */
async function finish(
  dir: string,
  acknowledged: Acknowledged,
  counts: Counts,
  problems: string[],
  audits: AuditOutcome[],
  log: (l: string) => void,
): Promise<void> {
  const check = await checkLedger(dir, acknowledged);
  counts.acknowledged = acknowledged.size;
  counts.lost = check.lost.length;
  counts.duplicates = check.duplicates;
  if (check.lost.length > 0) problems.push(`${check.lost.length} acknowledged readings lost (e.g. ${check.lost.slice(0, 3).join(', ')})`);
  if (check.duplicates > 0) problems.push(`${check.duplicates} readings recorded twice`);
  const findings = await scanLedger(dir);
  if (findings.length > 0)
    problems.push(`the block file scan found ${findings.map((f) => `${f.code} at block ${f.blockNumber}`).join(', ')}`);
  const audit = auditLedger(dir);
  audits.push(audit);
  if (audit.verdict !== 'PASS' && audit.verdict !== 'PASS_WITH_WARNINGS')
    problems.push(`audit ${audit.verdict} (${JSON.stringify(audit.findingCodes)})`);
  log(
    `  ledger height ${check.height}; ${acknowledged.size} acknowledged, ${check.lost.length} lost, ${check.duplicates} duplicates; scan ${findings.length} findings; audit ${audit.verdict}`,
  );
}

/** Kill -9 of the whole devnet under load, `rounds` times; for BFT also replicas crashed and restarted inside it. */
async function killCase(name: 'kill-solo' | 'kill-bft', o: CaseOptions): Promise<Omit<CaseResult, 'name' | 'wallS'>> {
  return withDataDir(name, async (dir) => {
    const rng = newRng(`${o.seed}/${name}`);
    const counts = zero();
    const problems: string[] = [];
    const audits: AuditOutcome[] = [];
    const nodeOpts: ChaosNodeOptions = { dataDir: dir, ordering: name === 'kill-bft' ? 'bft' : 'solo' };
    const meters = newMeters(name.toUpperCase(), o.meters);
    const acknowledged: Acknowledged = new Map();
    // BFT: replicas also crash and restart inside the devnet while it runs (one at a time).
    const roundOpts = (round: number): ChaosNodeOptions => ({
      ...nodeOpts,
      ...(name === 'kill-bft' && { replicaChaos: `${o.seed}/${name}/${round}` }),
    });
    let node = await startChaosNode(roundOpts(0));
    try {
      await setUpGovernance(node, dir, meters);
      for (let round = 0; round < o.rounds; round++) {
        if (round > 0) node = await startChaosNode(roundOpts(round));
        const load = await startLoad(node, dir, meters, rng, acknowledged);
        // Kill after a seeded number of acknowledged readings this round (5..40), then a seeded 0..50 ms more.
        const target = acknowledged.size + rng.int(5, 40);
        await untilAcknowledged(node, acknowledged, target);
        await sleep(rng.int(0, 50));
        await node.kill();
        counts.kills++;
        counts.replicaCrashes += (node.stderr().match(/replica \d+ crashed/g) ?? []).length;
        await load.stop();
        o.log(`  round ${round + 1}: killed at ${acknowledged.size} acknowledged readings`);
      }
      node = await startChaosNode(nodeOpts);
      await node.stop();
    } finally {
      await node.kill();
    }
    await finish(dir, acknowledged, counts, problems, audits, o.log);
    return { ...counts, audits, problems };
  });
}

/** The block files' disk fills up under load: the node must halt (exit 74), and a restart with room must have every acknowledged reading. */
async function diskFullCase(o: CaseOptions): Promise<Omit<CaseResult, 'name' | 'wallS'>> {
  return withDataDir('disk-full', async (dir) => {
    const rng = newRng(`${o.seed}/disk-full`);
    const counts = zero();
    const problems: string[] = [];
    const audits: AuditOutcome[] = [];
    const meters = newMeters('FULL', o.meters);
    const acknowledged: Acknowledged = new Map();
    let node = await startChaosNode({ dataDir: dir, ordering: 'solo' });
    try {
      await setUpGovernance(node, dir, meters);
      await node.stop();
      for (let round = 0; round < Math.max(1, Math.ceil(o.rounds / 2)); round++) {
        // Room for a seeded 20..120 KiB more of blocks (tens of blocks of readings).
        const quotaBytes = rng.int(20, 120) * 1024;
        node = await startChaosNode({ dataDir: dir, ordering: 'solo', quotaBytes });
        const load = await startLoad(node, dir, meters, rng, acknowledged);
        const exit = await node.exit;
        await load.stop();
        if (exit.code === DEVNET_HALT_EXIT_CODE && /ENOSPC/.test(node.stderr())) counts.diskFullHalts++;
        else
          problems.push(
            `round ${round + 1}: the node ended with ${exit.code ?? exit.signal}, not the halt (${DEVNET_HALT_EXIT_CODE}, ENOSPC): ${node.stderr().slice(-500)}`,
          );
        o.log(
          `  round ${round + 1}: disk full after ${quotaBytes} bytes, exit ${exit.code ?? exit.signal}, ${acknowledged.size} acknowledged so far`,
        );
      }
      // Room again: the node recovers by itself and takes readings.
      node = await startChaosNode({ dataDir: dir, ordering: 'solo' });
      const load = await startLoad(node, dir, meters, rng, acknowledged);
      await untilAcknowledged(node, acknowledged, acknowledged.size + 5);
      await load.stop();
      await node.stop();
    } finally {
      await node.kill();
    }
    await finish(dir, acknowledged, counts, problems, audits, o.log);
    return { ...counts, audits, problems };
  });
}

/**
 * A real full disk: `<data>/ledger` is a tmpfs of a seeded 1..3 MiB that the load fills (block files
 * and LevelDB alike); the node must halt (exit 74), and after a remount at 64 MiB a restart must
 * have every acknowledged reading. Runs only where mounting works (root); skipped, saying why, elsewhere.
 */
async function diskFullTmpfsCase(o: CaseOptions): Promise<Omit<CaseResult, 'name' | 'wallS'>> {
  return withDataDir('tmpfs', async (dir) => {
    const rng = newRng(`${o.seed}/disk-full-tmpfs`);
    const counts = zero();
    const problems: string[] = [];
    const audits: AuditOutcome[] = [];
    const ledgerDir = join(dir, 'ledger');
    await prepareDataDir(dir); // mark it a devnet's before the ledger directory appears in it
    await mkdir(ledgerDir);
    const size = `${rng.int(1, 3)}m`;
    const cannot = mountTmpfs(ledgerDir, size);
    if (cannot !== undefined) return { ...counts, audits, problems, skipped: cannot };
    try {
      const meters = newMeters('TMPFS', o.meters);
      const acknowledged: Acknowledged = new Map();
      let node = await startChaosNode({ dataDir: dir, ordering: 'solo' });
      try {
        await setUpGovernance(node, dir, meters);
        const load = await startLoad(node, dir, meters, rng, acknowledged);
        const exit = await node.exit;
        await load.stop();
        if (exit.code === DEVNET_HALT_EXIT_CODE && /ENOSPC/.test(node.stderr())) counts.diskFullHalts++;
        else
          problems.push(
            `the node ended with ${exit.code ?? exit.signal}, not the halt (${DEVNET_HALT_EXIT_CODE}, ENOSPC): ${node.stderr().slice(-500)}`,
          );
        o.log(`  a ${size} tmpfs filled after ${acknowledged.size} acknowledged readings, exit ${exit.code ?? exit.signal}`);
        execFileSync('mount', ['-o', 'remount,size=64m', ledgerDir]);
        node = await startChaosNode({ dataDir: dir, ordering: 'solo' });
        const again = await startLoad(node, dir, meters, rng, acknowledged);
        await untilAcknowledged(node, acknowledged, acknowledged.size + 5);
        await again.stop();
        await node.stop();
      } finally {
        await node.kill();
      }
      await finish(dir, acknowledged, counts, problems, audits, o.log);
      return { ...counts, audits, problems };
    } finally {
      execFileSync('umount', [ledgerDir]);
    }
  });
}

async function blockRecords(dir: string): Promise<BlockRecord[]> {
  const out: BlockRecord[] = [];
  for await (const r of readBlockRecords(join(dir, 'ledger', 'chains'))) if (r.kind === 'block') out.push(r);
  return out;
}

/** Flips one seeded byte inside `record`'s payload. */
async function flipByte(record: BlockRecord, rng: Rng): Promise<void> {
  const at = record.offset + 12 + rng.int(0, record.length - 1);
  const fh = await open(record.path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0]! ^= 1 << rng.int(0, 7);
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

/**
 * Damaged block files: a byte flipped in seeded blocks (the scan and the audit must name each, and
 * Deliver must never serve it), then the newest file's tail cut off (the scan and the audit must
 * report the missing blocks instead of passing).
 */
async function corruptCase(o: CaseOptions): Promise<Omit<CaseResult, 'name' | 'wallS'>> {
  return withDataDir('corrupt', async (dir) => {
    const rng = newRng(`${o.seed}/corrupt`);
    const counts = zero();
    const problems: string[] = [];
    const audits: AuditOutcome[] = [];
    const meters = newMeters('CORRUPT', o.meters);
    const acknowledged: Acknowledged = new Map();
    let node = await startChaosNode({ dataDir: dir, ordering: 'solo' });
    try {
      await setUpGovernance(node, dir, meters);
      const load = await startLoad(node, dir, meters, rng, acknowledged);
      await untilAcknowledged(node, acknowledged, 40 + rng.int(0, 40));
      await load.stop();
      await node.stop();
      await finish(dir, acknowledged, counts, problems, audits, o.log);

      const records = await blockRecords(dir);
      const original = records.map((r) => r.bytes);
      const pristine = new Map<string, Buffer>();
      for (const f of await listBlockFiles(join(dir, 'ledger', 'chains'))) {
        const path = records.find((r) => r.file === f)?.path;
        if (path !== undefined) pristine.set(path, await readFile(path));
      }
      for (let round = 0; round < Math.max(1, o.rounds); round++) {
        // Not the newest block: damage there is a torn write, which recovery is allowed to cut.
        const victim = records[rng.int(1, records.length - 2)]!;
        await flipByte(victim, rng);
        counts.corruptionsInjected++;
        const findings = await scanLedger(dir);
        const audit = auditLedger(dir);
        audits.push(audit);
        const scanned = findings.some((f) => f.blockNumber === victim.blockNumber);
        if (scanned && audit.verdict === 'FAIL') counts.corruptionsDetected++;
        else
          problems.push(
            `a byte flipped in block ${victim.blockNumber}: scan ${scanned ? 'named it' : 'missed it'}, audit ${audit.verdict}`,
          );
        node = await startChaosNode({ dataDir: dir, ordering: 'solo' });
        const served = await deliverAll(node, dir, original);
        await node.kill();
        counts.corruptServed += served.corruptServed.length;
        if (served.corruptServed.length > 0) problems.push(`Deliver served damaged block(s) ${served.corruptServed.join(', ')}`);
        if (served.intactServed !== victim.blockNumber)
          problems.push(`Deliver served ${served.intactServed} intact blocks before the damaged block ${victim.blockNumber}`);
        o.log(
          `  flip in block ${victim.blockNumber}: scan ${findings.map((f) => f.code).join(',')}, audit ${audit.verdict}; Deliver served ${served.intactServed} intact then ${served.refusal ?? 'no refusal'}`,
        );
        for (const [path, bytes] of pristine) await writeFile(path, bytes);
      }
      // Cut a seeded 1..600 bytes off the newest file, then a whole seeded share of the blocks.
      const newest = [...pristine.keys()].sort().at(-1)!;
      const size = (await stat(newest)).size;
      const lastInNewest = records.filter((r) => r.path === newest);
      for (const cut of [rng.int(1, 600), size - lastInNewest[rng.int(0, Math.floor(lastInNewest.length / 2))]!.offset]) {
        const fh = await open(newest, 'r+');
        await fh.truncate(size - cut);
        await fh.close();
        counts.corruptionsInjected++;
        const findings = await scanLedger(dir);
        const audit = auditLedger(dir);
        audits.push(audit);
        if (findings.length > 0 && audit.verdict === 'FAIL') counts.corruptionsDetected++;
        else problems.push(`${cut} bytes cut off the newest block file: scan ${findings.length} findings, audit ${audit.verdict}`);
        o.log(
          `  ${cut} bytes cut off the end: scan ${findings.map((f) => f.code).join(',') || 'nothing'}, audit ${audit.verdict} ${JSON.stringify(audit.findingCodes)}`,
        );
        await writeFile(newest, pristine.get(newest)!);
      }
    } finally {
      await node.kill();
    }
    return { ...counts, audits, problems };
  });
}

export async function runCase(name: CaseName, o: CaseOptions): Promise<CaseResult> {
  const started = Date.now();
  o.log(`case ${name} (seed ${o.seed})`);
  const r =
    name === 'disk-full'
      ? await diskFullCase(o)
      : name === 'disk-full-tmpfs'
        ? await diskFullTmpfsCase(o)
        : name === 'corrupt'
          ? await corruptCase(o)
          : await killCase(name, o);
  return { name, wallS: (Date.now() - started) / 1000, ...r };
}
