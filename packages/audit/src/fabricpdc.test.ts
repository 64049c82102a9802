// SPDX-License-Identifier: Apache-2.0
// Real Hyperledger Fabric ledgers (3.0.0 and 2.5.12, Raft) of record.sh's private data scenario
// (testdata/fabric/README.md): a chaincode committed with a collections config in which `sealed` has
// an endorsement policy of its own, OR('InmetroMSP.peer'), and `open` has none, under the chaincode's
// AND('LaSIGEMSP.peer','PUCPRMSP.peer'). Fabric validated each private write against the collection's
// policy where it has one; the audit, reading the Collections field of the _lifecycle definition,
// must agree with every validation code Fabric wrote.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msp } from '@hyperledger/fabric-protos';
import {
  blockEnvelopes,
  decodeBlock,
  getTransactionFilter,
  parseEnvelope,
  setTransactionFilter,
  TxValidationCode,
} from '@metroledger/protocol';
import { ledgerDirectorySource, memorySource, resolveLedger, runAudit, type AuditReport } from './index';
import { PDC_FABRIC_FIXTURES, deliveredBlockDigests, unpackFabricFixture } from './testing/fabric';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-fabric-pdc-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const text = new TextDecoder();
const audit = async (source: Parameters<typeof runAudit>[0], workers = 0, toBlock?: number): Promise<AuditReport> =>
  (await runAudit(source, { workers, ...(toBlock === undefined ? {} : { toBlock }) })).report;
const codes = (r: AuditReport): [string, number][] => r.findings.map((f) => [f.code, f.blockNum]);

interface PdcTx {
  readonly block: number;
  /** The function and its arguments, space-separated. */
  readonly call: string;
  /** Who endorsed it (MSP ids, sorted). */
  readonly endorsers: string;
  /** The validation code Fabric's peer wrote. */
  readonly code: number;
}

/** The pdc chaincode's transactions, in ledger order, with the validation code the peer wrote. */
function pdcTransactions(blocks: readonly Uint8Array[]): PdcTx[] {
  const out: PdcTx[] = [];
  blocks.forEach((bytes, block) => {
    const decoded = decodeBlock(bytes);
    const filter = getTransactionFilter(decoded);
    blockEnvelopes(decoded).forEach((env, i) => {
      let tx;
      try {
        tx = parseEnvelope(env);
      } catch {
        return; // the genesis (config) block
      }
      if (tx.chaincodeName !== 'pdc') return;
      const endorsers = tx.endorsements.map((e) => msp.SerializedIdentity.deserializeBinary(e.endorser).getMspid()).sort();
      out.push({ block, call: tx.args.map((a) => text.decode(a)).join(' '), endorsers: endorsers.join(','), code: filter[i]! });
    });
  });
  return out;
}

/** The same block with transaction 0's validation code replaced. */
function withCode(bytes: Uint8Array, code: number): Uint8Array {
  const block = decodeBlock(bytes);
  const filter = getTransactionFilter(block).slice();
  filter[0] = code;
  setTransactionFilter(block, filter);
  return block.serializeBinary();
}

const { VALID, ENDORSEMENT_POLICY_FAILURE } = TxValidationCode;

for (const name of PDC_FABRIC_FIXTURES) {
  describe(`real Fabric ledger with a collection's own endorsement policy: ${name}`, () => {
    let dir: string;
    let blocks: Uint8Array[];
    before(async () => {
      dir = await unpackFabricFixture(name, join(root, name));
      blocks = [];
      for await (const sb of ledgerDirectorySource(dir).blocks(0)) blocks.push(sb.bytes);
    });

    test("holds what Fabric decided: a private write is held to its collection's policy where it has one", async () => {
      assert.deepEqual(
        blocks.map((b) => createHash('sha256').update(b).digest('hex')),
        await deliveredBlockDigests(name),
      );
      assert.deepEqual(
        pdcTransactions(blocks).map((t) => [t.block, t.call, t.endorsers, t.code]),
        [
          [5, 'putPrivate sealed reading-1', 'InmetroMSP', VALID], // the collection's policy only
          [6, 'putPrivate sealed reading-2', 'LaSIGEMSP,PUCPRMSP', ENDORSEMENT_POLICY_FAILURE], // the chaincode's only
          [7, 'putPrivate open reading-3', 'LaSIGEMSP,PUCPRMSP', VALID], // no policy of its own: the chaincode's
          [8, 'putPrivate open reading-4', 'InmetroMSP', ENDORSEMENT_POLICY_FAILURE],
          [9, 'putPrivate sealed reading-5', 'LaSIGEMSP', ENDORSEMENT_POLICY_FAILURE],
          [10, 'putPrivate byconfig reading-6', 'InmetroMSP,LaSIGEMSP,PUCPRMSP', VALID], // /Channel/Application/LifecycleEndorsement
          [11, 'putPrivate byconfig reading-7', 'LaSIGEMSP,PUCPRMSP', ENDORSEMENT_POLICY_FAILURE],
          [12, 'putPublic public-1 shown', 'LaSIGEMSP,PUCPRMSP', VALID],
          [13, 'putPrivate relative reading-8', 'LaSIGEMSP,PUCPRMSP', ENDORSEMENT_POLICY_FAILURE], // Application/InmetroMSP/Endorsement
          [14, 'putPrivate relative reading-9', 'InmetroMSP', VALID],
        ],
      );
    });

    test("passes with zero findings, and the report lists the collections' own policies read from _lifecycle", async () => {
      assert.equal(resolveLedger(dir).format, 'fabric');
      // To block 12: the writes to `relative` (blocks 13 and 14) are the next test's.
      const report = await audit(ledgerDirectorySource(dir), 0, 12);
      assert.deepEqual(report.findings, []);
      assert.equal(report.verdict, 'PASS');
      assert.deepEqual((await audit(ledgerDirectorySource(dir), 2, 12)).findings, [], 'with worker threads');
      // genesis; 3 approvals and a commit; 8 pdc transactions, 4 of them refused by the peers
      assert.deepEqual(
        [report.counts.blocks, report.counts.transactions, report.counts.validTransactions, report.counts.invalidTransactions],
        [13, 13, 9, 4],
      );
      assert.deepEqual(
        report.chaincodeDefinitions.map((d) => [d.name, d.sequence, d.version, d.policy]),
        [['pdc', 1, '1.0', "AND('LaSIGEMSP.peer', 'PUCPRMSP.peer')"]],
      );
      const own = report.chaincodeDefinitions[0]!.collectionPolicies!;
      // OR of one principal and AND of one are the same policy (1 of 1), printed as AND
      assert.equal(own['sealed'], "AND('InmetroMSP.peer')");
      assert.equal(own['byconfig'], "AND('InmetroMSP.peer', AND('LaSIGEMSP.peer', 'PUCPRMSP.peer'))");
      assert.equal(own['open'], undefined);
      assert.equal(report.policies['pdc']?.from, 'ledger');
    });

    test('passes with zero findings with a collection whose policy is a channel configuration policy by a path relative to /Channel', async () => {
      // Application/InmetroMSP/Endorsement: Fabric's policy manager resolves it under /Channel (the audit did not before).
      const report = await audit(ledgerDirectorySource(dir));
      assert.deepEqual(codes(report), []);
      assert.equal(report.verdict, 'PASS');
      assert.equal(report.counts.blocks, 15);
      assert.equal(report.chaincodeDefinitions[0]!.collectionPolicies!['relative'], "AND('InmetroMSP.peer')");
    });

    test("a write Fabric accepted under the collection's policy, marked refused, is one the audit finds valid", async () => {
      const forged = blocks.map((b, i) => (i === 5 ? withCode(b, ENDORSEMENT_POLICY_FAILURE) : b));
      const report = await audit(memorySource(forged), 0, 12);
      assert.deepEqual(codes(report), [['VALID_TX_MARKED_INVALID', 5]]);
      assert.equal(report.verdict, 'PASS_WITH_WARNINGS');
    });

    test("a write endorsed under the chaincode's policy only, marked VALID, fails the collection's policy", async () => {
      const forged = blocks.map((b, i) => (i === 6 ? withCode(b, VALID) : b));
      const report = await audit(memorySource(forged), 0, 12);
      assert.deepEqual(codes(report), [['ENDORSEMENT_POLICY_FAILURE', 6]]);
      assert.match(report.findings[0]!.message, /InmetroMSP/);
    });
  });
}
