// SPDX-License-Identifier: Apache-2.0
// The meter model at work: vehicle passages synthesised as dual-loop signals, captured and signed
// by each meter with its own key and sequence. Runs in the caller's thread or as a worker.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeSignedReading, type LoopGeometry } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { drawVehicle } from '@metroledger/scenario';

export interface GenerationJob {
  /** The meter's index in the bench (the key of the result). */
  readonly index: number;
  readonly meterId: string;
  readonly geometry: LoopGeometry;
  readonly speedLimitKmh: number;
  readonly privateKeyPem: string;
  readonly firstSequence: number;
  readonly count: number;
  /** Capture time of the first reading; each next one is 1 ms later (meter clocks only move on). */
  readonly captureBaseMs: number;
  readonly faultShare: number;
  readonly seed: string;
}

/** Readings of each job's meter as base64 of the canonical signed bytes, by meter index. */
export function generateBase64Readings(jobs: readonly GenerationJob[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const job of jobs) {
    const meter = Meter.create({
      meterId: job.meterId,
      geometry: job.geometry,
      privateKeyPem: job.privateKeyPem,
      lastSequence: job.firstSequence - 1,
    });
    // Seeded by meter and first sequence: a rerun makes the same passages, and no two jobs share a stream.
    const rng = newRng(`${job.seed}/${job.meterId}/${job.firstSequence}`);
    const readings: string[] = [];
    for (let i = 0; i < job.count; i++) {
      const vehicle = drawVehicle(rng, job.speedLimitKmh);
      const event = generateEvent(rng, {
        geometry: job.geometry,
        vehicleClass: vehicle.vehicleClass,
        speedKmh: vehicle.speedKmh,
        invalidShare: job.faultShare,
      });
      const signed = meter.capture({ loopA: event.loopA, loopB: event.loopB, captureTimeMs: job.captureBaseMs + i });
      readings.push(Buffer.from(encodeSignedReading(signed)).toString('base64'));
    }
    out.set(job.index, readings);
  }
  return out;
}

if (parentPort !== null && (workerData as { benchSynthesis?: boolean } | undefined)?.benchSynthesis === true) {
  parentPort.postMessage([...generateBase64Readings((workerData as { jobs: GenerationJob[] }).jobs)]);
}
