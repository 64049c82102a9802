// SPDX-License-Identifier: Apache-2.0
// Small, dependency-free statistics for surveillance: quantiles, the two-sample Kolmogorov-Smirnov
// test, robust z-scores (median / MAD), great-circle distance.

/** Quantile (linear interpolation, type 7) of an ascending-sorted array; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  return quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

/** Kolmogorov distribution tail Q_KS(λ) = 2 Σ (-1)^(k-1) exp(-2 k² λ²). */
function qks(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  for (let k = 1; k <= 100; k++) {
    const term = sign * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface KsResult {
  /** Largest distance between the two empirical CDFs. */
  readonly d: number;
  /** Asymptotic p-value (Stephens' small-sample correction). */
  readonly p: number;
}

/** Two-sample Kolmogorov-Smirnov test. */
export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  if (a.length === 0 || b.length === 0) return { d: 0, p: 1 };
  const x = [...a].sort((u, v) => u - v);
  const y = [...b].sort((u, v) => u - v);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const ne = (x.length * y.length) / (x.length + y.length);
  const sq = Math.sqrt(ne);
  return { d, p: qks((sq + 0.12 + 0.11 / sq) * d) };
}

/**
 * Robust z-score of `value` against `others`: (value − median) / (1.4826 · MAD), with the scale
 * floored at `minScale` so that a near-constant neighbourhood does not turn noise into outliers.
 */
export function robustZ(value: number, others: readonly number[], minScale: number): number {
  const m = median(others);
  const mad = median(others.map((o) => Math.abs(o - m)));
  return (value - m) / Math.max(1.4826 * mad, minScale);
}

/** Great-circle distance in km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}
