// SPDX-License-Identifier: Apache-2.0
// The proof that a retrieved plate image is the evidence of a reading on the ledger: the image is
// the one whose digest the ledger's record carries, the stored reading is the one the ledger
// recorded (its SHA-256), the meter's registered key signed that reading and the image statement.
// Pure: the caller fetches the evidence from the store and the record and key from the ledger.
import { createHash } from 'node:crypto';
import { verifyReadingSignature } from '@metroledger/lr';
import { readSignedReading } from './service';
import { verifyPlateImageSignature } from './statement';
import type { EvidenceRecord } from './store';

/** What the ledger says about the reading: its measurement record's fields and the meter's key. */
export interface OnChainReading {
  readonly meterId: string;
  readonly sequence: number;
  /** The record's `readingSha256` (hex). */
  readonly readingSha256: string;
  /** The record's `plateImageSha256` (hex), absent when the reading carried none. */
  readonly plateImageSha256?: string;
  readonly txId?: string;
  /** The meter's key (PEM) valid for this sequence, from its key history on the ledger. */
  readonly meterPublicKeyPem: string;
}

export interface ProofCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface EvidenceProof {
  readonly meterId: string;
  readonly sequence: number;
  readonly ok: boolean;
  readonly imageSha256: string;
  readonly checks: ProofCheck[];
}

export function proveEvidence(retrieved: { record: EvidenceRecord; image: Uint8Array }, chain: OnChainReading): EvidenceProof {
  const checks: ProofCheck[] = [];
  const check = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail });
  const imageSha256 = createHash('sha256').update(retrieved.image).digest('hex');
  const signedReading = Buffer.from(retrieved.record.signedReading, 'base64');
  let decoded: ReturnType<typeof readSignedReading> | undefined;
  try {
    decoded = readSignedReading(signedReading);
  } catch (err) {
    check('reading decodes', false, (err as Error).message);
  }
  check(
    'image matches the on-chain digest',
    chain.plateImageSha256 !== undefined && imageSha256 === chain.plateImageSha256,
    chain.plateImageSha256 === undefined
      ? 'the ledger record carries no plate-image digest'
      : `sha256(image) ${imageSha256}, on chain ${chain.plateImageSha256}`,
  );
  if (decoded !== undefined) {
    const { reading, readingBytes, signature } = decoded;
    const readingSha256 = createHash('sha256').update(readingBytes).digest('hex');
    check(
      'reading is the one on the ledger',
      readingSha256 === chain.readingSha256 && reading.meterId === chain.meterId && reading.sequence === chain.sequence,
      `stored reading ${reading.meterId} #${reading.sequence} sha256 ${readingSha256}; ledger ${chain.meterId} #${chain.sequence} sha256 ${chain.readingSha256}${chain.txId !== undefined ? ` (transaction ${chain.txId})` : ''}`,
    );
    const plate = reading.plateImageSha256 === undefined ? undefined : Buffer.from(reading.plateImageSha256).toString('hex');
    check('reading carries the image digest', plate === imageSha256, `reading's digest ${plate ?? 'none'}`);
    check(
      "meter's signature over the reading",
      verifyReadingSignature(readingBytes, signature, chain.meterPublicKeyPem),
      `verified with meter ${chain.meterId}'s registered key for sequence ${chain.sequence}`,
    );
    check(
      "meter's signature over the image",
      verifyPlateImageSignature(
        chain.meterPublicKeyPem,
        chain.meterId,
        chain.sequence,
        Buffer.from(imageSha256, 'hex'),
        Buffer.from(retrieved.record.imageSignature, 'base64'),
      ),
      `statement (meter ${chain.meterId}, sequence ${chain.sequence}, image ${imageSha256.slice(0, 16)}…)`,
    );
  }
  return { meterId: chain.meterId, sequence: chain.sequence, ok: checks.every((c) => c.ok), imageSha256, checks };
}
