// SPDX-License-Identifier: Apache-2.0
// Test helpers: real Fabric endorser transactions and blocks built directly with fabric-protos.
import { createHash } from 'node:crypto';
import { common, ledger, peer, msp } from '@hyperledger/fabric-protos';
import { blockDataHash, blockHeaderHash } from '@metroledger/protocol';

export interface TestWrite {
  ns: string;
  key: string;
  value?: Uint8Array;
  isDelete?: boolean;
}

/** A small deterministic PRNG (mulberry32) so crash rounds and fixtures are reproducible. */
export function newRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testTxId(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}

const FAKE_CERT = new TextEncoder().encode(`-----BEGIN CERTIFICATE-----\n${'MIIC'.padEnd(560, 'A')}\n-----END CERTIFICATE-----\n`);

function serializedIdentity(mspId: string): Uint8Array {
  const id = new msp.SerializedIdentity();
  id.setMspid(mspId);
  id.setIdBytes(FAKE_CERT);
  return id.serializeBinary();
}

/**
 * An ENDORSER_TRANSACTION envelope whose ChaincodeAction.results carry `writes` (grouped by
 * namespace, in order). Signatures are filler bytes: the ledger does not verify them.
 */
export function newTestEnvelope(
  txId: string,
  writes: readonly TestWrite[],
  opts: { channelId?: string; chaincode?: string; endorsers?: number } = {},
): Uint8Array {
  const channelId = opts.channelId ?? 'devnet';
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.ENDORSER_TRANSACTION);
  ch.setChannelId(channelId);
  ch.setTxId(txId);
  const sh = new common.SignatureHeader();
  sh.setCreator(serializedIdentity('Org1MSP'));
  sh.setNonce(
    createHash('sha256')
      .update('nonce' + txId)
      .digest()
      .subarray(0, 24),
  );
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());

  const byNs = new Map<string, ledger.rwset.kvrwset.KVWrite[]>();
  for (const w of writes) {
    const kw = new ledger.rwset.kvrwset.KVWrite();
    kw.setKey(w.key);
    kw.setIsDelete(w.isDelete === true);
    if (w.isDelete !== true && w.value !== undefined) kw.setValue(w.value);
    let list = byNs.get(w.ns);
    if (list === undefined) byNs.set(w.ns, (list = []));
    list.push(kw);
  }
  const txRwset = new ledger.rwset.TxReadWriteSet();
  txRwset.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
  for (const [ns, ws] of byNs) {
    const kv = new ledger.rwset.kvrwset.KVRWSet();
    for (const kw of ws) {
      const read = new ledger.rwset.kvrwset.KVRead();
      read.setKey(kw.getKey());
      kv.addReads(read);
    }
    kv.setWritesList(ws);
    const nsRw = new ledger.rwset.NsReadWriteSet();
    nsRw.setNamespace(ns);
    nsRw.setRwset(kv.serializeBinary());
    txRwset.addNsRwset(nsRw);
  }
  const ccId = new peer.ChaincodeID();
  ccId.setName(opts.chaincode ?? 'lr');
  ccId.setVersion('1.0');
  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(new TextEncoder().encode('{"ok":true}'));
  const action = new peer.ChaincodeAction();
  action.setResults(txRwset.serializeBinary());
  action.setResponse(response);
  action.setChaincodeId(ccId);
  const prp = new peer.ProposalResponsePayload();
  prp.setProposalHash(createHash('sha256').update(txId).digest());
  prp.setExtension$(action.serializeBinary());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(prp.serializeBinary());
  for (let i = 0; i < (opts.endorsers ?? 2); i++) {
    const e = new peer.Endorsement();
    e.setEndorser(serializedIdentity(`Org${i + 1}MSP`));
    e.setSignature(createHash('sha512').update(`sig${i}${txId}`).digest().subarray(0, 71));
    endorsed.addEndorsements(e);
  }
  const cap = new peer.ChaincodeActionPayload();
  cap.setChaincodeProposalPayload(new Uint8Array(64));
  cap.setAction(endorsed);
  const ta = new peer.TransactionAction();
  ta.setHeader(header.getSignatureHeader_asU8());
  ta.setPayload(cap.serializeBinary());
  const tx = new peer.Transaction();
  tx.addActions(ta);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(tx.serializeBinary());
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  env.setSignature(
    createHash('sha512')
      .update('envsig' + txId)
      .digest()
      .subarray(0, 71),
  );
  return env.serializeBinary();
}

/** A block with correct data hash and a TRANSACTIONS_FILTER of `codes` (default all VALID). */
export function newTestBlock(number: number, previousHash: Uint8Array, envelopes: Uint8Array[], codes?: readonly number[]): common.Block {
  const header = new common.BlockHeader();
  header.setNumber(number);
  header.setPreviousHash(previousHash);
  header.setDataHash(blockDataHash(envelopes));
  const data = new common.BlockData();
  data.setDataList(envelopes);
  const md = new common.BlockMetadata();
  md.setMetadataList([
    new Uint8Array(0),
    new Uint8Array(0),
    Uint8Array.from(codes ?? envelopes.map(() => 0)),
    new Uint8Array(0),
    new Uint8Array(0),
  ]);
  const block = new common.Block();
  block.setHeader(header);
  block.setData(data);
  block.setMetadata(md);
  return block;
}

export function headerHashOf(block: common.Block): Uint8Array {
  const h = block.getHeader()!;
  return blockHeaderHash({ number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() });
}

/**
 * A chain generator: block n has `txPerBlock` transactions, each writing `writesPerTx` keys drawn
 * from a small key space (so keys get overwritten and deleted), with ~`valueBytes` values, and
 * some transactions marked invalid (their writes must not reach state).
 */
export class TestChain {
  #rng: () => number;
  #prev: Uint8Array = new Uint8Array(0);
  #next = 0;
  constructor(
    seed: number,
    readonly opts: {
      txPerBlock: number;
      /** If set, each block has 1..txPerBlockMax transactions. */ txPerBlockMax?: number;
      writesPerTx: number;
      valueBytes: number;
      keySpace: number;
      invalidEvery?: number;
      deleteEvery?: number;
    },
  ) {
    this.#rng = newRng(seed);
  }
  get nextNumber(): number {
    return this.#next;
  }
  /** Continue after an existing chain (e.g. a reopened ledger). */
  resume(height: number, lastHash: Uint8Array): void {
    this.#next = height;
    this.#prev = lastHash;
  }
  nextBlock(): common.Block {
    const n = this.#next;
    const envs: Uint8Array[] = [];
    const codes: number[] = [];
    const keys = ['plain', 'ação', '\u{1F600}emoji', '\uFFFDrepl', 'z', '\0composite\0a\0'];
    const txCount = this.opts.txPerBlockMax === undefined ? this.opts.txPerBlock : 1 + Math.floor(this.#rng() * this.opts.txPerBlockMax);
    for (let t = 0; t < txCount; t++) {
      const writes: TestWrite[] = [];
      for (let w = 0; w < this.opts.writesPerTx; w++) {
        const k = `${keys[Math.floor(this.#rng() * keys.length)]}-${Math.floor(this.#rng() * this.opts.keySpace)}`;
        const del = this.opts.deleteEvery !== undefined && Math.floor(this.#rng() * this.opts.deleteEvery) === 0;
        const value = new Uint8Array(this.opts.valueBytes);
        for (let i = 0; i < value.length; i += 64) value[i] = Math.floor(this.#rng() * 256);
        writes.push(
          del ? { ns: w % 2 === 0 ? 'lr' : '_meta', key: k, isDelete: true } : { ns: w % 2 === 0 ? 'lr' : '_meta', key: k, value },
        );
      }
      envs.push(newTestEnvelope(testTxId(`tx-${n}-${t}-${this.#rng()}`), writes));
      codes.push(
        this.opts.invalidEvery !== undefined && Math.floor(this.#rng() * this.opts.invalidEvery) === 0 ? 11 /* MVCC_READ_CONFLICT */ : 0,
      );
    }
    const block = newTestBlock(n, this.#prev, envs, codes);
    this.#prev = headerHashOf(block);
    this.#next = n + 1;
    return block;
  }
}
