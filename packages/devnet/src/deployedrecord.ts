// SPDX-License-Identifier: Apache-2.0
// The devnet's record of the chaincodes deployed on it (`<data>/chaincodes.json`, so that they stay
// deployed across restarts, as a chaincode definition stays on a channel). Apart from the rest of
// chaincodes.ts, with no network or chaincode code, so that readers of a devnet's data directory
// (the audit's command) load only this.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CollectionConfig } from '@metroledger/protocol';
import { DevnetError } from './errors.js';

/** The devnet's record of its deployed chaincodes, in its data directory. */
export const DEPLOYED_CHAINCODES_FILE = 'chaincodes.json';

/** A chaincode deployed on a devnet from a directory (its record in `chaincodes.json`). */
export interface DeployedChaincode {
  readonly name: string;
  /** From the chaincode's package.json, else 1.0. */
  readonly version: string;
  /** Absolute directory of the chaincode (a module whose export has `contracts`). */
  readonly path: string;
  /** Fabric policy syntax, an ImplicitMeta rule or a channel-config reference (default: Fabric's, /Channel/Application/Endorsement). */
  readonly endorsementPolicy: string;
  /** MSP ids of the peer organizations that install it (default: every organization with peers). */
  readonly installedOn: readonly string[];
  /** Its explicit private data collections (Fabric's collections_config.json form); absent: none. */
  readonly collections?: readonly CollectionConfig[];
}

interface DeployedFile {
  /** Bumped by each `devnet deploy`; a running devnet reports the revision it has loaded. */
  readonly revision: number;
  readonly chaincodes: readonly DeployedChaincode[];
}

/** The chaincodes recorded as deployed on the devnet of `dataDir` (none when there is no record). */
export async function readDeployedChaincodes(dataDir: string): Promise<{ revision: number; chaincodes: DeployedChaincode[] }> {
  let text: string;
  try {
    text = await readFile(join(dataDir, DEPLOYED_CHAINCODES_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { revision: 0, chaincodes: [] };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as DeployedFile;
    if (!Array.isArray(parsed.chaincodes)) throw new Error('no chaincodes list');
    return { revision: Number(parsed.revision) || 0, chaincodes: [...parsed.chaincodes] };
  } catch (err) {
    throw new DevnetError('BAD_CONFIG', `${join(dataDir, DEPLOYED_CHAINCODES_FILE)} does not parse: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
}

/**
 * Records chaincodes as deployed on the devnet of `dataDir` (a chaincode of the same name is
 * replaced: an upgrade) and returns the record's new revision.
 */
export async function recordDeployedChaincodes(dataDir: string, add: readonly DeployedChaincode[]): Promise<number> {
  const current = await readDeployedChaincodes(dataDir);
  const names = new Set(add.map((c) => c.name));
  const next: DeployedFile = {
    revision: current.revision + 1,
    chaincodes: [...current.chaincodes.filter((c) => !names.has(c.name)), ...add],
  };
  await writeRecord(dataDir, next);
  return next.revision;
}

/** Removes chaincodes from the record (a deployment the running devnet refused); returns the record's new revision. */
export async function forgetDeployedChaincodes(dataDir: string, names: readonly string[]): Promise<number> {
  const current = await readDeployedChaincodes(dataDir);
  const next: DeployedFile = { revision: current.revision + 1, chaincodes: current.chaincodes.filter((c) => !names.includes(c.name)) };
  await writeRecord(dataDir, next);
  return next.revision;
}

async function writeRecord(dataDir: string, record: DeployedFile): Promise<void> {
  const tmp = join(dataDir, `${DEPLOYED_CHAINCODES_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
  await rename(tmp, join(dataDir, DEPLOYED_CHAINCODES_FILE));
}
