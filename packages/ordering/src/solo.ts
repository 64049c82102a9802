// SPDX-License-Identifier: Apache-2.0
// A single-node orderer: checks each envelope like Fabric's broadcast handler (size, header, channel,
// creator a valid channel member, signature), cuts batches, chains, signs and delivers blocks.
import type { KeyObject } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { verifySignature, type Identity } from '@metroledger/identity';
import { blockHeaderHash, newBlock, signBlock, type BatchConfig, type BlockSigner } from '@metroledger/protocol';
import { BlockCutter } from './blockcutter.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import { OrderingError } from './errors.js';
import { deliverBlock } from './listeners.js';

/** The ordering service seen by the peer and the gateway. */
export interface OrderingService {
  /** Resolves once the envelope is accepted for ordering. @throws {@link OrderingError} BAD_REQUEST, SERVICE_UNAVAILABLE, BUSY (retryable). */
  broadcast(envelope: Uint8Array): Promise<void>;
  /** Blocks in order, with orderer signatures in metadata. Returns a function that removes the listener. */
  onBlock(listener: (block: common.Block) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SoloOrdererOptions {
  readonly channelId: string;
  /** The orderer's identity; signs every block. */
  readonly signer: BlockSigner;
  readonly batch: BatchConfig;
  /** Chain head to continue from: the ledger's height and last header hash (height 1 after the genesis block). */
  readonly height: number;
  readonly lastHeaderHash: Uint8Array;
  readonly lastConfigIndex?: number;
  /** Channel members: an envelope's creator must deserialize and be valid in one of the channel's MSPs. */
  readonly deserializer: { deserialize(serialized: Uint8Array): Identity };
  readonly msps: { isValidAt(identity: Identity, atTimeMs: number): boolean };
  readonly clock?: Clock;
  /** Wall clock (ms): an envelope's creator certificate must be valid at broadcast (Fabric's ExpirationRejectRule). Default Date.now. */
  readonly wallClock?: () => number;
  /** Envelopes accepted but not yet cut into a block before broadcast answers BUSY. Default 10,000. */
  readonly maxQueuedEnvelopes?: number;
  /**
   * Checks an envelope's signature by its creator; default: @metroledger/identity's
   * verifySignature on this thread (a verification pool gives the same answers off it).
   */
  readonly verify?: (publicKey: KeyObject, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;
}

/** Single-orderer ordering service (Fabric 2.x "solo" semantics, with Fabric's broadcast checks). */
export class SoloOrderer implements OrderingService {
  readonly #opts: SoloOrdererOptions;
  readonly #cutter: BlockCutter;
  readonly #clock: Clock;
  readonly #maxQueued: number;
  readonly #listeners = new Set<(block: common.Block) => void>();
  #queue: Uint8Array[] = [];
  #drainScheduled = false;
  #timer: Timer | undefined;
  #height: number;
  #lastHash: Uint8Array;
  #running = false;

  constructor(opts: SoloOrdererOptions) {
    if (!Number.isSafeInteger(opts.height) || opts.height < 1)
      throw new OrderingError('BAD_CONFIG', 'height must be at least 1 (the genesis block)', { height: opts.height });
    this.#opts = opts;
    this.#cutter = new BlockCutter(opts.batch);
    this.#clock = opts.clock ?? systemClock;
    this.#maxQueued = opts.maxQueuedEnvelopes ?? 10_000;
    this.#height = opts.height;
    this.#lastHash = opts.lastHeaderHash;
  }

  /** Number of the next block this orderer will create. */
  get height(): number {
    return this.#height;
  }

  get lastHeaderHash(): Uint8Array {
    return this.#lastHash;
  }

  async start(): Promise<void> {
    this.#running = true;
  }

  /** Orders what was already accepted (the pending batch becomes a last block), then refuses new envelopes. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#drain();
    this.#cutPending();
    this.#running = false;
  }

  onBlock(listener: (block: common.Block) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  async broadcast(envelope: Uint8Array): Promise<void> {
    if (!this.#running) throw new OrderingError('SERVICE_UNAVAILABLE', 'orderer is not running');
    const { creator, payloadBytes, signature } = this.#check(envelope);
    const verify = this.#opts.verify ?? verifySignature;
    if (!(await verify(creator.publicKey, payloadBytes, signature)))
      throw new OrderingError('BAD_REQUEST', 'envelope signature does not verify against its creator');
    if (!this.#running) throw new OrderingError('SERVICE_UNAVAILABLE', 'orderer is not running');
    if (this.#queue.length >= this.#maxQueued) throw new OrderingError('BUSY', `ordering queue is full (${this.#maxQueued} envelopes)`);
    this.#queue.push(envelope);
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      // Drain once per turn of the event loop so that a burst of broadcasts is cut in one pass.
      setImmediate(() => this.#drain());
    }
  }

  /** Everything but the signature; returns what the signature check needs. */
  #check(envelope: Uint8Array): { creator: Identity; payloadBytes: Uint8Array; signature: Uint8Array } {
    const { absoluteMaxBytes } = this.#opts.batch;
    if (envelope.length > absoluteMaxBytes)
      throw new OrderingError('BAD_REQUEST', `envelope of ${envelope.length} bytes exceeds absoluteMaxBytes ${absoluteMaxBytes}`);
    let ch: common.ChannelHeader;
    let sh: common.SignatureHeader;
    let payloadBytes: Uint8Array;
    let signature: Uint8Array;
    try {
      const env = common.Envelope.deserializeBinary(envelope);
      payloadBytes = env.getPayload_asU8();
      signature = env.getSignature_asU8();
      const header = common.Payload.deserializeBinary(payloadBytes).getHeader();
      if (header === undefined) throw new Error('payload has no header');
      ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
      sh = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
    } catch (err) {
      throw new OrderingError('BAD_REQUEST', 'envelope does not parse', undefined, { cause: err });
    }
    if (ch.getChannelId() !== this.#opts.channelId)
      throw new OrderingError('BAD_REQUEST', `envelope is for channel ${JSON.stringify(ch.getChannelId())}`, {
        channelId: ch.getChannelId(),
      });
    if (ch.getType() !== common.HeaderType.ENDORSER_TRANSACTION)
      throw new OrderingError('BAD_REQUEST', `header type ${ch.getType()} is not accepted (config updates are not supported)`);
    let creator: Identity;
    try {
      creator = this.#opts.deserializer.deserialize(sh.getCreator_asU8());
    } catch (err) {
      throw new OrderingError('BAD_REQUEST', 'creator is not a valid identity', undefined, { cause: err });
    }
    if (!this.#opts.msps.isValidAt(creator, (this.#opts.wallClock ?? Date.now)()))
      throw new OrderingError('BAD_REQUEST', `creator is not a valid member of ${JSON.stringify(creator.mspId)} on this channel`, {
        mspId: creator.mspId,
      });
    return { creator, payloadBytes, signature };
  }

  #drain(): void {
    this.#drainScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (const env of queue) {
      const { batches, pending } = this.#cutter.ordered(env);
      for (const b of batches) this.#emit(b);
      if (!pending && this.#timer !== undefined) {
        this.#timer.cancel();
        this.#timer = undefined;
      } else if (pending && this.#timer === undefined) {
        this.#timer = this.#clock.schedule(this.#opts.batch.batchTimeoutMs, () => {
          this.#timer = undefined;
          this.#cutPending();
        });
      }
    }
  }

  #cutPending(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    const batch = this.#cutter.cut();
    if (batch.length > 0) this.#emit(batch);
  }

  #emit(batch: Uint8Array[]): void {
    const block = newBlock(this.#height, this.#lastHash, batch);
    signBlock(block, this.#opts.signer, { lastConfigIndex: this.#opts.lastConfigIndex ?? 0 });
    this.#height++;
    this.#lastHash = blockHeaderHash(block.getHeader()!);
    deliverBlock(this.#listeners, block);
  }
}
