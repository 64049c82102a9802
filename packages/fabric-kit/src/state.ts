// SPDX-License-Identifier: Apache-2.0
// network.json: what `up` made and started, so that later steps (deploy, run, audit, bench, down)
// find the network without being told again.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FabricKitError } from './errors.js';
import type { FabricInstall } from './fabric.js';
import type { NodeProcess } from './processes.js';
import type { ChaincodeName, OrderingProfile } from './topology.js';

export interface DeployedChaincode {
  readonly name: ChaincodeName;
  readonly version: string;
  readonly sequence: number;
  readonly endorsementPolicy: string;
  /** Installed package id per peer (each organization runs its own chaincode server). */
  readonly packageIds: Readonly<Record<string, string>>;
}

export interface NetworkState {
  readonly format: 1;
  readonly dir: string;
  readonly fabric: FabricInstall;
  readonly profile: OrderingProfile;
  /** Every port is relative to it (topology.ts). */
  readonly portBase: number;
  readonly createdAt: string;
  processes: NodeProcess[];
  chaincodes: DeployedChaincode[];
}

export const STATE_FILE = 'network.json';

export async function readState(dir: string): Promise<NetworkState> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    throw new FabricKitError(
      'NETWORK_NOT_FOUND',
      `no network in ${dir} (${STATE_FILE} missing): run \`npm run fabric:up\` first`,
      { dir },
      { cause: err },
    );
  }
  return JSON.parse(text) as NetworkState;
}

export async function writeState(state: NetworkState): Promise<void> {
  const path = join(state.dir, STATE_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
}
