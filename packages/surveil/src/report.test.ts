// SPDX-License-Identifier: Apache-2.0
// Reports that scale: São Paulo's 1,000 meters give a text summary of a screen and an HTML page of
// bounded charts, every meter under `all`; axis labels never repeat or collide; legends stay
// clear of the bars; units are shown; flag codes do not wrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatSurveilHtml,
  formatSurveilText,
  type Flag,
  type FlagCode,
  type HourlyStats,
  type MeterStats,
  type SurveilReport,
} from './index';

function report(meters: number, hours: number): SurveilReport {
  const stats: MeterStats[] = [];
  const hourly: HourlyStats[] = [];
  for (let i = 0; i < meters; i++) {
    const id = `SP-${String(i + 1).padStart(4, '0')}`;
    const rate = ((i * 37) % 100) / 1000; // 0 to 9.9 %
    stats.push({
      meterId: id,
      location: `Av. ${i}`,
      speedLimitKmh: 60,
      readings: 46,
      measured: 44,
      refused: 2,
      rejected: 0,
      violations: Math.round(44 * rate),
      violationRate: rate,
      meanKmh: 48 + (i % 7),
      stdKmh: 9,
      p50Kmh: 48,
      p85Kmh: 58,
      p95Kmh: 66,
      histogram: [],
    });
    for (let h = 0; h < hours; h++)
      hourly.push({
        meterId: id,
        hour: new Date(Date.UTC(2026, 4, 1, 7 + h)).toISOString(),
        readings: 46,
        measured: 44,
        violations: 2,
        meanKmh: 50,
        p85Kmh: 58,
      });
  }
  const codes: FlagCode[] = ['NEIGHBOUR_OUTLIER', 'SEQUENCE_GAP', 'CAPTURE_TIME_SKEW'];
  const flags: Flag[] = Array.from({ length: 37 }, (_, k) => ({
    code: codes[k % 3]!,
    meterId: stats[(k * 13) % meters]!.meterId,
    message: `something worth a look #${k}`,
    sequence: k,
    blockNum: 100 + k,
  }));
  const flagCounts: Partial<Record<FlagCode, number>> = {};
  for (const f of flags) flagCounts[f.code] = (flagCounts[f.code] ?? 0) + 1;
  return {
    source: 'test',
    generatedAt: '2026-05-01T09:00:00.000Z',
    blocks: 400,
    transactions: meters * 46,
    readings: meters * 46,
    measured: meters * 44,
    violations: meters * 2,
    violationRate: 0.045,
    meters: stats,
    hourly,
    histogram: [0, 0, 10, 200, 3000, 9000, 4000, 1000, 200, 50, 10, 0, 0, 0, 0, 0, 0, 0, 0, 5],
    flags,
    flagCounts,
    options: { recentShare: 0.25, alpha: 0.001, minSample: 30, neighbours: 5, zThreshold: 3.5, maxSkewMs: 300_000 },
  };
}

const svgs = (html: string): string[] => [...html.matchAll(/<svg [^>]*>[\s\S]*?<\/svg>/g)].map((m) => m[0]);
const attr = (el: string, name: string): number => Number(new RegExp(`${name}="([\\d.]+)"`).exec(el)![1]);

test('1,000 meters: a text summary of a screen, the top meters by violation rate, every meter with all', () => {
  const r = report(1000, 1);
  const text = formatSurveilText(r);
  const lines = text.trimEnd().split('\n');
  assert.ok(lines.length <= 45, `${lines.length} lines`);
  assert.match(text, /the 10 meters with the highest violation rate \(of 1,000; --all lists every meter\):/);
  assert.match(text, /meter +readings +measured +refused +mean km\/h +p85 km\/h +p95 km\/h +over limit +flags/);
  const firstRow = lines[lines.findIndex((l) => l.startsWith('meter ')) + 1]!;
  assert.match(firstRow, / 9\.9 % /, 'the highest rate first');
  assert.match(text, /flags \(the first 20 of 37; --all lists every flag, --json gives their details\):/);
  assert.match(text, /speeds {6}mean \d+\.\d km\/h; 2,000 over the limit \(4\.50 % of measurements\)/);

  const all = formatSurveilText(r, { all: true }).trimEnd().split('\n');
  assert.ok(all.length >= 1000 + 37, `${all.length} lines`);
});

test('1,000 meters: every HTML chart keeps a bounded size and the tables list the top meters (all: every one)', () => {
  const r = report(1000, 1);
  const html = formatSurveilHtml(r);
  for (const svg of svgs(html)) assert.ok(attr(svg, 'height') <= 400 && attr(svg, 'width') <= 1000, svg.slice(0, 120));
  const rows = (page: string) => ({
    meters: (page.match(/<tr><td style="white-space:nowrap">SP-/g) ?? []).length,
    flags: (page.match(/<tr><td style="white-space:nowrap"><code/g) ?? []).length,
  });
  assert.deepEqual(rows(html), { meters: 10, flags: 37 });
  const everyMeter = formatSurveilHtml(r, { all: true });
  assert.deepEqual(rows(everyMeter), { meters: 1000, flags: 37 });
  for (const svg of svgs(everyMeter)) assert.ok(attr(svg, 'height') <= 600);
});

test('charts carry their units; flag codes do not wrap', () => {
  const html = formatSurveilHtml(report(50, 3));
  for (const unit of [
    'readings per hour',
    'speed (km/h)',
    'measurements',
    "share of a meter's measurements over its speed limit (%)",
    'hour of capture (UTC), 2026-05-01',
    'limit (km/h)',
    'mean (km/h)',
  ]) {
    assert.ok(html.includes(unit.replace(/'/g, '&#39;')), unit);
  }
  assert.match(html, / %<\/text>/, 'bar values with their unit');
  assert.match(html, /<td style="white-space:nowrap"><code style="white-space:nowrap">NEIGHBOUR_OUTLIER<\/code><\/td>/);
});

test('hourly axis: labels never repeat nor collide, over one day or several; the legend sits above the bars', () => {
  for (const hours of [1, 3, 48, 24 * 30]) {
    const hourly = svgs(formatSurveilHtml(report(20, hours)))[0]!;
    const labels = [...hourly.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle"[^>]*>([^<]*)<\/text>/g)]
      .filter((m) => !m[3]!.startsWith('hour of capture'))
      .map((m) => ({ x: Number(m[1]), text: m[3]! }));
    assert.ok(labels.length >= 1);
    assert.equal(
      new Set(labels.map((l) => l.text)).size,
      labels.length,
      `${hours} h: repeated labels ${labels.map((l) => l.text).join(' | ')}`,
    );
    for (let i = 1; i < labels.length; i++) {
      const gap = labels[i]!.x - labels[i - 1]!.x;
      assert.ok(
        gap >= ((labels[i]!.text.length + labels[i - 1]!.text.length) / 2) * 6.2,
        `${hours} h: ${labels[i - 1]!.text} and ${labels[i]!.text} collide`,
      );
    }
    const rects = [...hourly.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => ({
      y: Number(m[1]),
      h: Number(m[2]),
    }));
    const legend = rects.filter((r) => r.h === 12);
    const bars = rects.filter((r) => r.h !== 12);
    assert.equal(legend.length, 2);
    assert.ok(
      bars.every((b) => b.y >= Math.max(...legend.map((l) => l.y + l.h))),
      'the legend is clear of every bar',
    );
  }
});
