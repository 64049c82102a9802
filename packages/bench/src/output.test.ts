// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceScale, lineChart } from './svg';
import { parseProcStat, cpuBetween } from './proc';
import { openLoopSchedule, readingsPerMeter } from './load';

test('/proc/<pid>/stat fields are read after the command name, even one with spaces and parentheses', () => {
  // pid (comm) state ppid ... utime(14) stime(15) ... rss(24)
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 1));
  fields[13] = '250';
  fields[14] = '50';
  fields[23] = '1024';
  const line = `4242 (node (devnet) x) ${fields.slice(2).join(' ')}`;
  assert.deepEqual(parseProcStat(line), { utimeTicks: 250, stimeTicks: 50, rssPages: 1024 });
  const use = cpuBetween({ cpuMs: 1000, rssBytes: 0, atMs: 0 }, { cpuMs: 2500, rssBytes: 64 * 1024 * 1024, atMs: 1000 });
  assert.deepEqual(use, { cores: 1.5, cpuMs: 1500, rssMiB: 64 });
});

test('open-loop arrivals follow the offered rate, in time order, spread round robin over the meters', () => {
  const s = openLoopSchedule(500, 20, 1000, 'seed');
  assert.ok(Math.abs(s.timeMs.length - 10_000) < 400, `${s.timeMs.length} arrivals`); // Poisson: sd 100
  for (let i = 1; i < s.timeMs.length; i++) assert.ok(s.timeMs[i]! >= s.timeMs[i - 1]!);
  const counts = readingsPerMeter(s, 1000);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    s.timeMs.length,
  );
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
});

test('charts: round axis scales and one path per series, with the x ticks given', () => {
  assert.deepEqual(niceScale(380), { top: 400, step: 100 });
  assert.deepEqual(niceScale(12.3), { top: 12.5, step: 2.5 });
  const svg = lineChart({
    title: 'T',
    xLabel: 'clients',
    leftLabel: 'tx/s',
    rightLabel: 's',
    xTicks: [50, 600, 1200],
    series: [
      {
        label: 'throughput',
        color: '#000',
        axis: 'left',
        points: [
          [50, 100],
          [600, 300],
          [1200, 260],
        ],
      },
      {
        label: 'latency',
        color: '#888',
        axis: 'right',
        dashed: true,
        points: [
          [50, 0.2],
          [600, 1],
          [1200, 12],
        ],
      },
    ],
  });
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.match(svg, />1200</);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // The highest throughput point sits at the top of a 0..300 (nice: 300) left axis: y = top margin.
  assert.match(svg, /M70\.0,[0-9.]+ L360\.0,48\.0 L650\.0,/);
});
