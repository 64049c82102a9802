// SPDX-License-Identifier: Apache-2.0
// The channel's current configuration, read from the peer's Deliver service as `peer channel fetch
// config` does: the newest block, then the config block its LAST_CONFIG index names. The notified
// body's registry chaincode cannot see the channel configuration, so the CLI checks membership.
import { createPrivateKey, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { ClientError } from '@metroledger/client';
import { signLowS } from '@metroledger/identity';
import { getLastConfigIndex, parseChannelConfig, type ChannelConfig } from '@metroledger/protocol';

// google-protobuf ships no typings; fabric-protos' declarations type the class for us.
type TimestampType = NonNullable<Parameters<common.ChannelHeader['setTimestamp']>[0]>;
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb.js') as {
  Timestamp: new () => TimestampType & { fromDate(d: Date): void };
};

export interface DeliverIdentity {
  readonly mspId: string;
  readonly certificatePem: Uint8Array;
  readonly privateKeyPem: Uint8Array;
}

/** A signed Deliver request for one block: the newest, or block `n`. */
function seekEnvelope(channelId: string, identity: DeliverIdentity, block: 'newest' | number): Uint8Array {
  const position = new orderer.SeekPosition();
  if (block === 'newest') position.setNewest(new orderer.SeekNewest());
  else {
    const specified = new orderer.SeekSpecified();
    specified.setNumber(block);
    position.setSpecified(specified);
  }
  const seek = new orderer.SeekInfo();
  seek.setStart(position);
  seek.setStop(position);
  seek.setBehavior(orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.DELIVER_SEEK_INFO);
  channelHeader.setChannelId(channelId);
  const now = new Timestamp();
  now.fromDate(new Date());
  channelHeader.setTimestamp(now);
  const creator = new msp.SerializedIdentity();
  creator.setMspid(identity.mspId);
  creator.setIdBytes(identity.certificatePem);
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator.serializeBinary());
  signatureHeader.setNonce(randomBytes(24));
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(seek.serializeBinary());
  const payloadBytes = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(payloadBytes);
  envelope.setSignature(signLowS(createPrivateKey(Buffer.from(identity.privateKeyPem)), payloadBytes));
  return envelope.serializeBinary();
}

/** One block from the peer's Deliver service. @throws {@link ClientError} CONNECTION_FAILED */
function deliverOne(
  connection: grpc.Client,
  channelId: string,
  identity: DeliverIdentity,
  block: 'newest' | number,
): Promise<common.Block> {
  return new Promise((resolve, reject) => {
    const call = connection.makeBidiStreamRequest(
      '/protos.Deliver/Deliver',
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => peer.DeliverResponse.deserializeBinary(b),
      new grpc.Metadata(),
      { deadline: Date.now() + 30_000 },
    );
    let done = false;
    const finish = (err: Error | undefined, value?: common.Block): void => {
      if (done) return;
      done = true;
      call.cancel();
      if (err !== undefined) reject(err);
      else resolve(value!);
    };
    call.on('data', (r: peer.DeliverResponse) => {
      const b = r.getBlock();
      if (b !== undefined) finish(undefined, b);
      else
        finish(new ClientError('CONNECTION_FAILED', `Deliver answered status ${r.getStatus()} for block ${block} of channel ${channelId}`));
    });
    call.on('error', (err: Error) =>
      finish(
        new ClientError('CONNECTION_FAILED', `Deliver for block ${block} of channel ${channelId} failed: ${err.message}`, { cause: err }),
      ),
    );
    call.on('end', () => finish(new ClientError('CONNECTION_FAILED', `Deliver ended without block ${block} of channel ${channelId}`)));
    call.write(seekEnvelope(channelId, identity, block));
    call.end();
  });
}

/** The channel's configuration in force: from the config block the newest block names. */
export async function currentChannelConfig(connection: grpc.Client, channelId: string, identity: DeliverIdentity): Promise<ChannelConfig> {
  const newest = await deliverOne(connection, channelId, identity, 'newest');
  const index = getLastConfigIndex(newest);
  const configBlock = index === newest.getHeader()?.getNumber() ? newest : await deliverOne(connection, channelId, identity, index);
  return parseChannelConfig(configBlock);
}
