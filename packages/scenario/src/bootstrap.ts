// SPDX-License-Identifier: Apache-2.0
// The notified body's bootstrap of a network's registry, each step done only when the ledger does
// not show it done already (a network bootstrapped by its operators, a second run): organizations
// admitted, the LR software approved by fingerprint, the meter model type-approved for it.
import {
  ClientError,
  NotifiedBodyClient,
  RegistryReader,
  type LrSoftwareToApprove,
  type MeterModelToApprove,
  type MetroledgerClient,
  type OrganizationRole,
} from '@metroledger/client';
import { ScenarioError } from './errors';

/** `done`: this run did it; `already`: the ledger showed it done and it was left as it was. */
export type StepOutcome = 'done' | 'already';

export interface OrganizationToAdmit {
  readonly mspId: string;
  readonly name: string;
  readonly roles: readonly OrganizationRole[];
}

export interface BootstrapReport {
  readonly organizations: Readonly<Record<string, StepOutcome>>;
  /** The approval in force for the version: this run's, or the one the network had (its package id may differ: e.g. a ccaas package). */
  readonly lrSoftware: LrSoftwareToApprove & { readonly outcome: StepOutcome };
  readonly meterModel: StepOutcome;
}

const sameRoles = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((r, i) => r === [...b].sort()[i]);

async function orNotFound<T>(read: () => Promise<T>, notFound: string): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ClientError && err.chaincodeCode === notFound) return undefined;
    throw err;
  }
}

/**
 * Brings the registry to what the main job needs, as the notified body (`admin`, an admin of its
 * MSP), skipping what is in place. Each step is verified on the ledger first.
 */
export async function bootstrapRegistry(
  admin: MetroledgerClient,
  notifiedBody: NotifiedBodyClient,
  want: {
    readonly organizations: readonly OrganizationToAdmit[];
    readonly lrSoftware: LrSoftwareToApprove;
    readonly meterModel: MeterModelToApprove;
  },
  onStep?: () => void,
): Promise<BootstrapReport> {
  const reader = new RegistryReader(admin);
  const listed = JSON.parse(Buffer.from(await admin.evaluate('listOrganizations', [], admin.governance)).toString('utf8')) as {
    mspId: string;
    name: string;
    roles: string[];
  }[];
  const organizations: Record<string, StepOutcome> = {};
  for (const org of want.organizations) {
    const have = listed.find((o) => o.mspId === org.mspId);
    if (have !== undefined && have.name === org.name && sameRoles(have.roles, org.roles)) organizations[org.mspId] = 'already';
    else {
      await notifiedBody.registerOrganization(org.mspId, org.name, org.roles);
      organizations[org.mspId] = 'done';
    }
    onStep?.();
  }

  const sw = want.lrSoftware;
  const existing = await orNotFound(() => reader.getLrSoftware(sw.chaincodeName, sw.version), 'LR_SOFTWARE_NOT_FOUND');
  let lrSoftware: BootstrapReport['lrSoftware'];
  if (existing === undefined) {
    await notifiedBody.approveLrSoftware(sw);
    lrSoftware = { ...sw, outcome: 'done' };
  } else if (existing.status !== 'APPROVED') {
    throw new ScenarioError(
      'SETUP_REFUSED',
      `${sw.chaincodeName} ${sw.version} was withdrawn on this network (${existing.withdrawal?.reason ?? 'no reason given'}): meters may not run it`,
    );
  } else {
    const { chaincodeName, version, packageId, sourceSha256, endorsementPolicy } = existing;
    lrSoftware = { chaincodeName, version, packageId, sourceSha256, endorsementPolicy, outcome: 'already' };
  }
  onStep?.();

  const model = want.meterModel;
  const current = await orNotFound(
    async () =>
      JSON.parse(
        Buffer.from(await admin.evaluate('getMeterModel', [model.model], admin.governance)).toString('utf8'),
      ) as MeterModelToApprove,
    'METER_MODEL_NOT_FOUND',
  );
  let meterModel: StepOutcome = 'already';
  const versions = new Set(current?.chaincodeName === model.chaincodeName ? current.approvedLrVersions : []);
  if (!model.approvedLrVersions.every((v) => versions.has(v))) {
    for (const v of model.approvedLrVersions) versions.add(v);
    await notifiedBody.approveMeterModel({ ...model, approvedLrVersions: [...versions] });
    meterModel = 'done';
  }
  onStep?.();
  return { organizations, lrSoftware, meterModel };
}
