// SPDX-License-Identifier: Apache-2.0
// Each chaincode's endorsement policy, and its history, come from the ledger: the `_lifecycle`
// definitions a Fabric channel commits (each one under the channel's LifecycleEndorsement), and the
// channel configuration, whose updates must be authorized by the policies they change; and the
// private data collections of a definition, each write to one held to the collection's own policy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common, orderer } from '@hyperledger/fabric-protos';
import { formatPolicy, parsePolicy } from '@metroledger/policy';
import type { ChaincodeResult } from '@metroledger/chaincode-host';
import { blockEnvelopes, decodeBlock, parseCollectionsConfig, parseEnvelope, TxValidationCode } from '@metroledger/protocol';
import {
  formatAuditText,
  governancePlugin,
  ledgerDirectorySource,
  parseCheckpoint,
  runAudit,
  type AuditCheckpoint,
  type AuditReport,
} from './index';
import { ForgedLedger, GOVERNANCE_POLICY, LR_POLICY } from './testing/forge';
import { configTransaction, lifecycleCommitResult, setConfigValue, type DefinitionField } from './testing/fabric';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-lifecycle-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

// The forged ledgers start as the devnet's do (governance's policy in the network configuration);
// once _lifecycle defines chaincodes, as on Fabric, only its definitions count.
const auditRun = (dir: string, more: { toBlock?: number; checkpoint?: AuditCheckpoint } = {}): ReturnType<typeof runAudit> =>
  runAudit(ledgerDirectorySource(dir), {
    policies: { lr: LR_POLICY, governance: GOVERNANCE_POLICY },
    plugins: [governancePlugin()],
    workers: 0,
    ...more,
  });
const audit = async (dir: string): Promise<AuditReport> => (await auditRun(dir)).report;
const codes = (r: AuditReport): [string, number][] => r.findings.map((f) => [f.code, f.blockNum]);
const PROVIDERS = ['LaSIGEMSP', 'PUCPRMSP'];
const PEERS = ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'];

/** CommitChaincodeDefinition of `lr` as the notified body's admin submits it, endorsed by `endorsers`' peers. */
async function define(f: ForgedLedger, sequence: number, policy: string, endorsers = PEERS, code = 0): Promise<number> {
  await f.invoke('InmetroMSP', ['CommitChaincodeDefinition', `lr ${sequence}`], {
    chaincode: '_lifecycle',
    user: 'Admin',
    result: lifecycleCommitResult('lr', sequence, '1.0', policy),
    endorsers,
    code,
  });
  return f.cut();
}

describe('chaincode definitions from _lifecycle', () => {
  test('each definition governs the transactions after it; one committed without the LifecycleEndorsement majority does not', async () => {
    const f = await ForgedLedger.create(join(root, 'history'));
    const m = f.newMeter('SP-0001');
    await f.registerMeter(m);
    await f.cut();
    // Sequence 1: any one computing provider, weaker than what the notified body approved for lr 1.0.
    const d1 = await define(f, 1, "OR('LaSIGEMSP.peer')");
    await f.submit(f.reading(m), { endorsers: ['LaSIGEMSP'] });
    const ok = await f.cut();
    // Sequence 2: both providers, as approved; a reading endorsed by one of them is then refused.
    const d2 = await define(f, 2, "AND('LaSIGEMSP.peer', 'PUCPRMSP.peer')");
    await f.submit(f.reading(m), { endorsers: ['LaSIGEMSP'] });
    const weak = await f.cut();
    // Sequence 3, endorsed by the notified body's peer alone (1 of 4 organizations), marked VALID anyway.
    const d3 = await define(f, 3, "OR('InmetroMSP.peer')", ['InmetroMSP']);
    await f.submit(f.reading(m), { endorsers: ['InmetroMSP'] });
    const afterForged = await f.cut();
    await f.submit(f.reading(m), { endorsers: PROVIDERS });
    await f.cut();
    await f.close();

    const report = await audit(f.dir);
    assert.deepEqual(codes(report), [
      ['POLICY_NOT_APPROVED', d1],
      ['ENDORSEMENT_POLICY_FAILURE', weak],
      ['ENDORSEMENT_POLICY_FAILURE', d3],
      ['ENDORSEMENT_POLICY_FAILURE', afterForged],
    ]);
    assert.ok(ok > d1);
    assert.deepEqual(
      report.chaincodeDefinitions.map((d) => [d.sequence, d.policy, d.blockNum]),
      [
        [1, formatPolicy(parsePolicy("OR('LaSIGEMSP.peer')")), d1],
        [2, formatPolicy(parsePolicy("AND('LaSIGEMSP.peer', 'PUCPRMSP.peer')")), d2],
      ],
    );
    assert.match(report.findings[2]!.message, /InmetroMSP.*do not satisfy/);
    assert.equal(report.policies['lr']?.from, 'ledger');
  });

  test('a chaincode definition commit marked invalid by the peers defines nothing', async () => {
    const f = await ForgedLedger.create(join(root, 'invalid-commit'));
    const m = f.newMeter('SP-0001');
    await f.registerMeter(m);
    await f.cut();
    await define(f, 1, "AND('LaSIGEMSP.peer', 'PUCPRMSP.peer')");
    const refused = await define(f, 2, "OR('LaSIGEMSP.peer')", PEERS, TxValidationCode.MVCC_READ_CONFLICT);
    await f.submit(f.reading(m), { endorsers: ['LaSIGEMSP'] });
    const weak = await f.cut();
    await f.close();
    const report = await audit(f.dir);
    assert.deepEqual(codes(report), [['ENDORSEMENT_POLICY_FAILURE', weak]]);
    assert.ok(refused < weak);
  });
});

describe('channel configuration updates', () => {
  test('an update signed as its mod_policy requires is applied; one signed by others, or changing a value without a new version, is not', async () => {
    const f = await ForgedLedger.create(join(root, 'config'));
    const genesis = decodeBlock(await f.ledger.getBlock(0));
    let config = common.ConfigEnvelope.deserializeBinary(parseEnvelope(blockEnvelopes(genesis)[0]!).configEnvelope!).getConfig()!;
    const orderer0 = f.orgs.get('OrdererMSP')!.signingIdentity('orderer0');
    const timeout = (t: string): Uint8Array => {
      const bt = new orderer.BatchTimeout();
      bt.setTimeout(t);
      return bt.serializeBinary();
    };
    const update = async (t: string, signers: Parameters<typeof configTransaction>[3], bump = true): Promise<number> => {
      const env = configTransaction(
        'metrology',
        config,
        (next) => setConfigValue(next, ['Orderer'], 'BatchTimeout', timeout(t), bump),
        signers,
        orderer0,
      );
      f.enqueue(env);
      const n = await f.cut({ lastConfigIndex: f.ledger.height });
      return n;
    };
    // /Channel/Orderer/BatchTimeout: mod_policy Admins of the Orderer group = MAJORITY Admins of the orderer organizations.
    const good = await update('250ms', [f.orgs.get('OrdererMSP')!.admin()]);
    config = common.ConfigEnvelope.deserializeBinary(
      parseEnvelope(blockEnvelopes(decodeBlock(await f.ledger.getBlock(good)))[0]!).configEnvelope!,
    ).getConfig()!;
    const byClient = await update('1s', [f.orgs.get('CETSPMSP')!.signingIdentity('User1'), f.orgs.get('InmetroMSP')!.admin()]);
    const noVersion = await update('2s', [f.orgs.get('OrdererMSP')!.admin()], false);
    // Blocks go on under the configuration in force.
    const m = f.newMeter('SP-0001');
    await f.registerMeter(m);
    await f.cut();
    await f.close();

    const report = await audit(f.dir);
    assert.deepEqual(codes(report), [
      ['CONFIG_UPDATE_UNAUTHORIZED', byClient],
      ['CONFIG_UPDATE_UNAUTHORIZED', noVersion],
    ]);
    assert.match(
      report.findings[0]!.message,
      /BatchTimeout changed, but the update's signatures \(CETSPMSP\/User1@cetsp.example.com, InmetroMSP\/Admin@inmetro.example.com\) do not satisfy its mod_policy Admins/,
    );
    assert.match(report.findings[1]!.message, /BatchTimeout changed without a new version/);
    assert.deepEqual(
      report.configUpdates.map((u) => [u.blockNum, u.sequence, u.changed]),
      [[good, 1, ['[Value] /Channel/Orderer/BatchTimeout']]],
    );
  });
});

describe('private data collections of a chaincode definition', () => {
  const PDC_POLICY = "AND('LaSIGEMSP.peer', 'PUCPRMSP.peer')";
  // Fabric's collections_config.json: own policies by signature and by channel-config reference, and none.
  const COLLECTIONS = parseCollectionsConfig([
    {
      name: 'notarized',
      policy: "OR('InmetroMSP.member', 'LaSIGEMSP.member', 'PUCPRMSP.member')",
      endorsementPolicy: { signaturePolicy: "OR('InmetroMSP.peer')" },
    },
    {
      name: 'channelwide',
      policy: "OR('InmetroMSP.member', 'LaSIGEMSP.member', 'PUCPRMSP.member')",
      endorsementPolicy: { channelConfigPolicy: '/Channel/Application/Endorsement' }, // MAJORITY Endorsement: 3 of the 4 organizations
    },
    { name: 'plain', policy: "OR('LaSIGEMSP.member', 'PUCPRMSP.member')" },
    {
      name: 'unresolved',
      policy: "OR('InmetroMSP.member')",
      endorsementPolicy: { channelConfigPolicy: '/Channel/Application/NoSuchPolicy' }, // nobody can satisfy it
    },
  ]);
  const sha256 = (s: string): Uint8Array => createHash('sha256').update(s).digest();

  /** What a chaincode `pdc` simulation writes: each key in its collection (hashes only, as the block holds them), and `publicKey` in its namespace. */
  function pdcResult(collections: readonly string[], publicKey?: string): ChaincodeResult {
    const rwset = {
      namespace: 'pdc',
      reads: [],
      rangeQueries: [],
      writes: publicKey === undefined ? [] : [{ key: publicKey, isDelete: false, value: new Uint8Array([1]) }],
      collections: collections.map((collection) => ({
        collection,
        reads: [],
        writes: [{ keyHash: sha256(`${collection}-key`), isDelete: false, valueHash: sha256('value') }],
        pvtRwSetHash: sha256(`${collection}-rwset`),
      })),
    };
    return { response: { status: 200, message: '', payload: new Uint8Array(0) }, rwset, rwsets: [rwset] };
  }

  /** A transaction of `pdc` in a block of its own, endorsed by `endorsers`' peers and marked `code` by the peers. */
  async function put(
    f: ForgedLedger,
    collections: readonly string[],
    endorsers: readonly string[],
    code = 0,
    publicKey?: string,
  ): Promise<number> {
    await f.invoke('CETSPMSP', ['putPrivate', collections.join(',')], {
      chaincode: 'pdc',
      result: pdcResult(collections, publicKey),
      endorsers,
      code,
    });
    return f.cut();
  }

  async function definePdc(f: ForgedLedger, sequence: number, fields?: readonly DefinitionField[]): Promise<number> {
    await f.invoke('InmetroMSP', ['CommitChaincodeDefinition', `pdc ${sequence}`], {
      chaincode: '_lifecycle',
      user: 'Admin',
      result: lifecycleCommitResult('pdc', sequence, '1.0', PDC_POLICY, {
        collections: COLLECTIONS,
        ...(fields !== undefined && { fields }),
      }),
      endorsers: PEERS,
    });
    return f.cut();
  }

  const F = TxValidationCode.ENDORSEMENT_POLICY_FAILURE;

  test("a write to a collection with its own policy is held to it instead of the chaincode's; the chaincode's holds for the others and for public writes", async () => {
    const f = await ForgedLedger.create(join(root, 'collections'));
    await definePdc(f, 1);
    const valid = [
      await put(f, ['notarized'], ['InmetroMSP']), // the collection's policy alone: valid on Fabric
      await put(f, ['notarized'], PROVIDERS, F),
      await put(f, ['channelwide'], PEERS),
      await put(f, ['plain'], PROVIDERS),
      await put(f, ['notarized', 'plain'], ['InmetroMSP', ...PROVIDERS]),
    ];
    const notarizedByChaincodePolicy = await put(f, ['notarized'], PROVIDERS); // marked VALID: the collection's policy does not hold
    const channelwideByTwo = await put(f, ['channelwide'], PROVIDERS); // 2 of 4 organizations
    const plainByInmetro = await put(f, ['plain'], ['InmetroMSP']);
    const withPublic = await put(f, ['notarized'], ['InmetroMSP'], 0, 'public-key'); // a public write needs the chaincode's policy too
    const noSuchCollection = await put(f, ['images'], PROVIDERS);
    // An upgrade that changes only the sequence (Fabric's serializer writes no unchanged field) keeps the collections.
    await definePdc(f, 2, ['Sequence']);
    valid.push(await put(f, ['notarized'], ['InmetroMSP']));
    await f.close();

    const report = await audit(f.dir);
    assert.deepEqual(codes(report), [
      ['ENDORSEMENT_POLICY_FAILURE', notarizedByChaincodePolicy],
      ['ENDORSEMENT_POLICY_FAILURE', channelwideByTwo],
      ['ENDORSEMENT_POLICY_FAILURE', plainByInmetro],
      ['ENDORSEMENT_POLICY_FAILURE', withPublic],
      ['ENDORSEMENT_POLICY_FAILURE', noSuchCollection],
    ]);
    assert.ok(valid.every((b) => !report.findings.some((x) => x.blockNum === b)));
    const inmetro = formatPolicy(parsePolicy("OR('InmetroMSP.peer')"));
    assert.ok(report.findings[0]!.message.endsWith(`do not satisfy ${inmetro}`), report.findings[0]!.message);
    assert.ok(report.findings[3]!.message.endsWith(`do not satisfy ${inmetro} and ${formatPolicy(parsePolicy(PDC_POLICY))}`));
    assert.match(report.findings[4]!.message, /writes private data collection images, which chaincode pdc's definition does not have/);
    // The report names each collection's own policy, for every definition (the upgrade kept them).
    assert.deepEqual(
      report.chaincodeDefinitions.filter((d) => d.name === 'pdc').map((d) => [d.sequence, Object.keys(d.collectionPolicies ?? {})]),
      [
        [1, ['notarized', 'channelwide', 'unresolved']],
        [2, ['notarized', 'channelwide', 'unresolved']],
      ],
    );
    assert.equal(report.chaincodeDefinitions[0]!.collectionPolicies!['notarized'], inmetro);
    // A policy nobody can satisfy says why.
    assert.match(report.chaincodeDefinitions[0]!.collectionPolicies!['unresolved']!, /NoSuchPolicy \(not in the channel configuration\)/);
    assert.match(
      formatAuditText(report),
      /pdc sequence 1 \(version 1\.0\) .*, collection notarized .*, collection channelwide .* at block/,
    );
  });

  test('a checkpoint keeps the collections; one written before the audit read them restores, its collections unknown (the chaincode policy, as then)', async () => {
    const f = await ForgedLedger.create(join(root, 'collections-checkpoint'));
    const defined = await definePdc(f, 1);
    // The ledger stays open, as a running peer's would: the audit reads its files beside it.
    const first = await auditRun(f.dir, { toBlock: defined });
    assert.equal(first.report.verdict, 'PASS', JSON.stringify(first.report.findings));
    const stored = JSON.parse(JSON.stringify(first.checkpoint)) as AuditCheckpoint;
    assert.ok(stored.lifecycle!.definitions.every((d) => typeof d.collections === 'string'));
    // An older audit's checkpoint: definitions without the field.
    const old = JSON.parse(JSON.stringify(stored), (k, v: unknown) => (k === 'collections' ? undefined : v)) as AuditCheckpoint;

    const byInmetro = await put(f, ['notarized'], ['InmetroMSP']);
    const noSuchCollection = await put(f, ['images'], PROVIDERS);
    await f.close();

    const resumed = await auditRun(f.dir, { checkpoint: parseCheckpoint(stored) });
    assert.deepEqual(codes(resumed.report), [['ENDORSEMENT_POLICY_FAILURE', noSuchCollection]]);
    const fromOld = await auditRun(f.dir, { checkpoint: parseCheckpoint(old) });
    assert.deepEqual(codes(fromOld.report), [['ENDORSEMENT_POLICY_FAILURE', byInmetro]]);
    assert.ok(fromOld.report.findings[0]!.message.endsWith(`do not satisfy ${formatPolicy(parsePolicy(PDC_POLICY))}`));
  });
});
