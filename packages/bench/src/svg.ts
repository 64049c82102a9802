// SPDX-License-Identifier: Apache-2.0
// Charts in the style of the paper's Figures 4 and 5: throughput (tx/s, left axis) and latency
// (s, right axis) against the number of clients, as plain SVG (no dependency, stable output).

export interface Series {
  readonly label: string;
  readonly color: string;
  /** 'left' or 'right' axis. */
  readonly axis: 'left' | 'right';
  readonly dashed?: boolean;
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly leftLabel: string;
  readonly rightLabel?: string;
  readonly series: readonly Series[];
  /** Category x axis (evenly spaced ticks at these values), as the paper's figures. */
  readonly xTicks: readonly number[];
}

const W = 720,
  H = 420,
  L = 70,
  R = 70,
  T = 48,
  B = 70;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round upper bound for an axis and its tick step. */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: 0.25 };
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1);
}

export function lineChart(spec: ChartSpec): string {
  const pw = W - L - R,
    ph = H - T - B;
  const xi = (x: number) => {
    const i = spec.xTicks.indexOf(x);
    const n = spec.xTicks.length;
    return L + (n === 1 ? pw / 2 : (i * pw) / (n - 1));
  };
  const scale = (axis: 'left' | 'right') =>
    niceScale(Math.max(0, ...spec.series.filter((s) => s.axis === axis).flatMap((s) => s.points.map((p) => p[1]))));
  const left = scale('left'),
    right = scale('right');
  const y = (v: number, axis: 'left' | 'right') => T + ph - (v / (axis === 'left' ? left.top : right.top)) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(spec.title)}</text>`);
  for (let v = 0; v <= left.top + 1e-9; v += left.step) {
    const yy = y(v, 'left');
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${yy + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  if (spec.rightLabel !== undefined) {
    for (let v = 0; v <= right.top + 1e-9; v += right.step) out.push(`<text x="${L + pw + 6}" y="${y(v, 'right') + 4}">${fmt(v)}</text>`);
    out.push(`<text transform="translate(${W - 18} ${T + ph / 2}) rotate(90)" text-anchor="middle">${esc(spec.rightLabel)}</text>`);
  }
  for (const x of spec.xTicks) out.push(`<text x="${xi(x)}" y="${T + ph + 18}" text-anchor="middle">${x}</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${L + pw / 2}" y="${H - 36}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.leftLabel)}</text>`);
  const legendWidth = 12 + 30 + 7 * Math.max(0, ...spec.series.map((s) => s.label.length));
  out.push(
    `<rect x="${L + 4}" y="${T + 4}" width="${legendWidth}" height="${spec.series.length * 17 + 6}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`,
  );
  spec.series.forEach((s, i) => {
    const pts = s.points.filter((p) => spec.xTicks.includes(p[0]) && Number.isFinite(p[1]));
    const path = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${xi(p[0]).toFixed(1)},${y(p[1], s.axis).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of pts) {
      const cx = xi(p[0]).toFixed(1),
        cy = y(p[1], s.axis).toFixed(1);
      out.push(
        s.axis === 'left'
          ? `<circle cx="${cx}" cy="${cy}" r="4" fill="${s.color}"/>`
          : `<rect x="${Number(cx) - 4}" y="${Number(cy) - 4}" width="8" height="8" fill="${s.color}"/>`,
      );
    }
    const lx = L + 12,
      ly = T + 18 + i * 17;
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    out.push(`<text x="${lx + 30}" y="${ly}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
