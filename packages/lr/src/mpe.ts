// SPDX-License-Identifier: Apache-2.0
// The legal maximum permissible error (MPE) of a speed meter in service, in Brazil.
//
// ±7 km/h up to 100 km/h, ±7 % above: the in-service ("campo") MPE of Inmetro's technical
// regulation for speed meters (Portaria Inmetro 115/1998; its successors are Portaria 544/2014 and
// the consolidated Portaria 158/2022, whose table the notified body should confirm). CONTRAN
// (Resolução 798/2020) deducts the same MPE from the measured speed before a fine.

export const MPE = Object.freeze({
  /** Up to and including this true speed the MPE is absolute. */
  thresholdKmh: 100,
  absoluteKmh: 7,
  /** Above the threshold, a share of the true speed. */
  relative: 0.07,
});

/** The MPE at a true speed, in km/h. */
export function mpeKmh(trueKmh: number): number {
  return trueKmh <= MPE.thresholdKmh ? MPE.absoluteKmh : MPE.relative * trueKmh;
}

/** Whether a measured speed is within the MPE of the true speed. */
export function withinMpe(measuredKmh: number, trueKmh: number): boolean {
  return Math.abs(measuredKmh - trueKmh) <= mpeKmh(trueKmh) + 1e-9;
}
