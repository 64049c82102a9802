// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { blockContents, decodeBlock, type StateUpdate } from './blockparse';
import { LedgerError } from './errors';
import { newTestBlock, newTestEnvelope, TestChain, testTxId } from './testing/blocks';

/** The same derivation written with full google-protobuf decoding, as the reference. */
function referenceUpdates(block: common.Block): { txIds: string[]; updates: StateUpdate[] } {
  const num = block.getHeader()!.getNumber();
  const filter = block.getMetadata()!.getMetadataList_asU8()[2]!;
  const txIds: string[] = [];
  const updates: StateUpdate[] = [];
  block
    .getData()!
    .getDataList_asU8()
    .forEach((env, txNum) => {
      const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(env).getPayload_asU8());
      const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
      txIds.push(ch.getTxId());
      if (filter[txNum] !== 0) return;
      const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
      const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0]!.getPayload_asU8());
      const prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction()!.getProposalResponsePayload_asU8());
      const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(
        peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()).getResults_asU8(),
      );
      for (const ns of rwset.getNsRwsetList()) {
        for (const w of ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8()).getWritesList()) {
          const base = { ns: ns.getNamespace(), key: w.getKey(), isDelete: w.getIsDelete(), version: { blockNum: num, txNum } };
          updates.push(w.getIsDelete() ? base : { ...base, value: w.getValue_asU8() });
        }
      }
    });
  return { txIds, updates };
}

const plain = (us: readonly StateUpdate[]) =>
  us.map((u) => ({ ...u, value: u.value === undefined ? undefined : Buffer.from(u.value).toString('hex') }));

test('writes derived from a block equal a full google-protobuf decoding (deletes, invalid txs, non-ASCII keys)', () => {
  const chain = new TestChain(7, {
    txPerBlock: 1,
    txPerBlockMax: 30,
    writesPerTx: 3,
    valueBytes: 50,
    keySpace: 20,
    invalidEvery: 3,
    deleteEvery: 4,
  });
  let sawInvalid = false;
  let sawDelete = false;
  for (let i = 0; i < 20; i++) {
    const block = chain.nextBlock();
    const bytes = block.serializeBinary();
    const got = blockContents(decodeBlock(bytes));
    const want = referenceUpdates(block);
    assert.deepEqual(plain(got.updates), plain(want.updates));
    assert.deepEqual(
      got.txIndex.map((e) => e.txId),
      want.txIds,
    );
    assert.deepEqual(
      got.txIndex.map((e) => e.code),
      [...block.getMetadata()!.getMetadataList_asU8()[2]!],
    );
    sawInvalid ||= got.txIndex.some((e) => e.code !== 0);
    sawDelete ||= got.updates.some((u) => u.isDelete);
  }
  assert.ok(sawInvalid && sawDelete, 'fixture covers invalid transactions and deletes');
});

test('a parsed common.Block and its bytes decode the same', () => {
  const block = new TestChain(1, { txPerBlock: 3, writesPerTx: 2, valueBytes: 10, keySpace: 5 }).nextBlock();
  const a = decodeBlock(block);
  const b = decodeBlock(block.serializeBinary());
  assert.equal(a.number, b.number);
  assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
  assert.deepEqual(plain(blockContents(a).updates), plain(blockContents(b).updates));
});

test('a block without TRANSACTIONS_FILTER is refused for state, indexed as NOT_VALIDATED otherwise', () => {
  const block = newTestBlock(0, new Uint8Array(0), [newTestEnvelope(testTxId('a'), [{ ns: 'lr', key: 'k', value: Uint8Array.of(1) }])]);
  block.getMetadata()!.setMetadataList([]);
  const d = decodeBlock(block.serializeBinary());
  assert.throws(
    () => blockContents(d),
    (e: unknown) => e instanceof LedgerError && e.code === 'MISSING_TX_FILTER',
  );
  assert.deepEqual(blockContents(d, false).txIndex, [{ txId: testTxId('a'), code: 254 }]);
});

test('a VALID transaction that does not parse makes the block MALFORMED_BLOCK; an invalid one is tolerated', () => {
  const good = newTestEnvelope(testTxId('g'), [{ ns: 'lr', key: 'k', value: Uint8Array.of(1) }]);
  const junk = Uint8Array.of(0x0a, 0xff, 0x01); // payload field claiming 255 bytes
  assert.throws(
    () => blockContents(decodeBlock(newTestBlock(0, new Uint8Array(0), [good, junk], [0, 0]).serializeBinary())),
    (e: unknown) => e instanceof LedgerError && e.code === 'MALFORMED_BLOCK' && e.details?.['txNum'] === 1,
  );
  const ok = blockContents(decodeBlock(newTestBlock(0, new Uint8Array(0), [good, junk], [0, 1]).serializeBinary()));
  assert.deepEqual(ok.txIndex, [
    { txId: testTxId('g'), code: 0 },
    { txId: '', code: 1 },
  ]);
  assert.equal(ok.updates.length, 1);
});

test('garbage bytes are MALFORMED_BLOCK, not a crash', () => {
  assert.throws(
    () => decodeBlock(Uint8Array.of(0xff, 0xff, 0xff)),
    (e: unknown) => e instanceof LedgerError && e.code === 'MALFORMED_BLOCK',
  );
});
