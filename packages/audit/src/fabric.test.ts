// SPDX-License-Identifier: Apache-2.0
// Real Hyperledger Fabric ledgers (2.5.12 Raft, 3.0.0 Raft, 3.0.0 SmartBFT with 4 consenters),
// recorded from a peer's own files (testdata/fabric/README.md): _lifecycle approvals and commits,
// governance and LR transactions, a channel configuration update and one transaction the peers
// refused. Each passes with zero findings, read from the peer's block files; each tampering fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blockEnvelopes,
  decodeBlock,
  getTransactionFilter,
  parseEnvelope,
  setTransactionFilter,
  TxValidationCode,
} from '@metroledger/protocol';
import { governancePlugin, ledgerDirectorySource, memorySource, parseCheckpoint, resolveLedger, runAudit, type AuditReport } from './index';
import { FABRIC_FIXTURES, deliveredBlockDigests, extractLr110Module, unpackFabricFixture, type FabricFixture } from './testing/fabric';

let root: string;
/**
 * LR 1.1.0, which ran these recordings, from the committed package (these ledgers approve a
 * placeholder code digest, so it is given as an unverified module): the tests hold whatever LR
 * version the auditor bundles.
 */
let lr110: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-fabric-'));
  lr110 = await extractLr110Module(join(root, 'lr-1.1.0'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const text = new TextDecoder();
let unpacked = 0;
const unpack = async (name: FabricFixture): Promise<string> => unpackFabricFixture(name, join(root, `${name}-${unpacked++}`));
const audit = async (source: Parameters<typeof runAudit>[0], workers = 0): Promise<AuditReport> =>
  (await runAudit(source, { plugins: [governancePlugin()], workers, lrModules: [lr110] })).report;

/** The blocks of a recorded ledger as common.Block bytes, read from the peer's block file. */
async function blocksOf(name: FabricFixture): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const sb of ledgerDirectorySource(await unpack(name)).blocks(0)) out.push(sb.bytes);
  return out;
}

/** Where a transaction calls a function, by its name (args[0]) and chaincode. */
function findTx(blocks: readonly Uint8Array[], chaincode: string, fn: string, nth = 0): { block: number; tx: number } {
  let seen = 0;
  for (let b = 0; b < blocks.length; b++) {
    const envs = blockEnvelopes(decodeBlock(blocks[b]!));
    for (let t = 0; t < envs.length; t++) {
      try {
        const tx = parseEnvelope(envs[t]!);
        if (tx.chaincodeName === chaincode && tx.args[0] !== undefined && text.decode(tx.args[0]) === fn && seen++ === nth)
          return { block: b, tx: t };
      } catch {
        // a config transaction
      }
    }
  }
  throw new Error(`no ${chaincode}.${fn} #${nth}`);
}

function withFilter(bytes: Uint8Array, change: (codes: Uint8Array) => void): Uint8Array {
  const block = decodeBlock(bytes);
  const codes = getTransactionFilter(block).slice();
  change(codes);
  setTransactionFilter(block, codes);
  return block.serializeBinary();
}

/** The same bytes with one occurrence of `from` replaced by `to` (same length, so every length prefix still holds). */
function replaceOnce(bytes: Uint8Array, from: string | Uint8Array, to: string | Uint8Array): Uint8Array {
  const buf = Buffer.from(bytes);
  const f = typeof from === 'string' ? Buffer.from(from) : Buffer.from(from);
  const t = typeof to === 'string' ? Buffer.from(to) : Buffer.from(to);
  assert.equal(f.length, t.length);
  const at = buf.indexOf(f);
  assert.ok(at >= 0, `${f.toString('hex')} not found`);
  t.copy(buf, at);
  return buf;
}

const codes = (r: AuditReport): [string, number][] => r.findings.map((f) => [f.code, f.blockNum]);

for (const name of FABRIC_FIXTURES) {
  describe(`real Fabric ledger: ${name}`, () => {
    test("passes with zero findings, read offline from the peer's block files; policies come from _lifecycle", async () => {
      const dir = await unpack(name);
      assert.equal(resolveLedger(dir).format, 'fabric');
      const report = await audit(ledgerDirectorySource(dir));
      assert.deepEqual(report.findings, []);
      assert.equal(report.verdict, 'PASS');
      assert.equal(report.consensus, name.endsWith('bft') ? 'BFT (4 consenters)' : 'etcdraft');
      // block 0 genesis; 6 approvals and 2 commits; 5 governance, 2 meters, 5 readings; one refused; a config update; one reading
      assert.deepEqual(
        [report.counts.blocks, report.counts.transactions, report.counts.validTransactions, report.counts.invalidTransactions],
        [24, 24, 23, 1],
      );
      assert.deepEqual(
        [report.counts.readings, report.counts.measurements, report.counts.refusals, report.counts.reexecuted],
        [6, 5, 1, 6],
      );
      assert.deepEqual(
        report.lrSoftware.map((u) => [u.from, u.version, u.verified, u.readings]),
        [['module', '1.1.0', false, 6]],
      );
      assert.equal(report.meters, 2);
      assert.deepEqual(
        report.declaredHeights.map((d) => d.height),
        [24],
      );
      assert.deepEqual(
        report.chaincodeDefinitions.map((d) => [d.name, d.sequence, d.version, d.policy]),
        [
          ['governance', 1, '1.0', "AND('InmetroMSP.peer')"],
          ['lr', 1, '1.0', "AND('LaSIGEMSP.peer', 'PUCPRMSP.peer')"],
        ],
      );
      for (const cc of ['_lifecycle', 'governance', 'lr']) assert.equal(report.policies[cc]?.from, 'ledger', cc);
      assert.match(report.policies['lr']!.by, /_lifecycle definition, sequence 1/);
      assert.match(report.policies['_lifecycle']!.by, /LifecycleEndorsement/);
      assert.deepEqual(
        report.configUpdates.map((u) => [u.sequence, u.changed, u.signers]),
        [[1, ['[Value] /Channel/Orderer/BatchTimeout'], ['OrdererMSP/Admin@orderer.example.com']]],
      );
    });

    test("the block file reads as exactly the blocks the peer's Deliver served", async () => {
      const digests = (await blocksOf(name)).map((b) => createHash('sha256').update(b).digest('hex'));
      assert.deepEqual(digests, await deliveredBlockDigests(name));
    });

    test('a daily run from the checkpoint finds nothing new and keeps the chaincode definitions and the configuration', async () => {
      const dir = await unpack(name);
      const first = await runAudit(ledgerDirectorySource(dir), {
        plugins: [governancePlugin()],
        workers: 0,
        toBlock: 20,
        lrModules: [lr110],
      });
      assert.deepEqual(first.report.findings, []);
      const checkpoint = parseCheckpoint(JSON.parse(JSON.stringify(first.checkpoint)));
      const { report } = await runAudit(ledgerDirectorySource(dir), {
        plugins: [governancePlugin()],
        workers: 0,
        checkpoint,
        lrModules: [lr110],
      });
      assert.deepEqual(report.findings, []);
      assert.deepEqual([report.fromBlock, report.toBlock, report.configUpdates.length, report.chaincodeDefinitions.length], [21, 23, 1, 2]);
    });
  });
}

describe('real Fabric ledger, tampered (fabric-3.0-bft)', () => {
  const name: FabricFixture = 'fabric-3.0-bft';
  let blocks: Uint8Array[];
  before(async () => {
    blocks = await blocksOf(name);
  });

  test('a transaction the peers refused (one endorsement) marked VALID fails its endorsement policy', async () => {
    const refused = blocks.findIndex((b) => getTransactionFilter(decodeBlock(b))[0] === TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    assert.ok(refused > 0);
    const forged = blocks.map((b, i) => (i === refused ? withFilter(b, (c) => (c[0] = TxValidationCode.VALID)) : b));
    const report = await audit(memorySource(forged));
    assert.deepEqual(codes(report), [['ENDORSEMENT_POLICY_FAILURE', refused]]);
    assert.match(report.findings[0]!.message, /LaSIGEMSP/);
  });

  test('without the committed definition of lr (its commit marked invalid), no lr transaction has a policy', async () => {
    const commit = findTx(blocks, '_lifecycle', 'CommitChaincodeDefinition', 1).block;
    const forged = blocks.map((b, i) => (i === commit ? withFilter(b, (c) => (c[0] = TxValidationCode.MVCC_READ_CONFLICT)) : b));
    const report = await audit(memorySource(forged));
    assert.equal(report.verdict, 'FAIL');
    const unknown = report.findings.filter((f) => f.code === 'UNKNOWN_CHAINCODE');
    assert.equal(unknown.length, 8, JSON.stringify(codes(report))); // 2 registrations, 6 readings marked VALID
    assert.ok(unknown.every((f) => f.blockNum > commit));
  });

  test('an altered approval (approveformyorg) is caught: its endorsement no longer verifies', async () => {
    const { block } = findTx(blocks, '_lifecycle', 'ApproveChaincodeDefinitionForMyOrg', 2);
    const env = blockEnvelopes(decodeBlock(blocks[block]!))[0]!;
    const tx = parseEnvelope(env);
    const hash = tx.rwsets.find((rw) => rw.namespace === '_lifecycle')!.collections![0]!.writes[0]!.keyHash;
    const altered = Buffer.from(hash);
    altered[0] ^= 0xff;
    const forged = blocks.map((b, i) => (i === block ? replaceOnce(b, hash, altered) : b));
    const report = await audit(memorySource(forged));
    // The hash is in the payload the organization's admin signed, and in what its peer endorsed.
    assert.deepEqual(codes(report), [
      ['DATA_HASH_MISMATCH', block],
      ['BAD_CREATOR_SIGNATURE', block],
      ['BAD_ENDORSEMENT_SIGNATURE', block],
    ]);
  });

  test('a configuration update altered after it was ordered is not authorized', async () => {
    const config = blocks.findIndex((b, i) => i > 0 && Buffer.from(b).includes('50ms'));
    const forged = blocks.map((b, i) => (i === config ? replaceOnce(b, '50ms', '90ms') : b));
    const report = await audit(memorySource(forged));
    assert.ok(
      codes(report).some(([c, n]) => c === 'CONFIG_UPDATE_UNAUTHORIZED' && n === config),
      JSON.stringify(codes(report)),
    );
    assert.equal(report.configUpdates.length, 0);
  });

  test("a peer ledger whose block file lost its tail fails against the peer's own index", async () => {
    const dir = await unpack(name);
    const file = join(dir, 'ledgersData', 'chains', 'chains', 'metrology', 'blockfile_000000');
    const size = (await readFile(file)).length;
    await truncate(file, size - 100);
    const report = await audit(ledgerDirectorySource(dir));
    assert.deepEqual(codes(report), [
      ['BLOCK_FILE_DAMAGED', 23],
      ['BLOCK_MISSING', 23],
    ]);
  });

  test("a damaged record in the middle of a peer's block file is reported and the blocks after it are audited", async () => {
    const dir = await unpack(name);
    const file = join(dir, 'ledgersData', 'chains', 'chains', 'metrology', 'blockfile_000000');
    const bytes = Buffer.from(await readFile(file));
    // Records are varint(length) | block; block 10's record starts after blocks 0..9.
    let offset = 0;
    for (let n = 0; n < 10; n++) {
      let len = 0;
      let shift = 0;
      let b: number;
      do {
        b = bytes[offset++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b >= 0x80);
      offset += len;
    }
    bytes[offset] = 0xff; // the length varint now runs on: the record cannot be framed
    bytes[offset + 1] = 0xff;
    await writeFile(file, bytes);
    const report = await audit(ledgerDirectorySource(dir));
    assert.equal(report.verdict, 'FAIL');
    assert.deepEqual(codes(report).slice(0, 2), [
      ['BLOCK_FILE_DAMAGED', 10],
      ['BLOCK_MISSING', 10],
    ]);
    assert.equal(report.toBlock, 23);
    assert.equal(report.counts.blocks, 23);
  });
});
