// SPDX-License-Identifier: Apache-2.0
// Surveillance report renderings: a terminal summary and a self-contained HTML page with SVG charts.
import { escapeHtml, htmlDocument, svgBarChart } from '@metroledger/audit';
import { HISTOGRAM_BIN_KMH, type SurveilReport } from './surveil';
import type { PublicSurveilReport } from './pseudonym';

function pseudonymLine(r: SurveilReport): string | undefined {
  const p = (r as Partial<PublicSurveilReport>).pseudonyms;
  return p === undefined ? undefined : `meters under pseudonyms (${p.scheme}, ${p.rotation === 'day' ? 'daily' : `${p.rotation}ly`} rotation, period ${p.period}); locations and ledger references left out`;
}

export function formatSurveilText(r: SurveilReport, opts: { limit?: number } = {}): string {
  const limit = opts.limit ?? 40;
  const lines = [
    `metroledger surveil — ${r.source}`,
    ...(pseudonymLine(r) === undefined ? [] : [pseudonymLine(r)!]),
    `${r.blocks} blocks, ${r.transactions} transactions, ${r.readings} readings, ${r.measured} measured, ${r.violations} over the limit (${(r.violationRate * 100).toFixed(2)} %), ${r.meters.length} meters`,
    `meter        readings  measured  refused  mean  p85  p95  violations`,
  ];
  for (const m of r.meters) {
    lines.push(`${m.meterId.padEnd(12)} ${String(m.readings).padStart(8)}  ${String(m.measured).padStart(8)}  ${String(m.refused).padStart(7)}  ${m.meanKmh.toFixed(1).padStart(5)} ${m.p85Kmh.toFixed(0).padStart(4)} ${m.p95Kmh.toFixed(0).padStart(4)}  ${(m.violationRate * 100).toFixed(1).padStart(6)} %`);
  }
  const codes = Object.entries(r.flagCounts);
  lines.push(codes.length === 0 ? 'flags: none' : `flags: ${codes.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const f of r.flags.slice(0, limit)) {
    lines.push(`  ${f.code} meter ${f.meterId}${f.sequence === undefined ? '' : ` seq ${f.sequence}`}${f.blockNum === undefined ? '' : ` block ${f.blockNum}`}: ${f.message}`);
  }
  if (r.flags.length > limit) lines.push(`  … ${r.flags.length - limit} more (see --json)`);
  return lines.join('\n') + '\n';
}

/** Readings per hour (all meters) as an SVG column chart. */
function hourlyChart(r: SurveilReport): string {
  const byHour = new Map<string, { readings: number; violations: number }>();
  for (const h of r.hourly) {
    const e = byHour.get(h.hour) ?? { readings: 0, violations: 0 };
    e.readings += h.readings;
    e.violations += h.violations;
    byHour.set(h.hour, e);
  }
  const hours = [...byHour.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (hours.length === 0) return '<p>No readings.</p>';
  const width = 900;
  const height = 180;
  const bw = Math.max(2, Math.min(40, (width - 60) / hours.length - 2));
  const max = Math.max(1, ...hours.map(([, e]) => e.readings));
  const bars = hours
    .map(([hour, e], i) => {
      const x = 50 + i * (bw + 2);
      const h = ((height - 40) * e.readings) / max;
      const hv = ((height - 40) * e.violations) / max;
      return `<rect x="${x}" y="${(height - 20 - h).toFixed(1)}" width="${bw}" height="${h.toFixed(1)}" fill="#3f6fb5"><title>${escapeHtml(hour)}: ${e.readings} readings</title></rect><rect x="${x}" y="${(height - 20 - hv).toFixed(1)}" width="${bw}" height="${hv.toFixed(1)}" fill="#c62828"><title>${e.violations} over the limit</title></rect>`;
    })
    .join('');
  const first = hours[0]![0].slice(0, 13).replace('T', ' ');
  const last = hours[hours.length - 1]![0].slice(0, 13).replace('T', ' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="readings per hour"><text x="4" y="14">${max}</text><text x="4" y="${height - 22}">0</text>${bars}<text x="50" y="${height - 4}">${escapeHtml(first)}h UTC</text><text x="${width - 10}" y="${height - 4}" text-anchor="end">${escapeHtml(last)}h UTC</text></svg>`;
}

export function formatSurveilHtml(r: SurveilReport): string {
  const hist = svgBarChart(r.histogram.map((n, i) => ({ label: i === r.histogram.length - 1 ? `≥ ${i * HISTOGRAM_BIN_KMH} km/h` : `${i * HISTOGRAM_BIN_KMH}–${(i + 1) * HISTOGRAM_BIN_KMH} km/h`, value: n })), { title: 'speed distribution' });
  const rates = svgBarChart(r.meters.map((m) => ({ label: m.meterId, value: Math.round(m.violationRate * 1000) / 10, color: r.flags.some((f) => f.meterId === m.meterId) ? '#c62828' : '#3f6fb5' })), { title: 'violation rate (%) per meter' });
  const meterRows = r.meters
    .map((m) => `<tr><td>${escapeHtml(m.meterId)}</td><td>${escapeHtml(m.location ?? '')}</td><td class="num">${m.speedLimitKmh ?? ''}</td><td class="num">${m.readings}</td><td class="num">${m.measured}</td><td class="num">${m.refused}</td><td class="num">${m.meanKmh}</td><td class="num">${m.p85Kmh}</td><td class="num">${m.p95Kmh}</td><td class="num">${(m.violationRate * 100).toFixed(1)} %</td></tr>`)
    .join('\n');
  const flagRows = r.flags
    .map((f) => `<tr><td><code>${f.code}</code></td><td>${escapeHtml(f.meterId)}</td><td class="num">${f.sequence ?? ''}</td><td class="num">${f.blockNum ?? ''}</td><td><code>${escapeHtml(f.txId ?? '')}</code></td><td>${escapeHtml(f.message)}</td></tr>`)
    .join('\n');
  const body = `<h1>metroledger surveil</h1>
<p class="muted">${escapeHtml(r.source)} — generated ${escapeHtml(r.generatedAt)}${pseudonymLine(r) === undefined ? '' : ` — ${escapeHtml(pseudonymLine(r)!)}`}</p>
<p>${r.blocks} blocks, ${r.transactions} transactions, ${r.readings} readings, ${r.measured} measured, ${r.violations} over the limit (${(r.violationRate * 100).toFixed(2)} %), ${r.meters.length} meters, <strong>${r.flags.length} flag(s)</strong>.</p>
<h2>Readings per hour (red: over the limit)</h2>
${hourlyChart(r)}
<h2>Speed distribution (all meters)</h2>
${hist}
<h2>Violation rate per meter (red: flagged)</h2>
${rates}
<h2>Meters</h2>
<table><thead><tr><th>meter</th><th>location</th><th class="num">limit</th><th class="num">readings</th><th class="num">measured</th><th class="num">refused</th><th class="num">mean</th><th class="num">p85</th><th class="num">p95</th><th class="num">over limit</th></tr></thead><tbody>
${meterRows}
</tbody></table>
<h2>Flags</h2>
${r.flags.length === 0 ? '<p>None.</p>' : `<table><thead><tr><th>flag</th><th>meter</th><th class="num">seq</th><th class="num">block</th><th>tx id</th><th>what</th></tr></thead><tbody>\n${flagRows}\n</tbody></table>`}
<p class="muted">Flags are leads for a closer look, not verdicts. Thresholds: KS p &lt; ${r.options.alpha} on the last ${r.options.recentShare * 100} % of each meter's readings; |robust z| &gt; ${r.options.zThreshold} against ${r.options.neighbours} nearest meters; capture-time skew &gt; ${r.options.maxSkewMs / 1000} s.</p>`;
  return htmlDocument(`metroledger surveil — ${r.flags.length} flag(s)`, body);
}
