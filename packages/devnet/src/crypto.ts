// SPDX-License-Identifier: Apache-2.0
// Crypto material of the devnet: generated once in Fabric's cryptogen layout, then reused.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateOrganization,
  loadOrganization,
  orgDirectory,
  writeCryptogenLayout,
  type OrgMaterial,
  type OrgSpec,
} from '@metroledger/identity';
import type { OrgConfig } from './network.js';

// Written after every organization is on disk: without it a half-written tree is regenerated.
const COMPLETE_MARKER = '.complete';

export function orgSpec(org: OrgConfig): OrgSpec {
  const spec: OrgSpec = { name: org.name, mspId: org.mspId, domain: org.domain, kind: org.kind };
  if (org.peers !== undefined) spec.peers = [...org.peers];
  if (org.orderers !== undefined) spec.orderers = [...org.orderers];
  if (org.users !== undefined) spec.users = [...org.users];
  return spec;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The organizations' material under `<dataDir>/organizations`: loaded when a previous start
 * completed writing it, generated and written otherwise (also an organization added since, e.g. the
 * orderer organizations of BFT ordering). Returns it by MSP id, plus whether any was generated.
 */
export async function ensureOrganizations(
  dataDir: string,
  orgs: readonly OrgConfig[],
): Promise<{ orgs: Map<string, OrgMaterial>; generated: boolean }> {
  const marker = join(dataDir, 'organizations', COMPLETE_MARKER);
  const complete = await exists(marker);
  let generated = !complete;
  const materials = await Promise.all(
    orgs.map(async (org) => {
      const spec = orgSpec(org);
      if (complete && (await exists(orgDirectory(dataDir, spec)))) return loadOrganization(dataDir, spec);
      generated = true;
      const material = await generateOrganization(spec);
      await writeCryptogenLayout(dataDir, material);
      return material;
    }),
  );
  if (generated) {
    await mkdir(join(dataDir, 'organizations'), { recursive: true });
    await writeFile(marker, new Date().toISOString() + '\n');
  }
  return { orgs: new Map(materials.map((m) => [m.spec.mspId, m])), generated };
}
