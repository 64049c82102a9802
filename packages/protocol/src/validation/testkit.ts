// SPDX-License-Identifier: Apache-2.0
// Test support (not part of the public API): real organizations and endorsed transaction envelopes
// built field by field, so tests can also build the malformed ones.
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import {
  generateOrganization,
  IdentityDeserializer,
  issueIdentity,
  MspRegistry,
  SigningIdentity,
  type OrgMaterial,
} from '@metroledger/identity';
import { parsePolicy } from '@metroledger/policy';
import type { NsReadWriteSet } from '../rwset/types.js';
import { encodeTxReadWriteSet } from '../transaction/rwset.js';
import type { ValidationContext } from './validate.js';

type Timestamp = NonNullable<Parameters<common.ChannelHeader['setTimestamp']>[0]>;
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb.js') as { Timestamp: new () => Timestamp };

export interface TestNetwork {
  readonly org1: OrgMaterial;
  readonly org2: OrgMaterial;
  readonly ordererOrg: OrgMaterial;
  /** An organization the channel does not know. */
  readonly outsider: OrgMaterial;
}

let cached: Promise<TestNetwork> | undefined;

/** Two peer orgs, an orderer org and an unknown org, generated once per process. */
export function testNetwork(): Promise<TestNetwork> {
  cached ??= (async () => {
    const [org1, org2, ordererOrg, outsider] = await Promise.all([
      generateOrganization({
        name: 'Org1',
        mspId: 'Org1MSP',
        domain: 'org1.example.com',
        kind: 'peer',
        peers: ['peer0'],
        users: ['User1'],
      }),
      generateOrganization({
        name: 'Org2',
        mspId: 'Org2MSP',
        domain: 'org2.example.com',
        kind: 'peer',
        peers: ['peer0'],
        users: ['User1'],
      }),
      generateOrganization({
        name: 'Orderer',
        mspId: 'OrdererMSP',
        domain: 'example.com',
        kind: 'orderer',
        orderers: ['orderer0', 'orderer1', 'orderer2', 'orderer3'],
      }),
      generateOrganization({
        name: 'Evil',
        mspId: 'EvilMSP',
        domain: 'evil.example.com',
        kind: 'peer',
        peers: ['peer0'],
        users: ['User1'],
      }),
    ]);
    return { org1, org2, ordererOrg, outsider };
  })();
  return cached;
}

/**
 * A member of `org` whose certificate lived from 4 to 1 minutes ago (test CAs exist since 5 minutes
 * ago): valid at commit, refused wherever a request enters the network.
 */
export async function expiredIdentity(org: OrgMaterial, commonName: string, role: 'client' | 'peer' | 'orderer'): Promise<SigningIdentity> {
  const now = Date.now();
  const pem = await issueIdentity(org, { commonName, role, notBefore: new Date(now - 4 * 60_000), notAfter: new Date(now - 60_000) });
  return new SigningIdentity(org.spec.mspId, pem.certPem, createPrivateKey(pem.keyPem));
}

/** A validation context for channel `mychannel` with policy AND(Org1.peer, Org2.peer) on every chaincode except 'undefined-cc'. */
export function testContext(net: TestNetwork, opts: { committed?: Set<string>; policy?: string } = {}): ValidationContext {
  const msps = new MspRegistry([net.org1.mspConfig(), net.org2.mspConfig(), net.ordererOrg.mspConfig()]);
  const policy = parsePolicy(opts.policy ?? "AND('Org1MSP.peer','Org2MSP.peer')");
  const committed = opts.committed ?? new Set<string>();
  return {
    channelId: 'mychannel',
    deserializer: new IdentityDeserializer(),
    msps,
    endorsementPolicy: (cc) => (cc === 'undefined-cc' ? undefined : policy),
    isCommittedTxId: (txId) => committed.has(txId),
  };
}

export interface TxSpec {
  readonly client: SigningIdentity;
  readonly endorsers: readonly SigningIdentity[];
  readonly rwsets: readonly NsReadWriteSet[];
  readonly channelId?: string;
  readonly chaincodeName?: string;
  readonly args?: readonly string[];
  readonly event?: { name: string; payload: Uint8Array };
  /** Override the computed tx id. */
  readonly txId?: string;
  readonly nonce?: Uint8Array;
  /** Sign the envelope with this identity instead of the client (creator stays the client). */
  readonly envelopeSigner?: SigningIdentity;
  /** Make endorsement i sign something else. */
  readonly badEndorsement?: number;
}

export interface BuiltTx {
  readonly envelope: Uint8Array;
  readonly txId: string;
}

/** An endorsed ENDORSER_TRANSACTION envelope, laid out as the Fabric gateway builds it. */
export function buildTransaction(spec: TxSpec): BuiltTx {
  const channelId = spec.channelId ?? 'mychannel';
  const cc = spec.chaincodeName ?? 'lr';
  const creator = spec.client.serialize();
  const nonce = spec.nonce ?? randomBytes(24);
  const txId = spec.txId ?? createHash('sha256').update(nonce).update(creator).digest('hex');

  const ccId = new peer.ChaincodeID();
  ccId.setName(cc);
  const ext = new peer.ChaincodeHeaderExtension();
  ext.setChaincodeId(ccId);
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.ENDORSER_TRANSACTION);
  ch.setChannelId(channelId);
  ch.setTxId(txId);
  const ts = new Timestamp();
  ts.setSeconds(Math.floor(Date.now() / 1000));
  ch.setTimestamp(ts);
  ch.setExtension$(ext.serializeBinary());
  const chBytes = ch.serializeBinary();
  const sh = new common.SignatureHeader();
  sh.setCreator(creator);
  sh.setNonce(nonce);
  const shBytes = sh.serializeBinary();

  const input = new peer.ChaincodeInput();
  input.setArgsList((spec.args ?? ['submitReading', 'x']).map((a) => Buffer.from(a)));
  const cspec = new peer.ChaincodeSpec();
  cspec.setChaincodeId(ccId);
  cspec.setInput(input);
  const cis = new peer.ChaincodeInvocationSpec();
  cis.setChaincodeSpec(cspec);
  const cpp = new peer.ChaincodeProposalPayload();
  cpp.setInput(cis.serializeBinary());
  const cppBytes = cpp.serializeBinary();

  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(Buffer.from('ok'));
  const action = new peer.ChaincodeAction();
  action.setResults(encodeTxReadWriteSet(spec.rwsets));
  if (spec.event !== undefined) {
    const ev = new peer.ChaincodeEvent();
    ev.setChaincodeId(cc);
    ev.setTxId(txId);
    ev.setEventName(spec.event.name);
    ev.setPayload(spec.event.payload);
    action.setEvents(ev.serializeBinary());
  }
  action.setResponse(response);
  const actionCcId = new peer.ChaincodeID();
  actionCcId.setName(cc);
  actionCcId.setVersion('1.0');
  action.setChaincodeId(actionCcId);
  const prp = new peer.ProposalResponsePayload();
  prp.setProposalHash(createHash('sha256').update(chBytes).update(shBytes).update(cppBytes).digest());
  prp.setExtension$(action.serializeBinary());
  const prpBytes = prp.serializeBinary();

  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(prpBytes);
  endorsed.setEndorsementsList(
    spec.endorsers.map((e, i) => {
      const en = new peer.Endorsement();
      const endorser = e.serialize();
      en.setEndorser(endorser);
      const msg = Buffer.concat([prpBytes, endorser]);
      en.setSignature(e.sign(i === spec.badEndorsement ? Buffer.concat([msg, Buffer.from('x')]) : msg));
      return en;
    }),
  );
  const cap = new peer.ChaincodeActionPayload();
  cap.setChaincodeProposalPayload(cppBytes);
  cap.setAction(endorsed);
  const ta = new peer.TransactionAction();
  ta.setHeader(shBytes);
  ta.setPayload(cap.serializeBinary());
  const tx = new peer.Transaction();
  tx.setActionsList([ta]);

  const header = new common.Header();
  header.setChannelHeader(chBytes);
  header.setSignatureHeader(shBytes);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(tx.serializeBinary());
  const payloadBytes = payload.serializeBinary();
  const env = new common.Envelope();
  env.setPayload(payloadBytes);
  env.setSignature((spec.envelopeSigner ?? spec.client).sign(payloadBytes));
  return { envelope: env.serializeBinary(), txId };
}

/** An rwset in namespace `ns` that reads `reads` (key -> version or absent) and writes `writes`. */
export function rw(
  ns: string,
  reads: Record<string, { blockNum: number; txNum: number } | null>,
  writes: Record<string, string | null>,
): NsReadWriteSet {
  return {
    namespace: ns,
    reads: Object.entries(reads).map(([key, v]) => (v === null ? { key } : { key, version: v })),
    rangeQueries: [],
    writes: Object.entries(writes).map(([key, v]) =>
      v === null ? { key, isDelete: true, value: new Uint8Array(0) } : { key, isDelete: false, value: Buffer.from(v) },
    ),
  };
}

/** msp.SerializedIdentity bytes with an arbitrary MSP id and certificate. */
export function serializedIdentity(mspId: string, certPem: string): Uint8Array {
  const si = new msp.SerializedIdentity();
  si.setMspid(mspId);
  si.setIdBytes(Buffer.from(certPem));
  return si.serializeBinary();
}
