// SPDX-License-Identifier: Apache-2.0
// Synthetic loop signals of one vehicle passing a dual-loop meter (test helper).
import type { LoopGeometry } from '@metroledger/lr';

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/** ADC samples of both loops for a vehicle at constant speed: trapezoid pulses on a noisy baseline. */
export function vehiclePass(speedKmh: number, vehicleLengthM: number, g: LoopGeometry): { loopA: Int16Array; loopB: Int16Array } {
  const v = speedKmh / 3.6;
  const quietS = 0.3;
  const n = Math.ceil((2 * quietS + (g.loopSpacingM + g.loopLengthM + vehicleLengthM) / v) * g.sampleRateHz);
  const loopA = new Int16Array(n);
  const loopB = new Int16Array(n);
  const full = Math.min(vehicleLengthM, g.loopLengthM);
  for (let i = 0; i < n; i++) {
    const front = v * (i / g.sampleRateHz - quietS);
    const noise = ((i * 7919) % 5) - 2;
    loopA[i] = 100 + noise + Math.round((2000 * overlap(front - vehicleLengthM, front, 0, g.loopLengthM)) / full);
    loopB[i] =
      100 - noise + Math.round((2000 * overlap(front - vehicleLengthM, front, g.loopSpacingM, g.loopSpacingM + g.loopLengthM)) / full);
  }
  return { loopA, loopB };
}

/** Both loops quiet: no vehicle (the LR software refuses it). */
export function quietLoops(samples: number): { loopA: Int16Array; loopB: Int16Array } {
  const loopA = new Int16Array(samples);
  const loopB = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    loopA[i] = 100 + ((i * 7919) % 5) - 2;
    loopB[i] = 100 + ((i * 104729) % 5) - 2;
  }
  return { loopA, loopB };
}
