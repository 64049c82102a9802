// SPDX-License-Identifier: Apache-2.0
// Test fixture: the paper's organizations with real X.509 identities (NodeOUs), the chaincodes
// hosted in-process on one MemoryState, and helpers that invoke, commit and check refusals.
// Shared by the governance and LR chaincode tests; not part of the package's API.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hostChaincodeModule, MemoryState, type ChaincodeResult, type HostedChaincode } from '@metroledger/chaincode-host';
import { generateOrganization, type OrgMaterial, type SigningIdentity } from '@metroledger/identity';
import { signLrSoftwareApproval } from '../approval';
import type { LrSoftwareApprovalFields, MeterModelApproval } from '../types';

export interface TestCaller {
  readonly label: string;
  readonly mspId: string;
  readonly idBytes: Uint8Array;
}

/** The columns of the access-control table (docs/GOVERNANCE.md), plus peers used by some rows. */
export interface TestCallers {
  inmetroAdmin: TestCaller;
  inmetroClient: TestCaller;
  inmetroPeer: TestCaller;
  lasigePeer: TestCaller;
  lasigeClient: TestCaller;
  pucprPeer: TestCaller;
  pucprClient: TestCaller;
  cetspClient: TestCaller;
  unknownAdmin: TestCaller;
  unknownPeer: TestCaller;
  unknownClient: TestCaller;
}

export const TABLE_COLUMNS = [
  'inmetroAdmin',
  'inmetroClient',
  'lasigePeer',
  'lasigeClient',
  'pucprPeer',
  'pucprClient',
  'cetspClient',
  'unknownPeer',
  'unknownClient',
] as const;
export type TableColumn = (typeof TABLE_COLUMNS)[number];

export interface TestOrgs {
  callers: TestCallers;
  /** The notified body's admin, who signs approvals. */
  inmetroAdmin: SigningIdentity;
  orgs: Record<'inmetro' | 'lasige' | 'pucpr' | 'cetsp' | 'unknown', OrgMaterial>;
}

let orgsPromise: Promise<TestOrgs> | undefined;

function caller(label: string, org: OrgMaterial, node: string): TestCaller {
  return { label, mspId: org.spec.mspId, idBytes: Buffer.from(org.node(node).sign.certPem) };
}

/** The organizations of the paper's scenario plus one outside the channel (generated once per process). */
export function testOrgs(): Promise<TestOrgs> {
  orgsPromise ??= (async () => {
    const [inmetro, lasige, pucpr, cetsp, unknown] = await Promise.all([
      generateOrganization({
        name: 'Inmetro',
        mspId: 'InmetroMSP',
        domain: 'inmetro.example.com',
        kind: 'peer',
        peers: ['peer0'],
        users: ['User1'],
      }),
      generateOrganization({
        name: 'LaSIGE',
        mspId: 'LaSIGEMSP',
        domain: 'lasige.example.com',
        kind: 'peer',
        peers: ['peer0'],
        users: ['User1'],
      }),
      generateOrganization({
        name: 'PUCPR',
        mspId: 'PUCPRMSP',
        domain: 'pucpr.example.com',
        kind: 'peer',
        peers: ['peer0'],
        users: ['User1'],
      }),
      generateOrganization({ name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', peers: [], users: ['User1'] }),
      generateOrganization({
        name: 'Rogue',
        mspId: 'RogueMSP',
        domain: 'rogue.example.com',
        kind: 'peer',
        peers: ['peer0'],
        users: ['User1'],
      }),
    ]);
    return {
      orgs: { inmetro, lasige, pucpr, cetsp, unknown },
      inmetroAdmin: inmetro.admin(),
      callers: {
        inmetroAdmin: caller('InmetroMSP admin', inmetro, 'Admin'),
        inmetroClient: caller('InmetroMSP client', inmetro, 'User1'),
        inmetroPeer: caller('InmetroMSP peer', inmetro, 'peer0'),
        lasigePeer: caller('LaSIGEMSP peer', lasige, 'peer0'),
        lasigeClient: caller('LaSIGEMSP client', lasige, 'User1'),
        pucprPeer: caller('PUCPRMSP peer', pucpr, 'peer0'),
        pucprClient: caller('PUCPRMSP client', pucpr, 'User1'),
        cetspClient: caller('CETSPMSP client', cetsp, 'User1'),
        unknownAdmin: caller('unknown org admin', unknown, 'Admin'),
        unknownPeer: caller('unknown org peer', unknown, 'peer0'),
        unknownClient: caller('unknown org client', unknown, 'User1'),
      },
    };
  })();
  return orgsPromise;
}

/** A package id for tests: label:sha256 of the text. */
export function testPackageId(label: string, text: string): string {
  return `${label}:${createHash('sha256').update(text).digest('hex')}`;
}

export const LR_POLICY = "AND('LaSIGEMSP.peer','PUCPRMSP.peer')";

export function lrFields(version: string, overrides: Partial<LrSoftwareApprovalFields> = {}): LrSoftwareApprovalFields {
  return {
    chaincodeName: 'lr',
    version,
    packageId: testPackageId(`lr_${version}`, `package of lr ${version}`),
    sourceSha256: testPackageId('x', `source of lr ${version}`).slice(2),
    endorsementPolicy: LR_POLICY,
    ...overrides,
  };
}

export function modelApproval(model: string, versions: string[], overrides: Partial<MeterModelApproval> = {}): MeterModelApproval {
  return {
    model,
    manufacturer: 'Metro Sensors Ltda.',
    chaincodeName: 'lr',
    approvedLrVersions: versions,
    certificateRef: `Portaria Inmetro ${model}`,
    ...overrides,
  };
}

/** Transaction n is timestamped BASE_SECONDS + n: after the test certificates' notBefore (now − 5 min). */
const BASE_SECONDS = Math.floor(Date.now() / 1000);

/** Namespaces compared by assertRejected. */
const NAMESPACES = ['governance', 'lr'];

/** Chaincodes hosted in-process on one world state, calling each other through invokeChaincode. */
export class TestNetwork {
  readonly state = new MemoryState();
  readonly chaincodes = new Map<string, HostedChaincode>();
  #tx = 0;

  constructor(modules: { name: string; version: string; dir: string }[]) {
    for (const m of modules) this.chaincodes.set(m.name, hostChaincodeModule({ ...m, resolveChaincode: (n) => this.chaincodes.get(n) }));
  }

  get lastTxId(): string {
    return `tx${this.#tx}`;
  }

  /** The timestamp (ISO) of the n-th transaction. */
  static txTime(n: number): string {
    return new Date((BASE_SECONDS + n) * 1000).toISOString();
  }

  static txSeconds(n: number): number {
    return BASE_SECONDS + n;
  }

  get txCount(): number {
    return this.#tx;
  }

  async invoke(cc: string, who: TestCaller, fn: string, ...args: string[]): Promise<ChaincodeResult> {
    const n = ++this.#tx;
    const chaincode = this.chaincodes.get(cc);
    if (chaincode === undefined) throw new Error(`no chaincode ${cc}`);
    return chaincode.invoke(
      {
        channelId: 'metrology',
        txId: `tx${n}`,
        args: [fn, ...args].map((a) => Buffer.from(a)),
        creator: { mspId: who.mspId, idBytes: who.idBytes },
        timestamp: { seconds: BASE_SECONDS + n, nanos: 0 },
      },
      this.state,
    );
  }

  /** Invokes, expects success, and commits every namespace's writes. */
  async submit(cc: string, who: TestCaller, fn: string, ...args: string[]): Promise<ChaincodeResult> {
    const r = await this.invoke(cc, who, fn, ...args);
    assert.equal(r.response.status, 200, `${fn} by ${who.label}: ${r.response.message}`);
    this.state.applyAll(r.rwsets, { blockNum: this.#tx, txNum: 0 });
    return r;
  }

  /** Invokes and parses the JSON result, expecting success. */
  async query<T>(cc: string, who: TestCaller, fn: string, ...args: string[]): Promise<T> {
    return payload<T>(await this.invoke(cc, who, fn, ...args));
  }

  snapshot(): string {
    return JSON.stringify(NAMESPACES.map((ns) => this.state.entries(ns)));
  }

  /** The transaction fails with `code`, writes nothing, and committing it would change nothing. */
  async assertRejected(cc: string, code: string, who: TestCaller, fn: string, ...args: string[]): Promise<ChaincodeResult> {
    const before = this.snapshot();
    const r = await this.invoke(cc, who, fn, ...args);
    assert.equal(r.response.status, 500, `${fn} by ${who.label} should fail with ${code}`);
    assert.ok(r.response.message.startsWith(`${code}: `), `${fn} by ${who.label}: expected ${code}, got: ${r.response.message}`);
    for (const rw of r.rwsets) assert.deepEqual(rw.writes, [], `${fn} by ${who.label} wrote to ${rw.namespace}`);
    this.state.applyAll(r.rwsets, { blockNum: this.#tx, txNum: 0 });
    assert.equal(this.snapshot(), before);
    return r;
  }

  /** Registers the paper's organizations, approves LR `versions` and a meter model running them. */
  async bootstrap(orgs: TestOrgs, opts: { versions?: string[]; model?: string } = {}): Promise<void> {
    const admin = orgs.callers.inmetroAdmin;
    for (const [mspId, name, roles] of [
      ['LaSIGEMSP', 'LaSIGE', ['COMPUTING_PROVIDER']],
      ['PUCPRMSP', 'PUCPR', ['COMPUTING_PROVIDER']],
      ['CETSPMSP', 'CET São Paulo', ['METER_OWNER']],
    ] as const) {
      await this.submit('governance', admin, 'registerOrganization', JSON.stringify({ mspId, name, roles }));
    }
    const versions = opts.versions ?? [];
    for (const v of versions) {
      await this.submit(
        'governance',
        admin,
        'approveLrSoftware',
        JSON.stringify(signLrSoftwareApproval(lrFields(v), signerOf(orgs.inmetroAdmin))),
      );
    }
    if (opts.model !== undefined)
      await this.submit('governance', admin, 'approveMeterModel', JSON.stringify(modelApproval(opts.model, versions)));
  }
}

export function signerOf(id: SigningIdentity): { mspId: string; certificatePem: string; sign(m: Uint8Array): Uint8Array } {
  return { mspId: id.mspId, certificatePem: id.certPem, sign: (m) => id.sign(m) };
}

export function payload<T>(r: ChaincodeResult): T {
  assert.equal(r.response.status, 200, r.response.message);
  return JSON.parse(Buffer.from(r.response.payload).toString()) as T;
}
