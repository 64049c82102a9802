// SPDX-License-Identifier: Apache-2.0
// What the evidence store checks before it keeps an image: that the meter signed the reading and
// the image, that the image is the one whose digest the reading (and so the ledger) carries, and
// that neither the reading nor the image is already taken. Meter keys come from the ledger's meter
// registry (the key valid for the reading's sequence), not from the submitter.
import { createHash } from 'node:crypto';
import { ClientError, type MetroledgerClient } from '@metroledger/client';
import type { Meter } from '@metroledger/chaincode';
import { decodeReading, decodeSignedReading, verifyReadingSignature, type RawReading } from '@metroledger/lr';
import type { Caller } from './auth';
import { EvidenceError } from './errors';
import { verifyPlateImageSignature } from './statement';
import type { EvidenceRecord, EvidenceStore } from './store';

/** The public key (PEM) that verifies a meter's reading `sequence`, or undefined for an unknown meter. */
export interface MeterKeys {
  /** `fresh`: do not answer from a cache (a key may have been rotated since). */
  keyFor(meterId: string, sequence: number, fresh?: boolean): Promise<string | undefined>;
}

/** Meter keys read from the ledger's registry through a channel member's client, cached for `ttlMs` (default 60 s). */
export function ledgerMeterKeys(
  client: Pick<MetroledgerClient, 'getMeter'>,
  options: { ttlMs?: number; now?: () => number } = {},
): MeterKeys {
  const ttl = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { meter: Meter; at: number }>();
  const fetchMeter = async (meterId: string): Promise<Meter | undefined> => {
    try {
      const meter = (await client.getMeter(meterId)) as unknown as Meter;
      cache.set(meterId, { meter, at: now() });
      return meter;
    } catch (err) {
      if (err instanceof ClientError && err.chaincodeCode === 'METER_NOT_FOUND') return undefined;
      throw new EvidenceError('UNAVAILABLE', `cannot read meter ${meterId} from the ledger: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
  };
  return {
    async keyFor(meterId, sequence, fresh = false) {
      // the chaincode's rule, loaded only where a store runs (a meter never loads the chaincode)
      const { meterKeyForSequence } = await import('@metroledger/chaincode');
      const hit = cache.get(meterId);
      const meter = !fresh && hit !== undefined && now() - hit.at < ttl ? hit.meter : await fetchMeter(meterId);
      return meter === undefined ? undefined : meterKeyForSequence(meter, sequence)?.publicKeyPem;
    },
  };
}

/** Meter keys from a fixed table (tests, or a store provisioned off-line). */
export function staticMeterKeys(keys: Record<string, string>): MeterKeys {
  return { keyFor: async (meterId) => keys[meterId] };
}

export interface EvidenceSubmission {
  readonly signedReading: Uint8Array;
  readonly image: Uint8Array;
  readonly imageSignature: Uint8Array;
}

/** Decodes a signed reading, or MALFORMED_READING. */
export function readSignedReading(signedReading: Uint8Array): { reading: RawReading; readingBytes: Uint8Array; signature: Uint8Array } {
  try {
    const { reading: readingBytes, signature } = decodeSignedReading(signedReading);
    return { reading: decodeReading(readingBytes), readingBytes, signature };
  } catch (err) {
    throw new EvidenceError('MALFORMED_READING', `the signed reading does not decode: ${(err as Error).message}`);
  }
}

export class EvidenceService {
  readonly store: EvidenceStore;
  readonly #keys: MeterKeys;

  constructor(store: EvidenceStore, keys: MeterKeys) {
    this.store = store;
    this.#keys = keys;
  }

  /**
   * Checks a submission and stores it. In order: size; the reading decodes and carries a plate
   * digest; the image is that digest; the meter's registered key verifies the reading and the
   * image statement; then neither the reading nor the image is taken; then capacity.
   * @throws {@link EvidenceError} IMAGE_TOO_LARGE | MALFORMED_READING | NO_PLATE_DIGEST | WRONG_DIGEST |
   *   METER_UNKNOWN | BAD_READING_SIGNATURE | BAD_IMAGE_SIGNATURE | EVIDENCE_EXISTS | REPLAYED_IMAGE | STORE_FULL | IO
   */
  async put(submission: EvidenceSubmission, by: Caller): Promise<{ record: EvidenceRecord; alreadyStored: boolean }> {
    const { image } = submission;
    if (image.length > this.store.maxImageBytes) {
      throw new EvidenceError('IMAGE_TOO_LARGE', `the image has ${image.length} bytes; at most ${this.store.maxImageBytes}`, {
        bytes: image.length,
        maxImageBytes: this.store.maxImageBytes,
      });
    }
    const { reading, readingBytes, signature } = readSignedReading(submission.signedReading);
    const at = { meterId: reading.meterId, sequence: reading.sequence };
    if (reading.plateImageSha256 === undefined)
      throw new EvidenceError('NO_PLATE_DIGEST', `reading ${reading.meterId} #${reading.sequence} carries no plate-image digest`, at);
    const digest = createHash('sha256').update(image).digest();
    if (!digest.equals(reading.plateImageSha256)) {
      throw new EvidenceError(
        'WRONG_DIGEST',
        `the image's SHA-256 ${digest.toString('hex')} is not the digest reading ${reading.meterId} #${reading.sequence} carries (${Buffer.from(reading.plateImageSha256).toString('hex')})`,
        at,
      );
    }
    let keyPem = await this.#keys.keyFor(reading.meterId, reading.sequence);
    if (keyPem === undefined || !verifyReadingSignature(readingBytes, signature, keyPem)) {
      // the meter may be new or its key rotated since the key was cached: ask the ledger once more
      keyPem = await this.#keys.keyFor(reading.meterId, reading.sequence, true);
    }
    if (keyPem === undefined)
      throw new EvidenceError('METER_UNKNOWN', `the ledger has no key of meter ${reading.meterId} for sequence ${reading.sequence}`, at);
    if (!verifyReadingSignature(readingBytes, signature, keyPem)) {
      throw new EvidenceError(
        'BAD_READING_SIGNATURE',
        `reading ${reading.meterId} #${reading.sequence} is not signed by the meter's registered key`,
        at,
      );
    }
    if (!verifyPlateImageSignature(keyPem, reading.meterId, reading.sequence, digest, submission.imageSignature)) {
      throw new EvidenceError(
        'BAD_IMAGE_SIGNATURE',
        `the image signature is not meter ${reading.meterId}'s over this image of its reading #${reading.sequence}`,
        at,
      );
    }
    return this.store.put(
      {
        meterId: reading.meterId,
        sequence: reading.sequence,
        imageSha256: digest.toString('hex'),
        imageBytes: image.length,
        readingSha256: createHash('sha256').update(readingBytes).digest('hex'),
        signedReading: Buffer.from(submission.signedReading).toString('base64'),
        imageSignature: Buffer.from(submission.imageSignature).toString('base64'),
        submittedBy: by,
      },
      image,
    );
  }

  /** A reading's evidence: its record and the image (checked against its digest). @throws NOT_FOUND | IO */
  async get(meterId: string, sequence: number): Promise<{ record: EvidenceRecord; image: Buffer }> {
    const record = this.store.byReading(meterId, sequence);
    if (record === undefined) throw new EvidenceError('NOT_FOUND', `no evidence for ${meterId} #${sequence}`, { meterId, sequence });
    return { record, image: await this.store.image(record) };
  }
}
