// SPDX-License-Identifier: Apache-2.0
import { common } from '@hyperledger/fabric-protos';
import { verifySignature, type Identity, type IdentityDeserializer, type MspRegistry } from '@metroledger/identity';
import { evaluatePolicy, type Policy } from '@metroledger/policy';

/** Checks that signed requests come from a valid member of the channel and verify, and who may read. */
export class Authenticator {
  readonly #msps: MspRegistry;
  readonly #deserializer: IdentityDeserializer;
  readonly #readers: Policy;
  readonly #clock: () => number;

  /** `clock`: wall clock (ms) at which a request's certificate must be valid (expiry is checked here, never at commit). */
  constructor(msps: MspRegistry, deserializer: IdentityDeserializer, readers: Policy, clock: () => number = Date.now) {
    this.#msps = msps;
    this.#deserializer = deserializer;
    this.#readers = readers;
    this.#clock = clock;
  }

  /**
   * The signer if it may read the channel (`resource`: Fabric's ACL resource name, for the
   * message), or a message saying why not: as check(), then the channel's Readers policy.
   */
  checkReader(resource: string, serializedIdentity: Uint8Array, data: Uint8Array, signature: Uint8Array): Identity | string {
    const id = this.check(serializedIdentity, data, signature);
    if (typeof id === 'string') return id;
    if (!evaluatePolicy(this.#readers, [id], (signer, principal) => this.#msps.satisfiesPrincipal(signer, principal))) {
      return `access denied for [${resource}]: identity of ${id.mspId} does not satisfy the channel's /Channel/Application/Readers policy`;
    }
    return id;
  }

  /** The signer, or a message saying why the request is refused. */
  check(serializedIdentity: Uint8Array, data: Uint8Array, signature: Uint8Array): Identity | string {
    let id: Identity;
    try {
      id = this.#deserializer.deserialize(serializedIdentity);
    } catch {
      return 'failed deserializing signing identity';
    }
    if (!this.#msps.isValidAt(id, this.#clock())) return `identity of ${id.mspId} is not valid in this channel`;
    if (!verifySignature(id.publicKey, data, signature)) return `signature of ${id.mspId} identity is not valid`;
    return id;
  }
}

/** The parts of a signed common.Envelope needed to authenticate and route it. */
export interface EnvelopeHeader {
  readonly type: number;
  readonly channelId: string;
  readonly txId: string;
  readonly creator: Uint8Array;
  readonly payloadBytes: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

/** Decodes an envelope down to its headers; undefined if it does not parse. */
export function envelopeHeader(envelope: common.Envelope): EnvelopeHeader | undefined {
  try {
    const payloadBytes = envelope.getPayload_asU8();
    const payload = common.Payload.deserializeBinary(payloadBytes);
    const header = payload.getHeader();
    if (header === undefined) return undefined;
    const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    const sh = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
    return {
      type: ch.getType(),
      channelId: ch.getChannelId(),
      txId: ch.getTxId(),
      creator: sh.getCreator_asU8(),
      payloadBytes,
      data: payload.getData_asU8(),
      signature: envelope.getSignature_asU8(),
    };
  } catch {
    return undefined;
  }
}
