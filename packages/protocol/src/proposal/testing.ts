// SPDX-License-Identifier: Apache-2.0
// Builds SignedProposals the way @hyperledger/fabric-gateway's client does, for tests of the
// endorse path (deep import: not part of the package's public surface).
import { randomBytes } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { computeTxId } from '../transaction/parse.js';

export interface ProposalSigner {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface TestProposalOptions {
  channelId?: string;
  chaincodeName?: string;
  /** args[0] is the function name. */
  args?: (string | Uint8Array)[];
  transient?: Record<string, Uint8Array>;
  /** Override the computed tx ID (to build a bad one). */
  txId?: string;
  headerType?: number;
  nonce?: Uint8Array;
  timestamp?: { seconds: number; nanos: number };
}

/** A peer.SignedProposal signed by `signer`, plus its tx ID. */
export function newTestSignedProposal(signer: ProposalSigner, opts: TestProposalOptions = {}): { bytes: Uint8Array; txId: string } {
  const channelId = opts.channelId ?? 'metrology';
  const chaincodeName = opts.chaincodeName ?? 'lr';
  const creator = signer.serialize();
  const nonce = opts.nonce ?? randomBytes(24);
  const txId = opts.txId ?? computeTxId(nonce, creator);

  const ccId = new peer.ChaincodeID();
  ccId.setName(chaincodeName);
  const ext = new peer.ChaincodeHeaderExtension();
  ext.setChaincodeId(ccId);

  const ch = new common.ChannelHeader();
  ch.setType(opts.headerType ?? common.HeaderType.ENDORSER_TRANSACTION);
  ch.setChannelId(channelId);
  ch.setTxId(txId);
  ch.setEpoch(0);
  ch.setExtension$(ext.serializeBinary());
  const ts = newTimestamp();
  const now = opts.timestamp ?? { seconds: Math.floor(Date.now() / 1000), nanos: 0 };
  ts.setSeconds(now.seconds);
  ts.setNanos(now.nanos);
  ch.setTimestamp(ts);

  const sh = new common.SignatureHeader();
  sh.setCreator(creator);
  sh.setNonce(nonce);
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());

  const input = new peer.ChaincodeInput();
  input.setArgsList((opts.args ?? ['ping']).map((a) => (typeof a === 'string' ? Buffer.from(a) : a)));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.NODE);
  spec.setChaincodeId(ccId);
  spec.setInput(input);
  const cis = new peer.ChaincodeInvocationSpec();
  cis.setChaincodeSpec(spec);
  const cpp = new peer.ChaincodeProposalPayload();
  cpp.setInput(cis.serializeBinary());
  for (const [k, v] of Object.entries(opts.transient ?? {})) cpp.getTransientmapMap().set(k, v);

  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(cpp.serializeBinary());
  const proposalBytes = proposal.serializeBinary();
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(proposalBytes);
  signed.setSignature(signer.sign(proposalBytes));
  return { bytes: signed.serializeBinary(), txId };
}

function newTimestamp(): NonNullable<ReturnType<common.ChannelHeader['getTimestamp']>> {
  // google-protobuf's Timestamp, reached through the module fabric-protos itself loads
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb') as {
    Timestamp: new () => NonNullable<ReturnType<common.ChannelHeader['getTimestamp']>>;
  };
  return new Timestamp();
}
