// SPDX-License-Identifier: Apache-2.0
// Each chaincode's endorsement policy, and its history, come from the ledger: the `_lifecycle`
// definitions a Fabric channel commits (each one under the channel's LifecycleEndorsement), and the
// channel configuration, whose updates must be authorized by the policies they change.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common, orderer } from '@hyperledger/fabric-protos';
import { formatPolicy, parsePolicy } from '@metroledger/policy';
import { blockEnvelopes, decodeBlock, parseEnvelope, TxValidationCode } from '@metroledger/protocol';
import { governancePlugin, ledgerDirectorySource, runAudit, type AuditReport } from './index';
import { ForgedLedger, GOVERNANCE_POLICY, LR_POLICY } from './testing/forge';
import { configTransaction, lifecycleCommitResult, setConfigValue } from './testing/fabric';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-lifecycle-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

// The forged ledgers start as the devnet's do (governance's policy in the network configuration);
// once _lifecycle defines chaincodes, as on Fabric, only its definitions count.
const audit = async (dir: string): Promise<AuditReport> =>
  (
    await runAudit(ledgerDirectorySource(dir), {
      policies: { lr: LR_POLICY, governance: GOVERNANCE_POLICY },
      plugins: [governancePlugin()],
      workers: 0,
    })
  ).report;
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
