// SPDX-License-Identifier: Apache-2.0
// Golden vectors: frozen reference inputs with the exact outputs the approved LR version gives
// them. The inputs are canonical readings (the bytes a meter signs) with the geometry the meter is
// registered with; the outputs are the LR decision's speed, length and refusal code and detail.
// `npm test` re-runs them, so any change to an LR result shows in review as a change of
// golden/expected.json (regenerated only on purpose: scripts/golden-vectors.mjs --write).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideSpeed, decodeReading, LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION, type LoopGeometry, type SpeedResult } from '@metroledger/lr';
import { TypeApprovalError } from './errors';

/** The frozen outcome of one vector: a speed and length, or a refusal code and detail. */
export type GoldenOutcome = { speedKmh: number; vehicleLengthM: number } | { refusal: string; detail: string };

/** One input: what it shows, the registered geometry, and the canonical reading (base64). */
export interface GoldenInput {
  id: string;
  description: string;
  registered: LoopGeometry;
  readingBase64: string;
  /** The generator's ground truth, for the reader (not compared). */
  truth?: Record<string, unknown>;
}

export interface GoldenExpected {
  lrSoftware: { name: string; version: string };
  /** SHA-256 (hex) of inputs.jsonl: the inputs are frozen too. */
  inputsSha256: string;
  outcomes: Record<string, GoldenOutcome>;
}

export interface GoldenCaseResult {
  id: string;
  description: string;
  expected: GoldenOutcome | undefined;
  actual: GoldenOutcome;
  pass: boolean;
}

export interface GoldenVerdict {
  lrSoftware: { name: string; version: string };
  inputsSha256: string;
  /** Whether inputs.jsonl is the file expected.json was made from. */
  inputsMatch: boolean;
  /** Whether expected.json was made by this LR version. */
  versionMatch: boolean;
  cases: GoldenCaseResult[];
  passed: number;
  failed: number;
  verdict: 'PASS' | 'FAIL';
}

/** The directory holding inputs.jsonl and expected.json (packages/typeapproval/golden). */
export function goldenDir(): string {
  return join(__dirname, '..', 'golden');
}

export function outcomeOf(r: SpeedResult): GoldenOutcome {
  return r.kind === 'measurement' ? { speedKmh: r.speedKmh, vehicleLengthM: r.vehicleLengthM } : { refusal: r.code, detail: r.detail };
}

/** Runs the LR decision on one vector, as the chaincode would for a meter registered with `registered`. */
export function runGolden(input: GoldenInput): GoldenOutcome {
  const reading = decodeReading(Buffer.from(input.readingBase64, 'base64'));
  return outcomeOf(decideSpeed(reading, { geometry: input.registered }));
}

export function parseGoldenInputs(text: string): GoldenInput[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as GoldenInput;
      } catch (err) {
        throw new TypeApprovalError('MALFORMED_CASE', `golden inputs line ${i + 1}: ${(err as Error).message}`);
      }
    });
}

const sameOutcome = (a: GoldenOutcome | undefined, b: GoldenOutcome): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Re-runs every golden vector in `dir` with this LR software and compares with the frozen outcomes. */
export function verifyGoldenVectors(dir = goldenDir()): GoldenVerdict {
  const inputsText = readFileSync(join(dir, 'inputs.jsonl'));
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as GoldenExpected;
  const inputsSha256 = createHash('sha256').update(inputsText).digest('hex');
  const cases = parseGoldenInputs(inputsText.toString('utf8')).map((input) => {
    const actual = runGolden(input);
    const want = expected.outcomes[input.id];
    return { id: input.id, description: input.description, expected: want, actual, pass: sameOutcome(want, actual) };
  });
  const inputsMatch = inputsSha256 === expected.inputsSha256;
  const versionMatch = expected.lrSoftware.name === LR_SOFTWARE_NAME && expected.lrSoftware.version === LR_SOFTWARE_VERSION;
  const failed = cases.filter((c) => !c.pass).length + (Object.keys(expected.outcomes).length - cases.length);
  return {
    lrSoftware: { name: LR_SOFTWARE_NAME, version: LR_SOFTWARE_VERSION },
    inputsSha256,
    inputsMatch,
    versionMatch,
    cases,
    passed: cases.length - cases.filter((c) => !c.pass).length,
    failed,
    verdict: failed === 0 && inputsMatch && versionMatch ? 'PASS' : 'FAIL',
  };
}
