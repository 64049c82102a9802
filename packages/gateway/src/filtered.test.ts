// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { common, peer } from '@hyperledger/fabric-protos';
import { newBlock, parseEnvelope, setTransactionFilter } from '@metroledger/protocol';
import { buildTransaction, rw, testNetwork } from '@metroledger/protocol/testing/validation';
import { envelopeHeader } from './access.js';
import { filteredBlockFromBytes } from './filtered.js';

/** The filtered block decoded the straightforward way (google-protobuf objects, full envelope parse): the reference. */
function referenceFilteredBlock(block: common.Block, channelId: string): peer.FilteredBlock {
  const fb = new peer.FilteredBlock();
  fb.setChannelId(channelId);
  fb.setNumber(block.getHeader()?.getNumber() ?? 0);
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  fb.setFilteredTransactionsList(
    (block.getData()?.getDataList_asU8() ?? []).map((envelope, i) => {
      const ft = new peer.FilteredTransaction();
      ft.setTxValidationCode(
        (filter?.[i] ?? peer.TxValidationCode.NOT_VALIDATED) as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap],
      );
      try {
        const tx = parseEnvelope(envelope);
        ft.setTxid(tx.txId);
        ft.setType(tx.type as common.HeaderTypeMap[keyof common.HeaderTypeMap]);
        if (tx.event !== undefined) {
          const ev = new peer.ChaincodeEvent();
          ev.setChaincodeId(tx.event.chaincodeId);
          ev.setTxId(tx.event.txId);
          ev.setEventName(tx.event.eventName);
          const action = new peer.FilteredChaincodeAction();
          action.setChaincodeEvent(ev);
          const actions = new peer.FilteredTransactionActions();
          actions.addChaincodeActions(action);
          ft.setTransactionActions(actions);
        }
      } catch {
        try {
          const h = envelopeHeader(common.Envelope.deserializeBinary(envelope));
          if (h !== undefined) {
            ft.setTxid(h.txId);
            ft.setType(h.type as common.HeaderTypeMap[keyof common.HeaderTypeMap]);
          }
        } catch {
          // nothing readable
        }
      }
      return ft;
    }),
  );
  return fb;
}

test('filtered blocks from bytes equal the fully decoded ones: tx ids, types, codes, events without payload, unreadable envelopes', async () => {
  const net = await testNetwork();
  const client = net.org1.signingIdentity('User1');
  const endorsers = [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')];
  const withEvent = buildTransaction({
    client,
    endorsers,
    rwsets: [rw('lr', { a: null }, { a: 'x' })],
    event: { name: 'Measurement', payload: Buffer.from('{"speed":51}') },
  });
  const plain = buildTransaction({ client, endorsers, rwsets: [rw('lr', {}, { b: 'y' })] });
  const garbage = Uint8Array.of(0x0a, 0x05, 1, 2);
  const headerOnly = common.Envelope.deserializeBinary(plain.envelope);
  const payload = common.Payload.deserializeBinary(headerOnly.getPayload_asU8());
  payload.setData(Uint8Array.of(0xff, 0xff)); // the transaction itself does not parse
  headerOnly.setPayload(payload.serializeBinary());
  const envelopes = [withEvent.envelope, plain.envelope, garbage, headerOnly.serializeBinary(), withEvent.envelope];
  const block = newBlock(7, new Uint8Array(32), envelopes);
  setTransactionFilter(block, [0, 11, 1, 2, 9]);

  const fast = filteredBlockFromBytes(block.serializeBinary(), 'mychannel');
  assert.deepEqual(fast.toObject(), referenceFilteredBlock(block, 'mychannel').toObject());
  assert.equal(fast.getNumber(), 7);
  const first = fast.getFilteredTransactionsList()[0]!;
  assert.equal(first.getTxid(), withEvent.txId);
  assert.equal(first.getTransactionActions()?.getChaincodeActionsList()[0]?.getChaincodeEvent()?.getEventName(), 'Measurement');
  assert.equal(first.getTransactionActions()?.getChaincodeActionsList()[0]?.getChaincodeEvent()?.getPayload_asU8().length, 0);
  assert.deepEqual(
    fast.getFilteredTransactionsList().map((t) => t.getTxValidationCode()),
    [0, 11, 1, 2, 9],
  );

  // a block without a TRANSACTIONS_FILTER reports NOT_VALIDATED
  const unfiltered = newBlock(8, new Uint8Array(32), [plain.envelope]);
  assert.deepEqual(
    filteredBlockFromBytes(unfiltered.serializeBinary(), 'mychannel').toObject(),
    referenceFilteredBlock(unfiltered, 'mychannel').toObject(),
  );
});
