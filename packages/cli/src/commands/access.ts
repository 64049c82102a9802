// SPDX-License-Identifier: Apache-2.0
// What the main job and the bench need of a network they are given: the connection options, the
// identities they act as (the meter owner, an admin of the notified body) and the governance they
// bootstrap where the ledger does not show it done (organizations, the LR approval).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ClientIdentity } from '@metroledger/client';
import { packageLrChaincode, readChaincodePackage } from '@metroledger/lifecycle';
import type { NetworkAccess } from '@metroledger/scenario';
import { withConnectionOptions, type ConnectionOptions, type NetworkOptions } from './connection';

export interface NetworkAccessOptions extends ConnectionOptions {
  notifiedBodyCert?: string;
  notifiedBodyKey?: string;
  providers: string;
  lrVersion: string;
  lrPolicy: string;
  lrPackage?: string;
}

/** The connection options (the command's own identity is the meter owner's) and the governance options. */
export function withNetworkAccessOptions(cmd: Command): Command {
  cmd
    .option(
      '--notified-body-cert <file>',
      'a given network: certificate (PEM) of an admin of InmetroMSP, for approvals and meter registration (default: from --profile or --devnet)',
    )
    .option('--notified-body-key <file>', 'its private key (PEM)')
    .option('--providers <msps>', 'computing providers the notified body admits (comma-separated MSP ids)', 'LaSIGEMSP,PUCPRMSP')
    .option('--lr-version <v>', 'the LR software version approved (kept when the network has it approved)', '1.0')
    .option('--lr-policy <policy>', 'its endorsement policy', "AND('LaSIGEMSP.peer','PUCPRMSP.peer')")
    .option(
      '--lr-package <file>',
      "the package whose fingerprint is approved when the network has none yet (default: this repository's deterministic LR package)",
    );
  return withConnectionOptions(cmd, { mspId: 'CETSPMSP', user: 'User1' });
}

export function checkNetworkAccessOptions(opts: NetworkAccessOptions): void {
  if ((opts.notifiedBodyCert === undefined) !== (opts.notifiedBodyKey === undefined))
    throw new Error('--notified-body-cert and --notified-body-key go together');
}

/**
 * The gateway and the identities the scenario acts as: the meter owner (the command's own identity,
 * default CETSPMSP User1) and an admin of the notified body (InmetroMSP), from the flags, the
 * profile or the devnet's crypto material.
 */
export async function networkAccess(network: NetworkOptions, opts: NetworkAccessOptions): Promise<NetworkAccess> {
  const target = await network.checkedTarget();
  const meterOwner = await network.identity('CETSPMSP');
  const notifiedBodyAdmin: ClientIdentity =
    opts.notifiedBodyCert !== undefined && opts.notifiedBodyKey !== undefined
      ? { mspId: 'InmetroMSP', certificatePem: await readFile(opts.notifiedBodyCert), privateKeyPem: await readFile(opts.notifiedBodyKey) }
      : await network.organizationIdentity('InmetroMSP', 'Admin');
  // The fingerprint the notified body approves, unless the network has the version approved already.
  const lrPackage = opts.lrPackage === undefined ? await packageLrChaincode() : readChaincodePackage(await readFile(opts.lrPackage));
  const providers = opts.providers
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  return {
    endpoint: target.endpoint,
    tlsRootCertPem: target.tlsRootCertPem,
    serverNameOverride: target.serverName,
    ...(target.clientCertPem !== undefined &&
      target.clientKeyPem !== undefined && { clientTls: { certPem: target.clientCertPem, keyPem: target.clientKeyPem } }),
    channel: network.channel,
    notifiedBody: notifiedBodyAdmin,
    notifiedBodyAdmin,
    organizations: [
      ...providers.map((mspId) => ({ mspId, name: orgName(mspId), roles: ['COMPUTING_PROVIDER' as const] })),
      { mspId: meterOwner.mspId, name: orgName(meterOwner.mspId), roles: ['METER_OWNER'] },
    ],
    lrSoftware: {
      chaincodeName: 'lr',
      version: opts.lrVersion,
      packageId: lrPackage.packageId,
      sourceSha256: lrPackage.codeDigest,
      endorsementPolicy: opts.lrPolicy,
    },
    meterOwner,
  };
}

/** The organization's name as the registry shows it: CETSPMSP → CET-SP as the devnet names it, else the MSP id without "MSP". */
function orgName(mspId: string): string {
  return mspId === 'CETSPMSP' ? 'CET-SP' : mspId.replace(/MSP$/, '');
}

export function meterPrefix(v: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$/.test(v))
    throw new Error(`--meter-prefix must be 1..41 letters, digits, '.', '_' or '-', not ${v}`);
  return v;
}
