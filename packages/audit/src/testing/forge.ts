// SPDX-License-Identifier: Apache-2.0
// Test kit: writes a real ledger directory (the @metroledger/ledger block store) block by block from
// transactions built the way a Fabric network builds them: client-signed proposals, the real LR
// chaincode simulated in-process, endorsements signed by the computing providers' peers, blocks
// signed by the orderer. Its hooks let a test play the attacker who controls enough endorsers:
// alter the simulation result and still sign it, simulate against a doctored state, choose who
// endorses, and record any validation code in the block.
process.env['CORE_CHAINCODE_LOGGING_LEVEL'] ??= 'error';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { contracts, LrKeyTypes } from '@metroledger/chaincode';
import { contracts as governanceContracts, signLrSoftwareApproval } from '@metroledger/governance';
import { hostContracts, MemoryState, type ChaincodeResult, type HostedChaincode, type StateReader } from '@metroledger/chaincode-host';
import { generateOrganization, type OrgMaterial } from '@metroledger/identity';
import { Ledger } from '@metroledger/ledger';
import { encodeSignedReading, type LoopGeometry } from '@metroledger/lr';
import { generateEvent, Meter, newRng, type Rng } from '@metroledger/meter';
import {
  compositeKey,
  newBlock,
  newGenesisBlock,
  newProposalResponse,
  newTransactionEnvelope,
  parseSignedProposal,
  setTransactionFilter,
  signBlock,
} from '@metroledger/protocol';
// Deep import of protocol's test helper (it builds proposals exactly as fabric-gateway does).
import { newTestSignedProposal } from '@metroledger/protocol/testing/proposal';

export const CHANNEL = 'metrology';
export const LR_POLICY = "AND('LaSIGEMSP.peer','PUCPRMSP.peer')";
export const GOVERNANCE_POLICY = "OR('InmetroMSP.peer')";
export const MODEL = 'ML-1';
export const GEOMETRY: LoopGeometry = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 2000 };

const ORG_SPECS = [
  { name: 'Inmetro', mspId: 'InmetroMSP', domain: 'inmetro.example.com', kind: 'peer' as const, peers: ['peer0'], users: ['User1'] },
  { name: 'LaSIGE', mspId: 'LaSIGEMSP', domain: 'lasige.example.com', kind: 'peer' as const, peers: ['peer0'], users: ['User1'] },
  { name: 'PUCPR', mspId: 'PUCPRMSP', domain: 'pucpr.example.com', kind: 'peer' as const, peers: ['peer0'], users: ['User1'] },
  { name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer' as const, peers: [], users: ['User1'] },
  { name: 'Orderer', mspId: 'OrdererMSP', domain: 'orderer.example.com', kind: 'orderer' as const, orderers: ['orderer0'] },
];

let orgCache: Promise<Map<string, OrgMaterial>> | undefined;

/** The five organizations of the default network (generated once per process). */
export function forgeOrgs(): Promise<Map<string, OrgMaterial>> {
  orgCache ??= Promise.all(ORG_SPECS.map((s) => generateOrganization(s))).then((list) => new Map(list.map((o) => [o.spec.mspId, o])));
  return orgCache;
}

export interface InvokeOptions {
  /** Chaincode to invoke. Default 'lr'. Another name (e.g. Fabric's `_lifecycle`) needs `result`. */
  readonly chaincode?: string;
  /** The simulation result to endorse, instead of running a hosted chaincode. */
  readonly result?: ChaincodeResult;
  /** The caller: User1 (default), Admin or peer0 of the invoking organization. */
  readonly user?: 'User1' | 'Admin' | 'peer0';
  /** MSP ids of the peers that endorse. Default: both computing providers (InmetroMSP for governance). */
  readonly endorsers?: readonly string[];
  /** Colluding endorsers: change the simulation result before signing it. */
  readonly mutate?: (r: ChaincodeResult) => ChaincodeResult;
  /** Simulate against a doctored state: key (in the LR namespace) -> value, or null for absent. */
  readonly override?: ReadonlyMap<string, Uint8Array | null>;
  /** Validation code written to the block's filter. Default VALID (0). */
  readonly code?: number;
  /** Apply the writes to the forge's state even though the code is not VALID (or not when it is). */
  readonly applyWrites?: boolean;
}

class OverrideState implements StateReader {
  constructor(
    private readonly base: StateReader,
    private readonly ns: string,
    private readonly override: ReadonlyMap<string, Uint8Array | null>,
  ) {}
  async get(namespace: string, key: string) {
    if (namespace === this.ns && this.override.has(key)) {
      const v = this.override.get(key);
      return v === null || v === undefined ? undefined : { value: v, version: { blockNum: 0, txNum: 0 } };
    }
    return this.base.get(namespace, key);
  }
  range(namespace: string, startKey: string, endKey: string) {
    return this.base.range(namespace, startKey, endKey);
  }
}

export const meterKey = (meterId: string): string => compositeKey(LrKeyTypes.METER, [meterId]);
export const meterStateKey = (meterId: string): string => compositeKey(LrKeyTypes.METER_STATE, [meterId]);

export class ForgedLedger {
  readonly dir: string;
  readonly orgs: Map<string, OrgMaterial>;
  readonly ledger: Ledger;
  readonly state = new MemoryState();
  readonly #chaincodes = new Map<string, HostedChaincode>();
  readonly rng: Rng;
  #pending: { envelope: Uint8Array; code: number }[] = [];
  #clockMs = Math.floor(Date.now() / 1000) * 1000;

  private constructor(dir: string, orgs: Map<string, OrgMaterial>, ledger: Ledger) {
    this.dir = dir;
    this.orgs = orgs;
    this.ledger = ledger;
    const resolveChaincode = (n: string): HostedChaincode | undefined => this.#chaincodes.get(n);
    this.#chaincodes.set('lr', hostContracts({ name: 'lr', version: '1.0', contracts: [...contracts], resolveChaincode }));
    this.#chaincodes.set(
      'governance',
      hostContracts({ name: 'governance', version: '1.0', contracts: [...governanceContracts], resolveChaincode }),
    );
    this.rng = newRng('forge');
  }

  /** The forge's clock (ms): each invocation advances it 1 s; readings are captured 500 ms after it. */
  get clockMs(): number {
    return this.#clockMs;
  }

  /** A new ledger in `<dir>/ledger` with the genesis block committed. */
  static async create(dir: string): Promise<ForgedLedger> {
    const orgs = await forgeOrgs();
    await mkdir(dir, { recursive: true });
    const ledger = await Ledger.open(join(dir, 'ledger'));
    const genesis = newGenesisBlock({
      channelId: CHANNEL,
      applicationOrgs: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP', 'CETSPMSP'].map((m) => orgs.get(m)!.mspConfig()),
      ordererOrgs: [orgs.get('OrdererMSP')!.mspConfig()],
      batch: { maxMessageCount: 100, preferredMaxBytes: 1 << 20, absoluteMaxBytes: 1 << 22, batchTimeoutMs: 100 },
      consensus: { type: 'solo' },
    });
    setTransactionFilter(genesis, [0]);
    await ledger.commit(genesis);
    const forge = new ForgedLedger(dir, orgs, ledger);
    await forge.#bootstrapGovernance();
    return forge;
  }

  /** The notified body's registry: organizations, LR 1.0 approved under LR_POLICY, model ML-1 approved with it. */
  async #bootstrapGovernance(): Promise<void> {
    const gov = { chaincode: 'governance', user: 'Admin' } as const;
    for (const [mspId, name, roles] of [
      ['LaSIGEMSP', 'LaSIGE', ['COMPUTING_PROVIDER']],
      ['PUCPRMSP', 'PUCPR', ['COMPUTING_PROVIDER']],
      ['CETSPMSP', 'CETSP', ['METER_OWNER']],
    ] as const) {
      await this.invoke('InmetroMSP', ['registerOrganization', JSON.stringify({ mspId, name, roles })], gov);
    }
    const admin = this.orgs.get('InmetroMSP')!.admin();
    const approval = signLrSoftwareApproval(
      {
        chaincodeName: 'lr',
        version: '1.0',
        packageId: `lr_1.0:${'ab'.repeat(32)}`,
        sourceSha256: 'cd'.repeat(32),
        endorsementPolicy: LR_POLICY,
      },
      { mspId: 'InmetroMSP', certificatePem: admin.certPem, sign: (m) => admin.sign(m) },
    );
    await this.invoke('InmetroMSP', ['approveLrSoftware', JSON.stringify(approval)], gov);
    await this.invoke(
      'InmetroMSP',
      [
        'approveMeterModel',
        JSON.stringify({
          model: MODEL,
          manufacturer: 'Metro Sensors Ltda.',
          chaincodeName: 'lr',
          approvedLrVersions: ['1.0'],
          certificateRef: 'Portaria Inmetro ML-1',
        }),
      ],
      gov,
    );
    await this.cut();
  }

  /** Simulates `args` as `userMsp`'s User1, endorses and queues the transaction for the next block. */
  async invoke(userMsp: string, args: readonly string[], opts: InvokeOptions = {}): Promise<{ txId: string; result: ChaincodeResult }> {
    const cc = opts.chaincode ?? 'lr';
    const user = this.orgs.get(userMsp)!.signingIdentity(opts.user ?? 'User1');
    this.#clockMs += 1000;
    const { bytes } = newTestSignedProposal(user, {
      channelId: CHANNEL,
      chaincodeName: cc,
      args: [...args],
      timestamp: { seconds: Math.floor(this.#clockMs / 1000), nanos: 0 },
    });
    const p = parseSignedProposal(bytes);
    const state = opts.override === undefined ? this.state : new OverrideState(this.state, 'lr', opts.override);
    let result =
      opts.result ??
      (await this.#chaincodes.get(cc)!.invoke(
        {
          channelId: CHANNEL,
          txId: p.txId,
          args: p.args,
          creator: { mspId: userMsp, idBytes: Buffer.from(user.certPem) },
          timestamp: p.timestamp,
        },
        state,
      ));
    if (result.response.status !== 200) throw new Error(`simulation failed: ${result.response.message}`);
    if (opts.mutate !== undefined) result = opts.mutate(result);
    const endorsers = opts.endorsers ?? (cc === 'lr' ? ['LaSIGEMSP', 'PUCPRMSP'] : ['InmetroMSP']);
    const responses = endorsers.map((m) =>
      newProposalResponse(p, result, { name: cc, version: '1.0' }, this.orgs.get(m)!.signingIdentity('peer0')),
    );
    const env = common.Envelope.deserializeBinary(newTransactionEnvelope(p, responses));
    env.setSignature(user.sign(env.getPayload_asU8()));
    const code = opts.code ?? 0;
    const apply = (opts.applyWrites ?? code === 0) && opts.result === undefined;
    this.#pending.push({ envelope: env.serializeBinary(), code });
    // Later simulations in the same block see this transaction's writes (the forge does not model MVCC).
    if (apply) this.state.apply(cc, result.rwset, { blockNum: this.ledger.height, txNum: this.#pending.length - 1 });
    return { txId: p.txId, result };
  }

  /** Queues an envelope built elsewhere (e.g. a configuration transaction) for the next block. */
  enqueue(envelope: Uint8Array, code = 0): void {
    this.#pending.push({ envelope, code });
  }

  /** Orders the queued transactions into the next block, signed by the orderer, and commits it. */
  async cut(opts: { lastConfigIndex?: number } = {}): Promise<number> {
    const num = this.ledger.height;
    const block = newBlock(
      num,
      this.ledger.lastHeaderHash,
      this.#pending.map((t) => t.envelope),
    );
    setTransactionFilter(
      block,
      this.#pending.map((t) => t.code),
    );
    signBlock(block, this.orgs.get('OrdererMSP')!.signingIdentity('orderer0'), { lastConfigIndex: opts.lastConfigIndex ?? 0 });
    this.#pending = [];
    await this.ledger.commit(block);
    return num;
  }

  newMeter(meterId: string, geometry: LoopGeometry = GEOMETRY): Meter {
    return Meter.create({ meterId, geometry });
  }

  async registerMeter(meter: Meter, extra: Partial<{ lat: number; lon: number; speedLimitKmh: number }> = {}): Promise<string> {
    const registration = {
      meterId: meter.meterId,
      ownerMspId: 'CETSPMSP',
      publicKeyPem: meter.publicKeyPem,
      geometry: meter.geometry,
      location: { text: 'Av. Paulista 1000, São Paulo', lat: extra.lat ?? -23.56, lon: extra.lon ?? -46.65 },
      speedLimitKmh: extra.speedLimitKmh ?? 60,
      model: MODEL,
    };
    return (await this.invoke('InmetroMSP', ['registerMeter', JSON.stringify(registration)])).txId;
  }

  /** A signed reading of a passing vehicle, base64 as submitReading takes it. */
  reading(meter: Meter, opts: { speedKmh?: number; captureTimeMs?: number } = {}): string {
    const ev = generateEvent(this.rng, {
      geometry: meter.geometry,
      scenario: 'valid',
      ...(opts.speedKmh === undefined ? {} : { speedKmh: opts.speedKmh }),
    });
    const signed = meter.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: opts.captureTimeMs ?? this.#clockMs + 500 });
    return Buffer.from(encodeSignedReading(signed)).toString('base64');
  }

  async submit(signedReadingB64: string, opts: InvokeOptions = {}): Promise<{ txId: string; result: ChaincodeResult }> {
    return this.invoke('CETSPMSP', ['submitReading', signedReadingB64], opts);
  }

  close(): Promise<void> {
    return this.ledger.close();
  }
}
