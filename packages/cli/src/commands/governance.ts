// SPDX-License-Identifier: Apache-2.0
// `metroledger lr approve|withdraw|list|incidents|install`: the notified body's registry and a
// computing provider's installation of the approved LR package, through the Fabric Gateway (the
// devnet or a real Fabric network). The connection options are in ./connection.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { NotifiedBodyClient, RegistryReader, type LrSoftwareRecord } from '@metroledger/client';
import { DEFAULT_NETWORK, installChaincodePackage, readRunFile } from '@metroledger/devnet';
import {
  checkPackageApproval,
  LifecycleError,
  packageForm,
  packageLrChaincode,
  readCcaasPackage,
  readChaincodePackage,
  type ChaincodePackage,
} from '@metroledger/lifecycle';
import { currentChannelConfig } from './channelconfig';
import { devnetDirOf, identityOf, openClient, openNetwork, withConnectionOptions, type ConnectionOptions } from './connection';
import { CliError } from './errors';
import { command } from './hints';

async function packageFrom(file: string | undefined): Promise<ChaincodePackage> {
  return file === undefined ? packageLrChaincode() : readChaincodePackage(await readFile(file));
}

function describeRecord(r: LrSoftwareRecord): string {
  const lines = [
    `${r.chaincodeName} ${r.version}  ${r.status}`,
    `  package id         ${r.packageId}`,
    `  source sha256      ${r.sourceSha256}`,
    `  endorsement policy ${r.endorsementPolicy}`,
    `  package forms      ${(r.packageForms ?? ['node']).join(', ')}${r.packageForms === undefined ? ' (v1 approval)' : ''}`,
    `  approved           ${r.approvedAt} by ${r.notifiedBody.mspId} (tx ${r.approvedTxId})`,
  ];
  if (r.withdrawal) lines.push(`  withdrawn          ${r.withdrawal.at}: ${r.withdrawal.reason} (tx ${r.withdrawal.txId})`);
  return lines.join('\n');
}

/** The approval a package must match: the given version's, or the most recent active one; undefined when there is none. */
async function approvalInForce(
  reader: RegistryReader,
  chaincodeName: string,
  version: string | undefined,
): Promise<LrSoftwareRecord | undefined> {
  if (version === undefined) return (await reader.activeLrSoftware(chaincodeName)).at(-1);
  try {
    return await reader.getLrSoftware(chaincodeName, version);
  } catch (err) {
    if ((err as { chaincodeCode?: string }).chaincodeCode === 'LR_SOFTWARE_NOT_FOUND') return undefined;
    throw err;
  }
}

interface ApproveOptions extends ConnectionOptions {
  package?: string;
  version: string;
  policy: string;
  chaincode: string;
  forms: string;
}
interface InstallOptions extends ConnectionOptions {
  version?: string;
  chaincode: string;
  peer?: string[];
}

/** Registers the registry subcommands under `metroledger lr`. */
export function registerGovernanceCommands(lr: Command): void {
  const lrDefault = DEFAULT_NETWORK.chaincodes.find((c) => c.name === 'lr');

  withConnectionOptions(
    lr
      .command('approve')
      .description(
        'as the notified body (an admin of its MSP): sign the approval of an LR package by fingerprint, with its endorsement policy, and record it on the ledger',
      )
      .option('--package <file>', 'the package to approve (default: build the deterministic LR package from this repository)')
      .requiredOption('--version <v>', 'chaincode version the package states (LR_CHAINCODE_VERSION)')
      .option(
        '--policy <policy>',
        'endorsement policy the version must run under',
        lrDefault?.endorsementPolicy ?? "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
      )
      .option('--chaincode <name>', 'chaincode name', 'lr')
      .option(
        '--forms <forms>',
        'package forms the approval admits: node (the package itself), ccaas (chaincode-as-a-service packages declaring its code), or both',
        'node,ccaas',
      ),
    { mspId: 'InmetroMSP', user: 'Admin' },
  ).action(async (opts: ApproveOptions) => {
    const packageForms = opts.forms.split(',').map((f) => f.trim()) as ('node' | 'ccaas')[];
    if (
      packageForms.length === 0 ||
      packageForms.some((f) => f !== 'node' && f !== 'ccaas') ||
      new Set(packageForms).size !== packageForms.length
    ) {
      throw new LifecycleError('UNSUPPORTED_PACKAGE_TYPE', `--forms must list node and/or ccaas, got ${JSON.stringify(opts.forms)}`);
    }
    const pkg = await packageFrom(opts.package);
    if (pkg.metadata.type !== 'node')
      throw new LifecycleError(
        'UNSUPPORTED_PACKAGE_TYPE',
        `approve the node package of the code (${pkg.packageId} is ${pkg.metadata.type}); --forms ccaas admits ccaas packages that declare its code`,
      );
    const identity = await identityOf(opts, 'InmetroMSP');
    const client = await openClient(opts, 'InmetroMSP');
    try {
      await new NotifiedBodyClient(client, identity).approveLrSoftware({
        chaincodeName: opts.chaincode,
        version: opts.version,
        packageId: pkg.packageId,
        sourceSha256: pkg.codeDigest,
        endorsementPolicy: opts.policy,
        packageForms: (['node', 'ccaas'] as const).filter((f) => packageForms.includes(f)),
      });
      console.log(describeRecord(await new RegistryReader(client).getLrSoftware(opts.chaincode, opts.version)));
    } finally {
      client.close();
    }
  });

  withConnectionOptions(
    lr
      .command('withdraw')
      .description('as the notified body: withdraw an approved version (peers refuse to run it from the next block; the record stays)')
      .requiredOption('--version <v>', 'version to withdraw')
      .requiredOption('--reason <text>', 'why')
      .option('--chaincode <name>', 'chaincode name', 'lr'),
    { mspId: 'InmetroMSP', user: 'Admin' },
  ).action(async (opts: ConnectionOptions & { version: string; reason: string; chaincode: string }) => {
    const client = await openClient(opts, 'InmetroMSP');
    try {
      await new NotifiedBodyClient(client, await identityOf(opts, 'InmetroMSP')).withdrawLrSoftware(
        opts.chaincode,
        opts.version,
        opts.reason,
      );
      console.log(describeRecord(await new RegistryReader(client).getLrSoftware(opts.chaincode, opts.version)));
    } finally {
      client.close();
    }
  });

  withConnectionOptions(
    lr
      .command('list')
      .description('the registry: every approved version of the LR chaincode (withdrawn ones included)')
      .option('--chaincode <name>', 'chaincode name', 'lr')
      .option('--json', 'print JSON'),
    { mspId: 'InmetroMSP', user: 'User1' },
  ).action(async (opts: ConnectionOptions & { chaincode: string; json?: boolean }) => {
    const client = await openClient(opts, 'InmetroMSP');
    try {
      const records = await new RegistryReader(client).listLrSoftware(opts.chaincode);
      if (opts.json) console.log(JSON.stringify(records, null, 2));
      else console.log(records.length === 0 ? `no version of ${opts.chaincode} is approved` : records.map(describeRecord).join('\n'));
    } finally {
      client.close();
    }
  });

  withConnectionOptions(
    lr
      .command('incidents')
      .description('integrity incidents the peers recorded (e.g. FINGERPRINT_MISMATCH), in order of detection')
      .option('--json', 'print JSON'),
    { mspId: 'InmetroMSP', user: 'User1' },
  ).action(async (opts: ConnectionOptions & { json?: boolean }) => {
    const client = await openClient(opts, 'InmetroMSP');
    try {
      const incidents = await new RegistryReader(client).listIntegrityIncidents();
      if (opts.json) console.log(JSON.stringify(incidents, null, 2));
      else if (incidents.length === 0) console.log('no integrity incident');
      else
        for (const i of incidents)
          console.log(
            `${i.detectedAt}  ${i.kind}  ${i.organization} ${i.peer}  ${i.chaincodeName}\n  expected ${i.expectedPackageId || '(none)'}\n  found    ${i.foundPackageId}\n  tx       ${i.txId}`,
          );
    } finally {
      client.close();
    }
  });

  withConnectionOptions(
    lr
      .command('install')
      .description(
        "as a computing provider: check a package file (node or ccaas) against the notified body's approval on the ledger, then install it (devnet: into the peer's directory; Fabric: prints the peer lifecycle commands)",
      )
      .argument('<file>', 'chaincode package (.tar.gz): the approved node package, or a ccaas package declaring the approved code')
      .option(
        '--version <v>',
        'the approved version to check against (default: the version a ccaas package declares, else the most recently approved active version)',
      )
      .option('--chaincode <name>', 'chaincode name', 'lr')
      .option('--peer <name...>', 'devnet: peer(s) to install on (default: every peer of --msp-id)'),
    { mspId: 'LaSIGEMSP', user: 'Admin' },
  ).action(async (file: string, opts: InstallOptions) => {
    const pkg = readChaincodePackage(await readFile(file));
    const form = packageForm(pkg);
    const devnetDir = devnetDirOf(opts);
    if (form === 'ccaas' && devnetDir !== undefined) {
      throw new LifecycleError(
        'UNSUPPORTED_PACKAGE_TYPE',
        'the devnet runs chaincode in-process from node packages: install the approved node package there (ccaas packages are for Fabric peers)',
      );
    }
    const declaredVersion = form === 'ccaas' ? readCcaasPackage(pkg).declaration?.chaincodeVersion : undefined;
    const client = await openClient(opts, 'LaSIGEMSP');
    let approval: LrSoftwareRecord | undefined;
    try {
      approval = await approvalInForce(new RegistryReader(client), opts.chaincode, opts.version ?? declaredVersion);
    } finally {
      client.close();
    }
    const ok = checkPackageApproval(pkg, approval);
    const record = approval!;
    console.log(
      ok.form === 'node'
        ? `fingerprint: ${pkg.packageId} is the approved package of ${record.chaincodeName} ${record.version} (policy ${record.endorsementPolicy})`
        : `code: ${pkg.packageId} declares the approved code ${ok.codeDigest} of ${record.chaincodeName} ${record.version} (node package ${record.packageId}; policy ${record.endorsementPolicy})`,
    );
    if (devnetDir !== undefined) {
      const mspId = opts.mspId ?? 'LaSIGEMSP';
      const org = DEFAULT_NETWORK.organizations.find((o) => o.mspId === mspId);
      const peers = opts.peer ?? (org?.peers ?? []).map((p) => `${p}.${org!.domain}`);
      if (peers.length === 0) throw new Error(`${mspId} has no peer on the devnet`);
      for (const peer of peers) {
        const installed = await installChaincodePackage(resolve(devnetDir), peer, opts.chaincode, pkg.bytes);
        console.log(`installed on ${peer}: ${installed.file}`);
      }
      const upArgs = (await readRunFile(resolve(devnetDir)))?.upArgs ?? [];
      console.log(
        `takes effect when the devnet restarts: ${command(['devnet', 'down'], devnetDir)} && ${command(['devnet', 'up'], devnetDir, upArgs)}`,
      );
    } else {
      console.log(
        [
          'now, on each of your peers (Fabric 2.5/3.x):',
          `  peer lifecycle chaincode install ${file}`,
          ...(ok.form === 'ccaas'
            ? [
                `  metroledger chaincode serve ${opts.chaincode === 'governance' ? 'governance' : 'lr'} --address <listen host:port> --package-id ${pkg.packageId} [--tls-cert … --tls-key …]   # refuses to start unless it runs code ${ok.codeDigest}`,
              ]
            : []),
          `  peer lifecycle chaincode approveformyorg -C ${opts.channel} -n ${record.chaincodeName} -v ${record.version} --package-id ${pkg.packageId} --sequence <next> --signature-policy "${record.endorsementPolicy}" ...`,
        ].join('\n'),
      );
    }
  });
}

/** `metroledger org register|list`: the channel organizations the notified body admits. */
export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description("the notified body's registry of channel organizations");
  withConnectionOptions(
    org
      .command('register')
      .description(
        'as the notified body: register an organization of the channel (or replace its name and roles); an MSP the channel configuration does not hold is refused',
      )
      .argument('<mspId>')
      .requiredOption('--name <name>', 'display name')
      .requiredOption('--roles <roles>', 'comma-separated: COMPUTING_PROVIDER, METER_OWNER, AUDITOR'),
    { mspId: 'InmetroMSP', user: 'Admin' },
  ).action(async (mspId: string, opts: ConnectionOptions & { name: string; roles: string }) => {
    const roles = opts.roles.split(',').map((r) => r.trim()) as ('COMPUTING_PROVIDER' | 'METER_OWNER' | 'AUDITOR')[];
    const { client, connection, identity } = await openNetwork(opts, 'InmetroMSP');
    try {
      const config = await currentChannelConfig(connection, opts.channel, identity);
      const members = config.applicationOrgs.map((o) => o.mspId);
      if (!members.includes(mspId)) {
        throw new CliError(
          'NOT_A_CHANNEL_MEMBER',
          `${mspId} is not an application organization of channel ${opts.channel} (its configuration holds ${members.join(', ')}): add it to the channel configuration first`,
        );
      }
      await new NotifiedBodyClient(client, await identityOf(opts, 'InmetroMSP')).registerOrganization(mspId, opts.name, roles);
      console.log(`registered ${mspId} (${opts.name}): ${roles.join(', ')}`);
    } finally {
      client.close();
    }
  });
  withConnectionOptions(org.command('list').description('registered organizations').option('--json', 'print JSON'), {
    mspId: 'InmetroMSP',
    user: 'User1',
  }).action(async (opts: ConnectionOptions & { json?: boolean }) => {
    const client = await openClient(opts, 'InmetroMSP');
    try {
      const orgs = JSON.parse(Buffer.from(await client.evaluate('listOrganizations', [], client.governance)).toString('utf8')) as {
        mspId: string;
        name: string;
        roles: string[];
        registeredAt: string;
      }[];
      if (opts.json === true) console.log(JSON.stringify(orgs, null, 2));
      else
        console.log(
          orgs.length === 0
            ? 'no organization registered'
            : orgs.map((o) => `${o.mspId.padEnd(12)} ${o.name.padEnd(12)} ${o.roles.join(',')}  since ${o.registeredAt}`).join('\n'),
        );
    } finally {
      client.close();
    }
  });
}

/** `metroledger meter approve-model`: type approval of a meter model with the LR versions it may run. */
export function registerModelCommand(meter: Command): void {
  withConnectionOptions(
    meter
      .command('approve-model')
      .description('as the notified body: type-approve a meter model (a re-approval is a new revision; no versions suspends it)')
      .requiredOption('--model <model>', 'model name')
      .requiredOption('--manufacturer <name>', 'manufacturer')
      .requiredOption('--lr-versions <v,...>', "approved LR chaincode versions (comma-separated; '' suspends)")
      .requiredOption('--certificate-ref <text>', 'type-approval certificate reference')
      .option('--chaincode <name>', 'LR chaincode name', 'lr'),
    { mspId: 'InmetroMSP', user: 'Admin' },
  ).action(
    async (
      opts: ConnectionOptions & { model: string; manufacturer: string; lrVersions: string; certificateRef: string; chaincode: string },
    ) => {
      const client = await openClient(opts, 'InmetroMSP');
      try {
        const approvedLrVersions = opts.lrVersions
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        await new NotifiedBodyClient(client, await identityOf(opts, 'InmetroMSP')).approveMeterModel({
          model: opts.model,
          manufacturer: opts.manufacturer,
          chaincodeName: opts.chaincode,
          approvedLrVersions,
          certificateRef: opts.certificateRef,
        });
        console.log(`type-approved ${opts.model} with ${opts.chaincode} ${approvedLrVersions.join(', ') || '(none: suspended)'}`);
      } finally {
        client.close();
      }
    },
  );
}
