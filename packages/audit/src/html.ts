// SPDX-License-Identifier: Apache-2.0
// Self-contained HTML building blocks (inline CSS and SVG, no external assets), shared with surveil.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{padding:.3rem .5rem;border-bottom:1px solid #eef;text-align:left;vertical-align:top}
th{background:#f4f6fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict{display:inline-block;padding:.3rem .8rem;border-radius:4px;font-weight:700;color:#fff}
.PASS{background:#2e7d32}.PASS_WITH_WARNINGS{background:#b26a00}.FAIL{background:#c62828}
.error{color:#c62828;font-weight:600}.warning{color:#b26a00;font-weight:600}.info{color:#555}
.muted{color:#667}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}.kv div:nth-child(odd){color:#556}
svg text{font:11px system-ui,sans-serif;fill:#334}
`;

/** A complete HTML document with the shared stylesheet inline. */
export function htmlDocument(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>\n${body}\n</body></html>\n`;
}

/** A horizontal bar chart as inline SVG. */
export function svgBarChart(
  items: readonly { label: string; value: number; color?: string }[],
  opts: { width?: number; barHeight?: number; title?: string } = {},
): string {
  const width = opts.width ?? 640;
  const bh = opts.barHeight ?? 18;
  const labelW = Math.min(260, 8 + 7 * Math.max(4, ...items.map((i) => i.label.length)));
  const max = Math.max(1, ...items.map((i) => i.value));
  const h = items.length * (bh + 4) + 4;
  const bars = items
    .map((it, k) => {
      const y = 2 + k * (bh + 4);
      const w = Math.max(1, ((width - labelW - 60) * it.value) / max);
      return `<text x="${labelW - 6}" y="${y + bh * 0.72}" text-anchor="end">${escapeHtml(it.label)}</text><rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${bh}" fill="${it.color ?? '#3f6fb5'}"/><text x="${(labelW + w + 4).toFixed(1)}" y="${y + bh * 0.72}">${it.value}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" role="img"${opts.title === undefined ? '' : ` aria-label="${escapeHtml(opts.title)}"`}>${bars}</svg>`;
}
