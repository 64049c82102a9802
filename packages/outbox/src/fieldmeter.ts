// SPDX-License-Identifier: Apache-2.0
// A meter in the field: the sealed signing meter (`@metroledger/meter`) whose every capture is
// stored in its outbox, synced, before it counts. The outbox keeps the meter's sequence: a meter
// restarted after a crash continues after the last stored reading, so sequences neither repeat
// nor skip. When the outbox is full the capture is refused (OUTBOX_FULL) and no sequence is used:
// for a legal instrument a vehicle not measured is a meter out of service, visible and lawful,
// while dropping a stored reading would destroy a signed measurement.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { encodeSignedReading } from '@metroledger/lr';
import { Meter, type CaptureInput, type MeterGeometry } from '@metroledger/meter';
import { sha256, signPlateImage } from '@metroledger/evidence';
import { OutboxError } from './errors';
import type { OutboxEntry, OutboxStore } from './store';

export interface FieldMeterOptions {
  readonly store: OutboxStore;
  readonly meterId: string;
  readonly geometry: MeterGeometry;
  /** PKCS#8 PEM of the meter's P-256 key (the signing chip's). */
  readonly privateKeyPem: string;
}

export interface FieldCapture extends Omit<CaptureInput, 'plateImageSha256'> {
  /** The plate image taken with this passage; its SHA-256 goes into the signed reading. */
  readonly plateImage?: Uint8Array;
}

export class FieldMeter {
  readonly meterId: string;
  readonly #store: OutboxStore;
  readonly #options: FieldMeterOptions;
  readonly #key: KeyObject;
  #meter: Meter;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(options: FieldMeterOptions) {
    this.meterId = options.meterId;
    this.#store = options.store;
    this.#options = options;
    this.#key = createPrivateKey(options.privateKeyPem);
    this.#meter = this.#resume();
  }

  #resume(): Meter {
    const o = this.#options;
    return Meter.create({
      meterId: o.meterId,
      geometry: o.geometry,
      privateKeyPem: o.privateKeyPem,
      lastSequence: this.#store.lastSequence(o.meterId),
    });
  }

  get publicKeyPem(): string {
    return this.#meter.publicKeyPem;
  }

  /** The last sequence stored. */
  get sequence(): number {
    return this.#store.lastSequence(this.meterId);
  }

  /**
   * Signs the capture as the meter's next reading and stores it, synced. Resolves with the stored
   * entry; only then has the meter captured it.
   * @throws {@link OutboxError} OUTBOX_FULL (nothing stored, no sequence used) | OUTBOX_FAILED
   */
  capture(input: FieldCapture): Promise<OutboxEntry> {
    // captures are serialised: each takes the next sequence after the stored one
    const next = this.#busy.then(() => this.#capture(input));
    this.#busy = next.catch(() => undefined);
    return next;
  }

  async #capture(input: FieldCapture): Promise<OutboxEntry> {
    const { plateImage, ...capture } = input;
    const signed = this.#meter.capture({ ...capture, ...(plateImage !== undefined && { plateImageSha256: sha256(plateImage) }) });
    const signedReading = encodeSignedReading(signed);
    const image =
      plateImage === undefined
        ? undefined
        : { bytes: plateImage, signature: signPlateImage(this.#key, this.meterId, this.#meter.sequence, plateImage) };
    try {
      return await this.#store.append({ signedReading, ...(image !== undefined && { image }) });
    } catch (err) {
      // the sequence was not stored: the next capture takes it again
      this.#meter = this.#resume();
      if (err instanceof OutboxError) throw err;
      throw new OutboxError(
        'OUTBOX_FAILED',
        `storing reading ${this.meterId} #${this.#meter.sequence + 1} failed: ${(err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
  }
}
