// SPDX-License-Identifier: Apache-2.0
// What the notified body does through the governance chaincode: admit organizations, approve LR
// software by fingerprint (with its detached signature), type-approve meter models.
import { createPrivateKey, type KeyObject } from 'node:crypto';
// The chaincode's API without its Fabric runtime: the index would load fabric-contract-api into the client.
import {
  signLrSoftwareApproval,
  type IntegrityIncidentRecord,
  type LrSoftwareApprovalFields,
  type LrSoftwareRecord,
  type MeterModelApproval,
  type OrganizationRole,
} from '@metroledger/governance/api';
import { signLowS } from '@metroledger/identity';
import type { MetroledgerClient } from './client';

export type { LrSoftwareRecord, OrganizationRole };

export type LrSoftwareToApprove = Readonly<LrSoftwareApprovalFields>;
export type MeterModelToApprove = Readonly<Omit<MeterModelApproval, 'approvedLrVersions'>> & {
  readonly approvedLrVersions: readonly string[];
};

/** Calls the notified body (an admin of its MSP) makes. */
export class NotifiedBodyClient {
  readonly #client: MetroledgerClient;
  readonly #mspId: string;
  readonly #certificatePem: string;
  readonly #key: KeyObject;

  constructor(
    client: MetroledgerClient,
    identity: { mspId: string; certificatePem: string | Uint8Array; privateKeyPem: string | Uint8Array },
  ) {
    this.#client = client;
    this.#mspId = identity.mspId;
    this.#certificatePem = Buffer.from(identity.certificatePem).toString('utf8');
    this.#key = createPrivateKey(Buffer.from(identity.privateKeyPem));
  }

  async registerOrganization(mspId: string, name: string, roles: readonly OrganizationRole[]): Promise<void> {
    await this.#client.submit('registerOrganization', [JSON.stringify({ mspId, name, roles })], this.#client.governance);
  }

  /** Signs the approval record (detached, verifiable off-ledger) and records it on the ledger. */
  async approveLrSoftware(software: LrSoftwareToApprove): Promise<void> {
    const record = signLrSoftwareApproval(software, {
      mspId: this.#mspId,
      certificatePem: this.#certificatePem,
      sign: (m) => signLowS(this.#key, m),
    });
    await this.#client.submit('approveLrSoftware', [JSON.stringify(record)], this.#client.governance);
  }

  async approveMeterModel(model: MeterModelToApprove): Promise<void> {
    await this.#client.submit('approveMeterModel', [JSON.stringify(model)], this.#client.governance);
  }

  /** Withdraws an approved version: peers refuse to run it from the next block on; its record stays listed. */
  async withdrawLrSoftware(chaincodeName: string, version: string, reason: string): Promise<void> {
    await this.#client.submit('withdrawLrSoftware', [chaincodeName, version, reason], this.#client.governance);
  }
}

export type IntegrityIncident = IntegrityIncidentRecord;

/** Reads of the notified body's registry, open to every member organization (auditors included). */
export class RegistryReader {
  readonly #client: MetroledgerClient;

  constructor(client: MetroledgerClient) {
    this.#client = client;
  }

  async #read<T>(fn: string, args: string[]): Promise<T> {
    return JSON.parse(Buffer.from(await this.#client.evaluate(fn, args, this.#client.governance)).toString('utf8')) as T;
  }

  /** Every version ever approved, withdrawn ones included. */
  listLrSoftware(chaincodeName = 'lr'): Promise<LrSoftwareRecord[]> {
    return this.#read('listLrSoftware', [chaincodeName]);
  }

  getLrSoftware(chaincodeName: string, version: string): Promise<LrSoftwareRecord> {
    return this.#read('getLrSoftware', [chaincodeName, version]);
  }

  /** The approved, not withdrawn versions, most recently approved last. */
  async activeLrSoftware(chaincodeName = 'lr'): Promise<LrSoftwareRecord[]> {
    const active = await this.#read<LrSoftwareRecord[]>('getActiveLrSoftware', [chaincodeName]);
    return active.sort((a, b) => a.approvedAt.localeCompare(b.approvedAt));
  }

  /** Every integrity incident the peers reported, in order of detection. */
  async listIntegrityIncidents(): Promise<IntegrityIncident[]> {
    const out: IntegrityIncident[] = [];
    let bookmark = '';
    do {
      const page = await this.#read<{ records: IntegrityIncident[]; bookmark: string }>('listIntegrityIncidents', ['100', bookmark]);
      out.push(...page.records);
      bookmark = page.records.length === 0 ? '' : page.bookmark;
    } while (bookmark !== '');
    return out;
  }
}
