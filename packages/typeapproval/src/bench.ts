// SPDX-License-Identifier: Apache-2.0
// Single-thread throughput of the LR hot path: speed computations and meter-signature checks.
import { decideSpeed, decodeSignedReading, encodeSignedReading, verifyReadingSignature } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';

export interface LrBenchResult {
  computationsPerS: number;
  verificationsPerS: number;
  readingBytes: number;
  samplesPerLoop: number;
}

function rate(seconds: number, fn: (i: number) => void): number {
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    for (let k = 0; k < 16; k++) fn(n++);
  }
  return n / ((performance.now() - start) / 1000);
}

/** Measures over `seconds` per figure, on a fixed mix of 64 generated car-to-truck passages. */
export function benchLr(seconds = 2): LrBenchResult {
  const rng = newRng('bench-lr');
  const geometry = { loopSpacingM: 3, loopLengthM: 2, sampleRateHz: 2000 };
  const meter = Meter.create({ meterId: 'BENCH-1', geometry });
  const events = Array.from({ length: 64 }, () => generateEvent(rng, { geometry, scenario: 'valid', speedKmh: rng.uniform(20, 140) }));
  const signed = events.map((e, i) =>
    encodeSignedReading(meter.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: 1_700_000_000_000 + i })),
  );
  let sink = 0;
  const computationsPerS = rate(seconds, (i) => {
    const e = events[i % events.length]!;
    const r = decideSpeed({ sampleRateHz: geometry.sampleRateHz, loopA: e.loopA, loopB: e.loopB }, { geometry });
    if (r.kind === 'measurement') sink += r.speedKmh;
  });
  const verificationsPerS = rate(seconds, (i) => {
    const s = decodeSignedReading(signed[i % signed.length]!);
    if (verifyReadingSignature(s.reading, s.signature, meter.publicKeyPem)) sink++;
  });
  if (sink < 0) throw new Error('unreachable');
  return {
    computationsPerS: Math.round(computationsPerS),
    verificationsPerS: Math.round(verificationsPerS),
    readingBytes: Math.round(signed.reduce((n, s) => n + s.length, 0) / signed.length),
    samplesPerLoop: Math.round(events.reduce((n, e) => n + e.loopA.length, 0) / events.length),
  };
}
