// SPDX-License-Identifier: Apache-2.0
// A sealed speed meter: it holds its private key, identity, registered geometry and sequence
// counter, and turns each capture into a signed raw reading.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { encodeReading, type LoopGeometry, type SignedReading } from '@metroledger/lr';
// The signing chip: ECDSA P-256 / SHA-256, DER, low-S as Fabric expects.
import { signLowS } from '@metroledger/identity';

export interface MeterOptions {
  meterId: string;
  geometry: LoopGeometry;
  /** PKCS#8 PEM of an EC P-256 key; a new key is generated when absent. */
  privateKeyPem?: string;
  /** Last sequence number used (a restarted meter continues after it). Default 0. */
  lastSequence?: number;
}

export interface CaptureInput {
  loopA: Int16Array;
  loopB: Int16Array;
  captureTimeMs: number;
  plateImageSha256?: Uint8Array;
}

export class Meter {
  readonly meterId: string;
  readonly publicKeyPem: string;
  readonly geometry: LoopGeometry;
  readonly #privateKey: KeyObject;
  #sequence: number;

  private constructor(opts: MeterOptions, privateKey: KeyObject) {
    this.meterId = opts.meterId;
    this.geometry = Object.freeze({ ...opts.geometry });
    this.#privateKey = privateKey;
    this.publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    this.#sequence = opts.lastSequence ?? 0;
  }

  static create(opts: MeterOptions): Meter {
    const key = opts.privateKeyPem
      ? createPrivateKey(opts.privateKeyPem)
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('Meter key must be ECDSA P-256');
    }
    return new Meter(opts, key);
  }

  /** Last sequence number used. */
  get sequence(): number {
    return this.#sequence;
  }

  /** PKCS#8 PEM of the meter key, for provisioning tests and simulations (a real meter never reveals it). */
  exportPrivateKeyPem(): string {
    return this.#privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /** Encodes the capture as the next reading of this meter and signs it. */
  capture(event: CaptureInput): SignedReading {
    const reading = encodeReading({
      meterId: this.meterId,
      sequence: this.#sequence + 1,
      captureTimeMs: event.captureTimeMs,
      sampleRateHz: this.geometry.sampleRateHz,
      loopA: event.loopA,
      loopB: event.loopB,
      ...(event.plateImageSha256 ? { plateImageSha256: event.plateImageSha256 } : {}),
    });
    this.#sequence++;
    return { reading, signature: signLowS(this.#privateKey, reading) };
  }
}
