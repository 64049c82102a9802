// SPDX-License-Identifier: Apache-2.0
// Inline SVG charts of a bounded size whatever the data: column charts with a labelled y axis and
// x labels that never repeat or collide, legends in their own row above the plot, units on both
// axes, and horizontal bar charts of a few rows (top-N, not every meter).
import { escapeHtml } from '@metroledger/audit';

const FONT = 'font-family="system-ui,sans-serif" font-size="11" fill="#334"';
const CHAR_PX = 6.2; // mean width of an 11 px system-ui character, for laying out labels

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

export interface ColumnChartOptions {
  readonly title: string;
  /** One label per column (e.g. an hour, a speed bin): its tooltip, and its tick unless `tick` says otherwise. */
  readonly labels: readonly string[];
  /** The tick text of column i given the previous column that got a tick (e.g. the date only where it changes). */
  readonly tick?: (i: number, previous: number | undefined) => string;
  /** Drawn over each other from the first (the tallest, e.g. all readings) to the last (e.g. those over the limit). */
  readonly series: readonly Series[];
  readonly yUnit: string;
  readonly xUnit: string;
  readonly width?: number;
  readonly height?: number;
}

/** 1, 2 or 5 times a power of ten, at least `x`. */
function niceCeil(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= x)!;
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** A column chart: y axis with 5 gridlines and its unit, x labels thinned so that none overlaps, a legend row above. */
export function columnChart(o: ColumnChartOptions): string {
  const width = o.width ?? 900;
  const height = o.height ?? 260;
  const left = 64;
  const right = 12;
  const top = 34; // the legend row lives above the plot
  const bottom = 44;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const n = o.labels.length;
  const max = niceCeil(Math.max(1, ...o.series.flatMap((s) => s.values)));
  const slot = plotW / Math.max(1, n);
  const bar = Math.max(1, Math.min(48, slot * 0.8));
  const y = (v: number): number => top + plotH - (plotH * v) / max;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e6ee"/>`,
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" ${FONT}>${fmt(v)}</text>`,
    );
  }
  for (const s of o.series) {
    s.values.forEach((v, i) => {
      const x = left + i * slot + (slot - bar) / 2;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${s.color}"><title>${escapeHtml(o.labels[i]!)}: ${fmt(v)} ${escapeHtml(s.name)}</title></rect>`,
      );
    });
  }
  // x ticks: every k-th column, k chosen so that the longest tick keeps a gap; never the same text twice
  const tick = o.tick ?? ((i: number) => o.labels[i]!);
  const longest = Math.max(1, ...o.labels.map((_, i) => tick(i, undefined).length)) * CHAR_PX + 8;
  const every = Math.max(1, Math.ceil(longest / slot));
  let previous: number | undefined;
  let last = '';
  for (let i = 0; i < n; i += every) {
    const text = tick(i, previous);
    if (text === last) continue;
    last = text;
    previous = i;
    parts.push(
      `<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle" ${FONT}>${escapeHtml(text)}</text>`,
    );
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#99a"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" ${FONT}>${escapeHtml(o.xUnit)}</text>`);
  parts.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" ${FONT}>${escapeHtml(o.yUnit)}</text>`);
  let lx = left;
  for (const s of o.series) {
    parts.push(
      `<rect x="${lx}" y="10" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${lx + 16}" y="20" ${FONT}>${escapeHtml(s.name)}</text>`,
    );
    lx += 16 + s.name.length * CHAR_PX + 18;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(o.title)}">${parts.join('')}</svg>`;
}

export interface BarRow {
  readonly label: string;
  readonly value: number;
  readonly color?: string;
}

/** Horizontal bars, one row each: for a few rows (a top-N), with the value and its unit after each bar. */
export function barChart(rows: readonly BarRow[], o: { title: string; unit: string; width?: number }): string {
  const width = o.width ?? 640;
  const rowH = 22;
  const labelW = Math.min(220, 12 + CHAR_PX * Math.max(4, ...rows.map((r) => r.label.length)));
  const max = Math.max(1e-9, ...rows.map((r) => r.value));
  const plotW = width - labelW - 90;
  const parts = rows.map((r, i) => {
    const yy = 4 + i * rowH;
    const w = Math.max(1, (plotW * r.value) / max);
    return `<text x="${labelW - 6}" y="${yy + 14}" text-anchor="end" ${FONT}>${escapeHtml(r.label)}</text><rect x="${labelW}" y="${yy}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${r.color ?? '#3f6fb5'}"/><text x="${(labelW + w + 4).toFixed(1)}" y="${yy + 14}" ${FONT}>${fmt(r.value)} ${escapeHtml(o.unit)}</text>`;
  });
  const height = rows.length * rowH + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(o.title)}">${parts.join('')}</svg>`;
}
