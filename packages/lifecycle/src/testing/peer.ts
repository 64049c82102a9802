// SPDX-License-Identifier: Apache-2.0
// Test fixture: the peer's side of chaincode-as-a-service. A Fabric peer dials the chaincode
// server (protos.Chaincode/Connect), waits for REGISTER with the package id, answers REGISTERED
// and READY, then sends TRANSACTION messages and serves the chaincode's state requests until
// COMPLETED. This stand-in does the same over real gRPC, with a world state in a Map.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, msp, peer } from '@hyperledger/fabric-protos';

// google-protobuf ships no typings; fabric-protos' declarations type the class for us.
type Timestamp = NonNullable<Parameters<common.ChannelHeader['setTimestamp']>[0]>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb.js') as {
  Timestamp: new () => Timestamp & { fromDate(d: Date): void };
};

const T = peer.ChaincodeMessage.Type;

export interface StandInResponse {
  status: number;
  message: string;
  payload: Buffer;
  /** Writes the transaction made (key -> value; null for a delete). */
  writes: Map<string, Buffer | null>;
  event?: { name: string; payload: Buffer };
}

export interface StandInTls {
  /** PEM of the CA that issued the server's TLS certificate. */
  rootCert: string | Uint8Array;
  /** The peer's client certificate and key, for servers that require one. */
  clientCert?: string | Uint8Array;
  clientKey?: string | Uint8Array;
  /** Name to check the server certificate against (default: the address's host). */
  serverName?: string;
}

/** One peer-to-chaincode stream, as a Fabric peer holds it. */
export class ChaincodePeerStandIn {
  /** The chaincode id the server registered with (its --chaincode-id / package id). */
  readonly registeredId: string;
  readonly state = new Map<string, Buffer>();
  readonly #client: grpc.Client;
  readonly #stream: grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage>;
  readonly #pending = new Map<string, { resolve(r: StandInResponse): void; reject(e: Error): void; writes: Map<string, Buffer | null> }>();

  private constructor(
    client: grpc.Client,
    stream: grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage>,
    registeredId: string,
  ) {
    this.#client = client;
    this.#stream = stream;
    this.registeredId = registeredId;
    stream.on('data', (m: peer.ChaincodeMessage) => this.#onMessage(m));
    stream.on('error', (err: Error) => this.#failAll(err));
    stream.on('end', () => this.#failAll(new Error('the chaincode closed the stream')));
  }

  /** Connects, waits for REGISTER, and completes the handshake (REGISTERED, READY). */
  static async connect(address: string, opts: { tls?: StandInTls; timeoutMs?: number } = {}): Promise<ChaincodePeerStandIn> {
    const tls = opts.tls;
    const credentials =
      tls === undefined
        ? grpc.credentials.createInsecure()
        : grpc.credentials.createSsl(
            Buffer.from(tls.rootCert),
            tls.clientKey === undefined ? null : Buffer.from(tls.clientKey),
            tls.clientCert === undefined ? null : Buffer.from(tls.clientCert),
          );
    const client = new peer.ChaincodeClient(
      address,
      credentials,
      tls?.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': tls.serverName },
    );
    const stream = (client as unknown as { connect(): grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage> }).connect();
    const register = await new Promise<peer.ChaincodeMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no REGISTER from ${address}`)), opts.timeoutMs ?? 10_000);
      stream.once('data', (m: peer.ChaincodeMessage) => {
        clearTimeout(timer);
        resolve(m);
      });
      stream.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    }).catch((err: unknown) => {
      client.close();
      throw err;
    });
    if (register.getType() !== T.REGISTER) throw new Error(`expected REGISTER, got ${register.getType()}`);
    const id = peer.ChaincodeID.deserializeBinary(register.getPayload_asU8()).getName();
    const reply = (type: peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap]): void => {
      const m = new peer.ChaincodeMessage();
      m.setType(type);
      stream.write(m);
    };
    reply(T.REGISTERED);
    reply(T.READY);
    return new ChaincodePeerStandIn(client, stream, id);
  }

  /** Sends a TRANSACTION as `creator` and answers the chaincode's state requests from {@link state}. */
  invoke(args: string[], creator: { mspId: string; certPem: string | Uint8Array }, channelId = 'metrology'): Promise<StandInResponse> {
    const nonce = randomBytes(24);
    const serialized = new msp.SerializedIdentity();
    serialized.setMspid(creator.mspId);
    serialized.setIdBytes(Buffer.from(creator.certPem));
    const creatorBytes = serialized.serializeBinary();
    const txId = randomBytes(32).toString('hex');
    const channelHeader = new common.ChannelHeader();
    channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
    channelHeader.setChannelId(channelId);
    channelHeader.setTxId(txId);
    const now = new Timestamp();
    now.fromDate(new Date());
    channelHeader.setTimestamp(now);
    const signatureHeader = new common.SignatureHeader();
    signatureHeader.setCreator(creatorBytes);
    signatureHeader.setNonce(nonce);
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(signatureHeader.serializeBinary());
    const input = new peer.ChaincodeInput();
    input.setArgsList(args.map((a) => Buffer.from(a)));
    const spec = new peer.ChaincodeSpec();
    spec.setInput(input);
    const invocation = new peer.ChaincodeInvocationSpec();
    invocation.setChaincodeSpec(spec);
    const ccpp = new peer.ChaincodeProposalPayload();
    ccpp.setInput(invocation.serializeBinary());
    const proposal = new peer.Proposal();
    proposal.setHeader(header.serializeBinary());
    proposal.setPayload(ccpp.serializeBinary());
    const signed = new peer.SignedProposal();
    signed.setProposalBytes(proposal.serializeBinary());
    const msg = new peer.ChaincodeMessage();
    msg.setType(T.TRANSACTION);
    msg.setPayload(input.serializeBinary());
    msg.setTxid(txId);
    msg.setChannelId(channelId);
    msg.setProposal(signed);
    return new Promise((resolve, reject) => {
      this.#pending.set(txId, { resolve, reject, writes: new Map() });
      this.#stream.write(msg);
    });
  }

  #respond(to: peer.ChaincodeMessage, payload: Uint8Array): void {
    const m = new peer.ChaincodeMessage();
    m.setType(T.RESPONSE);
    m.setPayload(payload);
    m.setTxid(to.getTxid());
    m.setChannelId(to.getChannelId());
    this.#stream.write(m);
  }

  #onMessage(m: peer.ChaincodeMessage): void {
    const pending = this.#pending.get(m.getTxid());
    if (pending === undefined) return;
    switch (m.getType()) {
      case T.GET_STATE: {
        const key = peer.GetState.deserializeBinary(m.getPayload_asU8()).getKey();
        const v = pending.writes.has(key) ? undefined : this.state.get(key); // Fabric: a transaction does not read its own writes
        this.#respond(m, v ?? new Uint8Array(0));
        break;
      }
      case T.PUT_STATE: {
        const put = peer.PutState.deserializeBinary(m.getPayload_asU8());
        pending.writes.set(put.getKey(), Buffer.from(put.getValue_asU8()));
        this.#respond(m, new Uint8Array(0));
        break;
      }
      case T.DEL_STATE: {
        pending.writes.set(peer.DelState.deserializeBinary(m.getPayload_asU8()).getKey(), null);
        this.#respond(m, new Uint8Array(0));
        break;
      }
      case T.COMPLETED: {
        this.#pending.delete(m.getTxid());
        const r = peer.Response.deserializeBinary(m.getPayload_asU8());
        const ev = m.getChaincodeEvent();
        for (const [k, v] of pending.writes) {
          if (v === null) this.state.delete(k);
          else this.state.set(k, v);
        }
        pending.resolve({
          status: r.getStatus(),
          message: r.getMessage(),
          payload: Buffer.from(r.getPayload_asU8()),
          writes: pending.writes,
          ...(ev !== undefined && ev.getEventName() !== ''
            ? { event: { name: ev.getEventName(), payload: Buffer.from(ev.getPayload_asU8()) } }
            : {}),
        });
        break;
      }
      case T.ERROR:
        this.#pending.delete(m.getTxid());
        pending.reject(new Error(`chaincode ERROR: ${Buffer.from(m.getPayload_asU8()).toString('utf8')}`));
        break;
      default:
        this.#pending.delete(m.getTxid());
        pending.reject(new Error(`the stand-in does not serve message type ${m.getType()}`));
    }
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  close(): void {
    this.#stream.end();
    this.#client.close();
  }
}
