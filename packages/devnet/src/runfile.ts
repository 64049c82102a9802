// SPDX-License-Identifier: Apache-2.0
// The run file through which a devnet process (`metroledger devnet up`) tells others where it
// listens, and, when it halted, why.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DevnetHalt } from './health.js';
import type { CollectionConfig } from '@metroledger/protocol';

/** The run file `devnet up` writes in its data directory once the gateway listens. */
export const RUN_FILE = 'devnet.json';

export interface RunInfo {
  readonly pid: number;
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  /** The host name in the gateway's TLS certificate, to connect by IP without naming the IP as TLS server name. */
  readonly tlsServerName?: string;
  /** Whether the gateway requires client TLS certificates (mutual TLS). */
  readonly tlsClientAuth?: boolean;
  readonly startedAt: string;
  /** http://host:port of the operations service (GET /healthz). */
  readonly operationsEndpoint?: string;
  /** The live dashboard's URL (`metroledger devnet up` serves one unless --no-dashboard). */
  readonly dashboardUrl?: string;
  /** Written (when the disk still allows) as the process halts. */
  readonly halt?: DevnetHalt;
  /** The `devnet up` options (after --data) that start this devnet again as it runs now: for the commands hints print. */
  readonly upArgs?: readonly string[];
  /** The chaincodes deployed now, each with its endorsement policy as given and as it resolves on the channel. */
  readonly chaincodes?: readonly RunningChaincode[];
  /** The revision of the deployed-chaincodes record (chaincodes.json) this devnet has loaded. */
  readonly chaincodesRevision?: number;
  /** Why loading a revision of the record failed (its chaincodes stay as they were). */
  readonly deployError?: { readonly revision: number; readonly message: string };
}

export interface RunningChaincode {
  readonly name: string;
  readonly version: string;
  /** The package or directory its code loads from. */
  readonly module: string;
  readonly endorsementPolicy: string;
  /** The policy in signature syntax, as the channel resolves it (undefined for a registry-governed chaincode). */
  readonly resolvedPolicy?: string;
  readonly installedOn: readonly string[];
  /** Its explicit private data collections, when it has any. */
  readonly collections?: readonly CollectionConfig[];
}

/** The run file of `dataDir`, or undefined while it is absent (or unreadable). */
export async function readRunFile(dataDir: string): Promise<RunInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, RUN_FILE), 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
}

/** Writes the run file whole and then renames it, so that a reader never sees half a file. */
export async function writeRunFile(dataDir: string, info: RunInfo): Promise<void> {
  const tmp = join(dataDir, `${RUN_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(info, null, 2) + '\n');
  await rename(tmp, join(dataDir, RUN_FILE));
}

/** Whether process `pid` exists. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The run file of the devnet running on `dataDir`, if its process is alive. */
export async function runningDevnet(dataDir: string): Promise<RunInfo | undefined> {
  const info = await readRunFile(dataDir);
  return info !== undefined && isProcessAlive(info.pid) ? info : undefined;
}
