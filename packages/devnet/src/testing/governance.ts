// SPDX-License-Identifier: Apache-2.0
// Test kit: the notified body's bootstrap of a devnet's registry through the unmodified
// @hyperledger/fabric-gateway client (organizations, the LR software approval by fingerprint,
// the meter model), and connections as any devnet identity.
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { signLrSoftwareApproval } from '@metroledger/governance/api';
import { signLowS } from '@metroledger/identity';
import type { Devnet } from '../devnet.js';
import { defaultLrPackage } from '../enforce.js';
import { connectClient, type ClientConnection } from './client.js';

export const DEFAULT_LR_POLICY = "AND('LaSIGEMSP.peer','PUCPRMSP.peer')";
export const TEST_MODEL = 'ML-1';

/** Connects as `User1` or `Admin` of an organization. */
export function connectAs(d: Devnet, mspId: string, user: 'User1' | 'Admin' = 'User1'): Promise<ClientConnection> {
  const u = d.users[mspId]?.find((x) => x.name.startsWith(`${user}@`));
  if (u === undefined) throw new Error(`no ${user} in ${mspId}`);
  return connectClient({
    endpoint: d.endpoint,
    tlsCaCertPath: d.tlsCaCertPath,
    tlsServerName: d.tlsServerName,
    ...(d.tlsClientAuth && { tlsCertPath: u.tlsCertPath, tlsKeyPath: u.tlsKeyPath }),
    mspId,
    certPath: u.certPath,
    keyPath: u.keyPath,
  });
}

export interface LrApprovalFields {
  version: string;
  packageId: string;
  sourceSha256: string;
  endorsementPolicy: string;
  chaincodeName?: string;
}

/** Signs (as Inmetro's admin) and submits an LR software approval; resolves once committed. */
export async function approveLr(d: Devnet, fields: LrApprovalFields): Promise<void> {
  const admin = d.users['InmetroMSP']!.find((u) => u.name.startsWith('Admin@'))!;
  const [certificatePem, keyPem] = await Promise.all([readFile(admin.certPath, 'utf8'), readFile(admin.keyPath, 'utf8')]);
  const key = createPrivateKey(keyPem);
  const approval = signLrSoftwareApproval(
    { chaincodeName: 'lr', ...fields },
    { mspId: 'InmetroMSP', certificatePem, sign: (m) => signLowS(key, m) },
  );
  const conn = await connectAs(d, 'InmetroMSP', 'Admin');
  try {
    await conn.gateway.getNetwork(d.channelId).getContract('governance').submitTransaction('approveLrSoftware', JSON.stringify(approval));
  } finally {
    conn.close();
  }
}

/** Submits a governance transaction as Inmetro's admin. */
export async function asNotifiedBody(d: Devnet, fn: string, ...args: string[]): Promise<Uint8Array> {
  const conn = await connectAs(d, 'InmetroMSP', 'Admin');
  try {
    return await conn.gateway
      .getNetwork(d.channelId)
      .getContract('governance')
      .submitTransaction(fn, ...args);
  } finally {
    conn.close();
  }
}

/**
 * The notified body's bootstrap: registers LaSIGE and PUCPR (computing providers) and CETSP
 * (meter owner), approves `lr` 1.0 with the fingerprint of the LR chaincode's deterministic
 * package (what honest peers install) and `endorsementPolicy`, and type-approves {@link TEST_MODEL}.
 * Returns the approved package id.
 */
export async function bootstrapGovernance(d: Devnet, opts: { endorsementPolicy?: string } = {}): Promise<string> {
  for (const [mspId, name, roles] of [
    ['LaSIGEMSP', 'LaSIGE', ['COMPUTING_PROVIDER']],
    ['PUCPRMSP', 'PUCPR', ['COMPUTING_PROVIDER']],
    ['CETSPMSP', 'CETSP', ['METER_OWNER']],
  ] as const) {
    await asNotifiedBody(d, 'registerOrganization', JSON.stringify({ mspId, name, roles }));
  }
  const pkg = await defaultLrPackage();
  await approveLr(d, {
    version: '1.0',
    packageId: pkg.packageId,
    sourceSha256: pkg.codeDigest,
    endorsementPolicy: opts.endorsementPolicy ?? DEFAULT_LR_POLICY,
  });
  await asNotifiedBody(
    d,
    'approveMeterModel',
    JSON.stringify({
      model: TEST_MODEL,
      manufacturer: 'Metro Sensors Ltda.',
      chaincodeName: 'lr',
      approvedLrVersions: ['1.0'],
      certificateRef: 'Portaria Inmetro ML-1',
    }),
  );
  return pkg.packageId;
}
