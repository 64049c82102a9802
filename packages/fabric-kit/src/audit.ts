// SPDX-License-Identifier: Apache-2.0
// Audits the network's ledger with `metroledger audit`, as any channel member would: blocks from
// the notified body's peer through Deliver, read with an Inmetro client identity.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { userFiles, tlsCaFile } from './crypto.js';
import type { Log } from './network.js';
import type { NetworkState } from './state.js';
import { CHANNEL, HOST, peersAt } from './topology.js';

export interface AuditOutcome {
  readonly exitCode: number;
  /** The audit's JSON report (`--json`). */
  readonly report:
    { verdict?: 'PASS' | 'FAIL'; errors?: number; warnings?: number; findings?: { code: string }[]; [k: string]: unknown } | undefined;
  readonly text: string;
}

/**
 * Where the audit reads the ledger: `deliver`, from the notified body's running peer through its
 * Deliver service with an Inmetro client identity; `files`, from that peer's own block files
 * (its ledgersData folder; the peer stopped or a copy of it).
 */
export type AuditSource = 'deliver' | 'files';

/** The `metroledger audit …` arguments for the network (what an operator types). */
export function auditArgs(state: NetworkState, source: AuditSource = 'deliver'): string[] {
  const peer = peersAt(state.portBase)[0]!;
  if (source === 'files') return ['audit', '--data', join(state.dir, 'nodes', peer.fqdn, 'data', 'ledgersData'), '--channel', CHANNEL];
  const user = userFiles(state.dir, state.profile, peer.mspId, 'User1');
  return [
    'audit',
    '--peer',
    `${HOST}:${peer.port}`,
    '--channel',
    CHANNEL,
    '--msp',
    peer.mspId,
    '--cert',
    user.signcert,
    '--key',
    user.keystoreKey,
    '--tls-ca',
    tlsCaFile(state.dir, state.profile, peer.mspId),
  ];
}

export async function auditNetwork(state: NetworkState, log: Log, source: AuditSource = 'deliver'): Promise<AuditOutcome> {
  const cli = require.resolve('@metroledger/cli/main');
  const args = [cli, ...auditArgs(state, source), '--json', '--quiet'];
  log(`audit: metroledger ${auditArgs(state, source).join(' ')}`);
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolveRun) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (c) => resolveRun({ code: c ?? 1, stdout: out, stderr: err }));
  });
  let report: AuditOutcome['report'];
  try {
    report = JSON.parse(stdout) as AuditOutcome['report'];
  } catch {
    report = undefined;
  }
  return { exitCode: code, report, text: report === undefined ? `${stdout}${stderr}`.trim() : '' };
}
