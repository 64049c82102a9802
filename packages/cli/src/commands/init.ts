// SPDX-License-Identifier: Apache-2.0
// `metroledger init`: the notified body's bootstrap of a network's governance, in the one order
// that works: admit the organizations (a provider's peer refuses LR work for an unregistered
// organization), approve the LR software by fingerprint (peers refuse to run unapproved code, so
// no meter can be listed before), then type-approve a meter model for it. Each step is skipped
// when the ledger already has it, so init can run again.
import type { Command } from 'commander';
import { NotifiedBodyClient, RegistryReader, type OrganizationRole } from '@metroledger/client';
import { DEFAULT_NETWORK } from '@metroledger/devnet';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { currentChannelConfig } from './channelconfig';
import { devnetDirOf, identityOf, openNetwork, withConnectionOptions, type ConnectionOptions } from './connection';
import { CliError } from './errors';
import { command, devnetOption } from './hints';

interface InitOptions extends ConnectionOptions {
  org: string[];
  lrVersion: string;
  policy: string;
  model: string;
  manufacturer: string;
  certificateRef: string;
}

const ROLES: Record<string, OrganizationRole | undefined> = { 'computing-provider': 'COMPUTING_PROVIDER', 'meter-owner': 'METER_OWNER' };
const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `MSP:Name:ROLE[+ROLE]` entries, or the devnet's providers and meter owner. */
function organizationsOf(opts: InitOptions): { mspId: string; name: string; roles: OrganizationRole[] }[] {
  if (opts.org.length === 0) {
    if (devnetDirOf(opts) === undefined)
      throw new CliError(
        'BAD_OPTION',
        'against a Fabric network, name the organizations to admit: --org MSPID:Name:COMPUTING_PROVIDER (repeatable; roles joined with +)',
      );
    return DEFAULT_NETWORK.organizations.flatMap((o) =>
      ROLES[o.role] === undefined ? [] : [{ mspId: o.mspId, name: o.name, roles: [ROLES[o.role]!] }],
    );
  }
  return opts.org.map((spec) => {
    const [mspId, name, roles] = spec.split(':');
    const list = (roles ?? '').split('+').filter((r) => r !== '') as OrganizationRole[];
    if (!mspId || !name || list.length === 0 || list.some((r) => !['COMPUTING_PROVIDER', 'METER_OWNER', 'AUDITOR'].includes(r))) {
      throw new CliError(
        'BAD_OPTION',
        `--org ${JSON.stringify(spec)}: expected MSPID:Name:ROLE[+ROLE] with roles COMPUTING_PROVIDER, METER_OWNER, AUDITOR`,
      );
    }
    return { mspId, name, roles: list };
  });
}

async function init(opts: InitOptions): Promise<void> {
  const orgs = organizationsOf(opts);
  const { client, connection, identity } = await openNetwork(opts, 'InmetroMSP');
  try {
    const nb = new NotifiedBodyClient(client, await identityOf(opts, 'InmetroMSP'));
    const reader = new RegistryReader(client);
    const read = async <T>(fn: string, ...args: string[]): Promise<T> =>
      JSON.parse(Buffer.from(await client.evaluate(fn, args, client.governance)).toString('utf8')) as T;

    // 1. the organizations, each a member of the channel
    const members = (await currentChannelConfig(connection, opts.channel, identity)).applicationOrgs.map((o) => o.mspId);
    const registered = new Map((await read<{ mspId: string; roles: string[] }[]>('listOrganizations')).map((o) => [o.mspId, o]));
    for (const o of orgs) {
      if (!members.includes(o.mspId))
        throw new CliError(
          'NOT_A_CHANNEL_MEMBER',
          `${o.mspId} is not an application organization of channel ${opts.channel} (it holds ${members.join(', ')})`,
        );
      const had = registered.get(o.mspId);
      if (had !== undefined && o.roles.every((r) => had.roles.includes(r))) {
        console.log(`1. organization ${o.mspId}: registered already (${had.roles.join(', ')})`);
        continue;
      }
      await nb.registerOrganization(o.mspId, o.name, o.roles);
      console.log(`1. organization ${o.mspId}: registered as ${o.roles.join(', ')}`);
    }

    // 2. the LR software, by the fingerprint of this repository's deterministic package
    const pkg = await packageLrChaincode();
    const active = (await reader.activeLrSoftware('lr')).find((r) => r.version === opts.lrVersion);
    if (active !== undefined && active.packageId !== pkg.packageId) {
      throw new CliError(
        'BAD_OPTION',
        `lr ${opts.lrVersion} is approved already for another package (${active.packageId}, not this repository's ${pkg.packageId}): withdraw it or choose another --lr-version`,
      );
    }
    if (active !== undefined)
      console.log(`2. LR software lr ${opts.lrVersion}: approved already (${active.packageId}, policy ${active.endorsementPolicy})`);
    else {
      await nb.approveLrSoftware({
        chaincodeName: 'lr',
        version: opts.lrVersion,
        packageId: pkg.packageId,
        sourceSha256: pkg.codeDigest,
        endorsementPolicy: opts.policy,
        packageForms: ['node', 'ccaas'],
      });
      console.log(`2. LR software lr ${opts.lrVersion}: approved ${pkg.packageId}, endorsement policy ${opts.policy}`);
    }

    // 3. a meter model type-approved for that version
    const model = await read<{ approvedLrVersions: string[] }>('getMeterModel', opts.model).catch(() => undefined);
    if (model?.approvedLrVersions.includes(opts.lrVersion) === true)
      console.log(`3. meter model ${opts.model}: type-approved already for lr ${model.approvedLrVersions.join(', ')}`);
    else {
      await nb.approveMeterModel({
        model: opts.model,
        manufacturer: opts.manufacturer,
        chaincodeName: 'lr',
        approvedLrVersions: [...new Set([...(model?.approvedLrVersions ?? []), opts.lrVersion])],
        certificateRef: opts.certificateRef,
      });
      console.log(`3. meter model ${opts.model}: type-approved for lr ${opts.lrVersion}`);
    }
  } finally {
    client.close();
  }
  const devnet = devnetDirOf(opts);
  const on = devnet === undefined ? [] : devnetOption(devnet);
  console.log(
    [
      'governance is ready. Next:',
      ...(devnet === undefined
        ? ['  each computing provider installs the approved package on its peers: metroledger lr install <package> --endpoint …']
        : []),
      `  a meter's key pair:   ${command(['meter', 'keygen'], undefined, ['--name', 'SP-0001'])}`,
      `  register the meter:   ${command(['meter', 'register'], undefined, [...on, '--id', 'SP-0001', '--public-key', 'SP-0001.pub.pem', '--owner', 'CETSPMSP', '--model', opts.model, '--geometry', '3,1.5,10000', '--limit', '60', '--location', 'Av. Paulista'])}`,
      `  the registry:         ${command(['meter', 'list'], undefined, on)}  /  ${command(['org', 'list'], undefined, on)}  /  ${command(['lr', 'list'], undefined, on)}`,
    ].join('\n'),
  );
}

/** `metroledger init`: the notified body's bootstrap of the governance, in order, idempotent. */
export function registerInitCommand(program: Command): void {
  const lrPolicy = DEFAULT_NETWORK.chaincodes.find((c) => c.name === 'lr')?.endorsementPolicy ?? "AND('LaSIGEMSP.peer','PUCPRMSP.peer')";
  withConnectionOptions(
    program
      .command('init')
      .description(
        "as the notified body: bootstrap a network's governance in order (admit the organizations, approve the LR software by fingerprint, type-approve a meter model); steps already done are skipped",
      )
      .option(
        '--org <MSP:Name:ROLE>',
        'an organization to admit, roles joined with + (default on the devnet: its computing providers and meter owner); repeatable',
        collect,
        [],
      )
      .option('--lr-version <v>', 'LR chaincode version to approve', '1.0')
      .option('--policy <policy>', 'endorsement policy the LR version must run under', lrPolicy)
      .option('--model <name>', 'meter model to type-approve', 'ML-1')
      .option('--manufacturer <name>', 'its manufacturer', 'Metro Sensors Ltda.')
      .option('--certificate-ref <text>', 'type-approval certificate reference', 'Portaria Inmetro ML-1 (devnet)'),
    { mspId: 'InmetroMSP', user: 'Admin' },
  ).action((opts: InitOptions) => init(opts));
}
