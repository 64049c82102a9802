// SPDX-License-Identifier: Apache-2.0
// What the notified body does through the governance chaincode: admit organizations, approve LR
// software by fingerprint (with its detached signature), type-approve meter models.
import { createPrivateKey, type KeyObject } from 'node:crypto';
// Only the pure signing module: the package index would load fabric-contract-api into the client.
import { signLrSoftwareApproval } from '@metroledger/governance/dist/approval';
import { signLowS } from '@metroledger/identity';
import type { MetroledgerClient } from './client';

export type OrganizationRole = 'COMPUTING_PROVIDER' | 'METER_OWNER' | 'AUDITOR';

export interface LrSoftwareToApprove {
  readonly chaincodeName: string;
  readonly version: string;
  /** Fabric package id `label:sha256` of the approved package. */
  readonly packageId: string;
  readonly sourceSha256: string;
  readonly endorsementPolicy: string;
}

export interface MeterModelToApprove {
  readonly model: string;
  readonly manufacturer: string;
  readonly chaincodeName: string;
  readonly approvedLrVersions: readonly string[];
  readonly certificateRef: string;
}

/** Calls the notified body (an admin of its MSP) makes. */
export class NotifiedBodyClient {
  readonly #client: MetroledgerClient;
  readonly #mspId: string;
  readonly #certificatePem: string;
  readonly #key: KeyObject;

  constructor(client: MetroledgerClient, identity: { mspId: string; certificatePem: string | Uint8Array; privateKeyPem: string | Uint8Array }) {
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
    const record = signLrSoftwareApproval(software, { mspId: this.#mspId, certificatePem: this.#certificatePem, sign: (m) => signLowS(this.#key, m) });
    await this.#client.submit('approveLrSoftware', [JSON.stringify(record)], this.#client.governance);
  }

  async approveMeterModel(model: MeterModelToApprove): Promise<void> {
    await this.#client.submit('approveMeterModel', [JSON.stringify(model)], this.#client.governance);
  }
}
