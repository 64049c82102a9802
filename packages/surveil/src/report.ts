// SPDX-License-Identifier: Apache-2.0
// Surveillance report renderings: a terminal summary and a self-contained HTML page with SVG
// charts, both of a bounded size whatever the number of meters: summaries and the top meters by
// default, every meter and every flag on request (`all`); units everywhere.
import { escapeHtml, htmlDocument } from '@metroledger/audit';
import { barChart, columnChart } from './charts';
import { HISTOGRAM_BIN_KMH, type Flag, type MeterStats, type SurveilReport } from './surveil';

export interface SurveilRenderOptions {
  /** Every meter and every flag (default: the top meters and the first flags). */
  readonly all?: boolean;
  /** Meters listed without `all` (the highest violation rates). Default 10. */
  readonly top?: number;
  /** Flags listed without `all`. Default 20 (text), 100 (HTML). */
  readonly flags?: number;
}

const n = (x: number): string => x.toLocaleString('en-US');
const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)} %`;

/** Present when the report was pseudonymized for publication. */
function pseudonymLine(r: SurveilReport): string | undefined {
  const p = (r as { pseudonyms?: { scheme: string; rotation: string; period: string } }).pseudonyms;
  return p === undefined
    ? undefined
    : `meters under pseudonyms (${p.scheme}, ${p.rotation === 'day' ? 'daily' : `${p.rotation}ly`} rotation, period ${p.period}); locations and ledger references left out`;
}

function flagsByMeter(r: SurveilReport): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of r.flags) out.set(f.meterId, (out.get(f.meterId) ?? 0) + 1);
  return out;
}

/** Meters with the highest violation rates first (then the most readings); every meter by id with `all`. */
function metersToList(r: SurveilReport, o: SurveilRenderOptions): MeterStats[] {
  if (o.all === true) return r.meters;
  return [...r.meters]
    .sort((a, b) => b.violationRate - a.violationRate || b.readings - a.readings || (a.meterId < b.meterId ? -1 : 1))
    .slice(0, o.top ?? 10);
}

function meanSpeed(r: SurveilReport): number {
  const measured = r.meters.reduce((a, m) => a + m.measured, 0);
  return measured === 0 ? 0 : r.meters.reduce((a, m) => a + m.meanKmh * m.measured, 0) / measured;
}

function flagSummary(r: SurveilReport): string {
  const codes = Object.entries(r.flagCounts).sort((a, b) => b[1]! - a[1]!);
  return codes.length === 0 ? 'none' : `${n(r.flags.length)}: ${codes.map(([k, c]) => `${k} ${n(c!)}`).join(', ')}`;
}

export function formatSurveilText(r: SurveilReport, o: SurveilRenderOptions = {}): string {
  const refused = r.meters.reduce((a, m) => a + m.refused, 0);
  const rejected = r.meters.reduce((a, m) => a + m.rejected, 0);
  const flagged = flagsByMeter(r);
  const lines = [
    `metroledger surveil — ${r.source}`,
    ...(pseudonymLine(r) === undefined ? [] : [pseudonymLine(r)!]),
    `ledger      ${n(r.blocks)} blocks, ${n(r.transactions)} transactions`,
    `readings    ${n(r.readings)} from ${n(r.meters.length)} meters: ${n(r.measured)} measured, ${n(refused)} refused by the LR software, ${n(rejected)} rejected`,
    `speeds      mean ${meanSpeed(r).toFixed(1)} km/h; ${n(r.violations)} over the limit (${pct(r.violationRate, 2)} of measurements)`,
    `flags       ${flagSummary(r)}${r.flags.length > 0 ? ' (leads for a closer look, not verdicts)' : ''}`,
    '',
  ];
  const meters = metersToList(r, o);
  const idW = Math.max(5, ...meters.map((m) => m.meterId.length));
  lines.push(
    o.all === true || meters.length === r.meters.length
      ? `meters (${n(r.meters.length)}):`
      : `the ${meters.length} meters with the highest violation rate (of ${n(r.meters.length)}; --all lists every meter):`,
    `${'meter'.padEnd(idW)}  readings  measured  refused  mean km/h  p85 km/h  p95 km/h  over limit  flags`,
  );
  for (const m of meters) {
    lines.push(
      `${m.meterId.padEnd(idW)}  ${n(m.readings).padStart(8)}  ${n(m.measured).padStart(8)}  ${n(m.refused).padStart(7)}  ${m.meanKmh.toFixed(1).padStart(9)}  ${m.p85Kmh.toFixed(0).padStart(8)}  ${m.p95Kmh.toFixed(0).padStart(8)}  ${pct(m.violationRate).padStart(10)}  ${String(flagged.get(m.meterId) ?? '').padStart(5)}`,
    );
  }
  if (r.flags.length > 0) {
    const limit = o.all === true ? r.flags.length : (o.flags ?? 20);
    const codeW = Math.max(...r.flags.map((f) => f.code.length));
    lines.push(
      '',
      limit >= r.flags.length
        ? `flags (${n(r.flags.length)}):`
        : `flags (the first ${limit} of ${n(r.flags.length)}; --all lists every flag, --json gives their details):`,
    );
    for (const f of r.flags.slice(0, limit)) lines.push(`  ${f.code.padEnd(codeW)}  ${f.meterId.padEnd(idW)}  ${flagWhere(f)}${f.message}`);
  }
  return lines.join('\n') + '\n';
}

function flagWhere(f: Flag): string {
  const at = [f.sequence === undefined ? '' : `seq ${f.sequence}`, f.blockNum === undefined ? '' : `block ${f.blockNum}`]
    .filter((s) => s !== '')
    .join(', ');
  return at === '' ? '' : `(${at}) `;
}

/** Readings and those over the limit per capture hour, all meters together. */
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
  const days = new Set(hours.map(([h]) => h.slice(0, 10)));
  const hourOf = (i: number): string => `${hours[i]![0].slice(11, 13)}:00`;
  const dayOf = (i: number): string => hours[i]![0].slice(0, 10);
  return columnChart({
    title: 'readings per hour',
    labels: hours.map(([h]) => `${h.slice(0, 10)} ${h.slice(11, 13)}:00 UTC`),
    // one day: the hour alone; several: the date on the first tick of each day
    tick: (i, previous) =>
      days.size === 1 || (previous !== undefined && dayOf(previous) === dayOf(i)) ? hourOf(i) : `${dayOf(i).slice(5)} ${hourOf(i)}`,
    series: [
      { name: 'readings', color: '#3f6fb5', values: hours.map(([, e]) => e.readings) },
      { name: 'over the speed limit', color: '#c62828', values: hours.map(([, e]) => e.violations) },
    ],
    yUnit: 'readings per hour',
    xUnit: `hour of capture (UTC)${days.size === 1 ? `, ${[...days][0]}` : ''}`,
  });
}

function speedChart(r: SurveilReport): string {
  const last = r.histogram.length - 1;
  return columnChart({
    title: 'speed distribution',
    labels: r.histogram.map((_, i) =>
      i === last ? `≥ ${i * HISTOGRAM_BIN_KMH}` : `${i * HISTOGRAM_BIN_KMH}–${(i + 1) * HISTOGRAM_BIN_KMH}`,
    ),
    series: [{ name: 'measurements', color: '#3f6fb5', values: r.histogram }],
    yUnit: 'measurements',
    xUnit: 'speed (km/h)',
  });
}

/** How many meters have each violation rate: one chart whatever the number of meters. */
function violationSpreadChart(r: SurveilReport): string {
  const measured = r.meters.filter((m) => m.measured > 0);
  if (measured.length === 0) return '<p>No measurements.</p>';
  const maxPct = Math.max(...measured.map((m) => m.violationRate * 100));
  const width = [1, 2, 5, 10, 20].find((w) => maxPct / w <= 20) ?? 20;
  const bins = Math.max(1, Math.floor(maxPct / width) + 1);
  const counts = new Array<number>(bins).fill(0);
  for (const m of measured) counts[Math.min(bins - 1, Math.floor((m.violationRate * 100) / width))]!++;
  return columnChart({
    title: 'meters by violation rate',
    labels: counts.map((_, i) => `${i * width}–${(i + 1) * width}`),
    series: [{ name: 'meters', color: '#3f6fb5', values: counts }],
    yUnit: 'meters',
    xUnit: "share of a meter's measurements over its speed limit (%)",
    height: 220,
  });
}

const CODE = 'style="white-space:nowrap"';

export function formatSurveilHtml(r: SurveilReport, o: SurveilRenderOptions = {}): string {
  const flagged = flagsByMeter(r);
  const meters = metersToList(r, o);
  const top = meters.slice(0, Math.min(meters.length, o.all === true ? 20 : (o.top ?? 10)));
  const topChart = barChart(
    top.map((m) => ({
      label: m.meterId,
      value: Math.round(m.violationRate * 1000) / 10,
      ...(flagged.has(m.meterId) && { color: '#c62828' }),
    })),
    { title: 'highest violation rates', unit: '%' },
  );
  const meterRows = meters
    .map(
      (m) =>
        `<tr><td ${CODE}>${escapeHtml(m.meterId)}</td><td>${escapeHtml(m.location ?? '')}</td><td class="num">${m.speedLimitKmh ?? ''}</td><td class="num">${n(m.readings)}</td><td class="num">${n(m.measured)}</td><td class="num">${n(m.refused)}</td><td class="num">${m.meanKmh.toFixed(1)}</td><td class="num">${m.p85Kmh.toFixed(0)}</td><td class="num">${m.p95Kmh.toFixed(0)}</td><td class="num">${pct(m.violationRate)}</td><td class="num">${flagged.get(m.meterId) ?? ''}</td></tr>`,
    )
    .join('\n');
  const flagLimit = o.all === true ? r.flags.length : (o.flags ?? 100);
  const flagRows = r.flags
    .slice(0, flagLimit)
    .map(
      (f) =>
        `<tr><td ${CODE}><code ${CODE}>${f.code}</code></td><td ${CODE}>${escapeHtml(f.meterId)}</td><td class="num">${f.sequence ?? ''}</td><td class="num">${f.blockNum ?? ''}</td><td><code>${escapeHtml(f.txId ?? '')}</code></td><td>${escapeHtml(f.message)}</td></tr>`,
    )
    .join('\n');
  const refused = r.meters.reduce((a, m) => a + m.refused, 0);
  const metersTitle =
    o.all === true || meters.length === r.meters.length
      ? `Meters (${n(r.meters.length)})`
      : `The ${meters.length} meters with the highest violation rate (of ${n(r.meters.length)}; <code>--all</code> lists every one)`;
  const body = `<h1>metroledger surveil</h1>
<p class="muted">${escapeHtml(r.source)} — generated ${escapeHtml(r.generatedAt)}${pseudonymLine(r) === undefined ? '' : ` — ${escapeHtml(pseudonymLine(r)!)}`}</p>
<div class="kv">
<div>ledger</div><div>${n(r.blocks)} blocks, ${n(r.transactions)} transactions</div>
<div>readings</div><div>${n(r.readings)} from ${n(r.meters.length)} meters: ${n(r.measured)} measured, ${n(refused)} refused by the LR software</div>
<div>speeds</div><div>mean ${meanSpeed(r).toFixed(1)} km/h; ${n(r.violations)} over the limit (${pct(r.violationRate, 2)} of measurements)</div>
<div>flags</div><div><strong>${escapeHtml(flagSummary(r))}</strong></div>
</div>
<h2>Readings per hour</h2>
${hourlyChart(r)}
<h2>Speed distribution, all meters</h2>
${speedChart(r)}
<h2>Meters by violation rate</h2>
${violationSpreadChart(r)}
<h2>Highest violation rates (red: flagged)</h2>
${topChart}
<h2>${metersTitle}</h2>
<table><thead><tr><th>meter</th><th>location</th><th class="num">limit (km/h)</th><th class="num">readings</th><th class="num">measured</th><th class="num">refused</th><th class="num">mean (km/h)</th><th class="num">p85 (km/h)</th><th class="num">p95 (km/h)</th><th class="num">over limit</th><th class="num">flags</th></tr></thead><tbody>
${meterRows}
</tbody></table>
<h2>Flags${r.flags.length > flagLimit ? ` (the first ${flagLimit} of ${n(r.flags.length)}; <code>--all</code> lists every one)` : ''}</h2>
${r.flags.length === 0 ? '<p>None.</p>' : `<table><thead><tr><th>flag</th><th>meter</th><th class="num">seq</th><th class="num">block</th><th>tx id</th><th>what</th></tr></thead><tbody>\n${flagRows}\n</tbody></table>`}
<p class="muted">Flags are leads for a closer look, not verdicts. Thresholds: KS p &lt; ${r.options.alpha} on the last ${r.options.recentShare * 100} % of each meter's readings; |robust z| &gt; ${r.options.zThreshold} against ${r.options.neighbours} nearest meters; capture-time skew &gt; ${r.options.maxSkewMs / 1000} s.</p>`;
  return htmlDocument(`metroledger surveil — ${r.flags.length} flag(s)`, body);
}
