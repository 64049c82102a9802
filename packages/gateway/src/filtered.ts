// SPDX-License-Identifier: Apache-2.0
// Filtered blocks straight from block bytes. A filtered block needs, per transaction, its tx id,
// header type, validation code and chaincode event name: a walk over the protobuf wire format
// reaches them without decoding the block into google-protobuf objects, nor each envelope's
// read/write sets and endorsements (clients that learn commits from filtered blocks ask for every block).
import { common, peer } from '@hyperledger/fabric-protos';
import { field, fields } from './wire.js';

const utf8 = new TextDecoder('utf-8');

interface TxHeader {
  readonly type: number;
  readonly txId: string;
}

function txHeader(envelope: Uint8Array): TxHeader {
  const header = field(field(envelope, 1), 1); // Envelope.payload -> Payload.header
  let type = 0;
  let txId = '';
  for (const f of fields(field(header, 1))) {
    // ChannelHeader: type = 1, tx_id = 5
    if (f.field === 1) type = f.value;
    else if (f.field === 5) txId = utf8.decode(f.bytes);
  }
  return { type, txId };
}

/** The chaincode event of an endorser transaction (name set), without its payload; undefined if none or unreadable. */
function chaincodeEvent(envelope: Uint8Array): peer.ChaincodeEvent | undefined {
  // Envelope.payload -> Payload.data = Transaction; its single action: TransactionAction.payload =
  // ChaincodeActionPayload -> .action -> .proposal_response_payload -> .extension = ChaincodeAction -> .events
  const data = field(field(envelope, 1), 2);
  const actions = [...fields(data)].filter((f) => f.field === 1);
  if (actions.length !== 1) return undefined;
  const cap = field(actions[0]!.bytes, 2);
  const ccAction = field(field(field(cap, 2), 1), 2);
  const events = field(ccAction, 2);
  if (events.length === 0) return undefined;
  let chaincodeId = '';
  let txId = '';
  let eventName = '';
  for (const f of fields(events)) {
    if (f.field === 1) chaincodeId = utf8.decode(f.bytes);
    else if (f.field === 2) txId = utf8.decode(f.bytes);
    else if (f.field === 3) eventName = utf8.decode(f.bytes);
  }
  if (eventName === '') return undefined;
  const ev = new peer.ChaincodeEvent();
  ev.setChaincodeId(chaincodeId);
  ev.setTxId(txId);
  ev.setEventName(eventName);
  return ev;
}

/**
 * A block as Fabric's filtered deliver shows it: number, and per transaction its tx id, type,
 * validation code (TRANSACTIONS_FILTER) and chaincode event without payload. An envelope that
 * does not parse appears with what could be read of it.
 * @throws Error if the block bytes themselves do not parse.
 */
export function filteredBlockFromBytes(blockBytes: Uint8Array, channelId: string): peer.FilteredBlock {
  let number = 0;
  let envelopes: Uint8Array[] = [];
  let filter: Uint8Array | undefined;
  for (const f of fields(blockBytes)) {
    if (f.field === 1) {
      // BlockHeader.number = 1
      for (const h of fields(f.bytes)) if (h.field === 1) number = h.value;
    } else if (f.field === 2) {
      envelopes = [...fields(f.bytes)].filter((d) => d.field === 1).map((d) => d.bytes);
    } else if (f.field === 3) {
      const md = [...fields(f.bytes)].filter((m) => m.field === 1);
      filter = md[common.BlockMetadataIndex.TRANSACTIONS_FILTER]?.bytes;
    }
  }
  const fb = new peer.FilteredBlock();
  fb.setChannelId(channelId);
  fb.setNumber(number);
  fb.setFilteredTransactionsList(
    envelopes.map((envelope, i) => {
      const ft = new peer.FilteredTransaction();
      ft.setTxValidationCode(
        (filter?.[i] ?? peer.TxValidationCode.NOT_VALIDATED) as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap],
      );
      let h: TxHeader;
      try {
        h = txHeader(envelope);
      } catch {
        return ft;
      }
      ft.setTxid(h.txId);
      ft.setType(h.type as common.HeaderTypeMap[keyof common.HeaderTypeMap]);
      if (h.type !== common.HeaderType.ENDORSER_TRANSACTION) return ft;
      let ev: peer.ChaincodeEvent | undefined;
      try {
        ev = chaincodeEvent(envelope);
      } catch {
        ev = undefined;
      }
      if (ev !== undefined) {
        const action = new peer.FilteredChaincodeAction();
        action.setChaincodeEvent(ev);
        const actions = new peer.FilteredTransactionActions();
        actions.addChaincodeActions(action);
        ft.setTransactionActions(actions);
      }
      return ft;
    }),
  );
  return fb;
}
