// SPDX-License-Identifier: Apache-2.0
// Charts on uPlot: time series that update in place as sections arrive, and one reading's loop signals.
// Every axis says its unit; legends sit under the plot (uPlot's table), so they never cover a line.
import uPlot from 'uplot';
import type { ActivitySection, ReadingDetail } from '../api.js';

const HEIGHT = 230;
const BLUE = '#1f5fa8';
const RED = '#b3261e';
const GREEN = '#1e7d3a';
const ORANGE = '#c76a00';

function sized(el: HTMLElement, make: (width: number) => uPlot): uPlot {
  const u = make(Math.max(320, el.clientWidth));
  // The axes are drawn on the canvas: say what they show to screen readers (and tests) too.
  el.setAttribute('role', 'img');
  el.setAttribute(
    'aria-label',
    u.axes
      .map((a) => a.label ?? '')
      .filter((l) => l !== '')
      .join(' against '),
  );
  new ResizeObserver(() => {
    const w = Math.max(320, el.clientWidth);
    if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: HEIGHT });
  }).observe(el);
  return u;
}

const unit =
  (suffix: string, digits = 0) =>
  (_u: uPlot, v: number | null) =>
    v === null || v === undefined ? '–' : `${v.toFixed(digits)} ${suffix}`;

/** Time axis in local time: uPlot picks readable steps (seconds, minutes) for the window shown. */
function timeAxis(): uPlot.Axis {
  return { label: 'local time', labelSize: 18, stroke: '#5d6b7a', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#dde3ea' } };
}

function valueAxis(label: string): uPlot.Axis {
  return { label, labelSize: 18, size: 56, stroke: '#5d6b7a', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#dde3ea' } };
}

export interface LiveChart {
  update(series: ActivitySection['series']): void;
}

function xs(series: ActivitySection['series']): number[] {
  return series.transactions.map((_, i) => series.fromSec + i);
}

/** Transactions, invalid transactions and readings committed per second. */
export function throughputChart(el: HTMLElement): LiveChart {
  const u = sized(
    el,
    (width) =>
      new uPlot(
        {
          width,
          height: HEIGHT,
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] } },
          series: [
            { label: 'time', value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleTimeString()) },
            { label: 'transactions committed', stroke: BLUE, width: 1.5, value: unit('tx/s') },
            { label: 'readings recorded', stroke: GREEN, width: 1.5, value: unit('readings/s') },
            { label: 'invalid transactions', stroke: RED, width: 1.5, value: unit('tx/s') },
          ],
          axes: [timeAxis(), valueAxis('per second')],
        },
        [[], [], [], []],
        el,
      ),
  );
  return { update: (s) => u.setData([xs(s), [...s.transactions], [...s.readings], [...s.invalid]]) };
}

/** Commit latency per second: median and maximum. */
export function latencyChart(el: HTMLElement): LiveChart {
  const u = sized(
    el,
    (width) =>
      new uPlot(
        {
          width,
          height: HEIGHT,
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(50, (max ?? 0) * 1.1)] } },
          series: [
            { label: 'time', value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleTimeString()) },
            { label: 'median latency', stroke: BLUE, width: 1.5, value: unit('ms') },
            { label: 'maximum latency', stroke: ORANGE, width: 1.5, value: unit('ms') },
          ],
          axes: [timeAxis(), valueAxis('commit latency (ms)')],
        },
        [[], [], []],
        el,
      ),
  );
  return { update: (s) => u.setData([xs(s), [...s.latencyP50Ms], [...s.latencyMaxMs]]) };
}

/** One reading's raw loop signals against time since the start of its capture window. */
export function signalChart(el: HTMLElement, r: ReadingDetail): uPlot {
  const n = Math.max(r.loopA.length, r.loopB.length);
  const x = Array.from({ length: n }, (_, i) => (i * 1000) / r.sampleRateHz);
  const pad = (a: readonly number[]) => Array.from({ length: n }, (_, i) => (i < a.length ? a[i]! : null));
  return sized(
    el,
    (width) =>
      new uPlot(
        {
          width,
          height: HEIGHT,
          scales: { x: { time: false } },
          series: [
            { label: 'time', value: unit('ms', 1) },
            { label: 'loop A (entry)', stroke: BLUE, width: 1.25, value: unit('counts') },
            { label: 'loop B (exit)', stroke: RED, width: 1.25, value: unit('counts') },
          ],
          axes: [{ ...valueAxis('time since the capture window opened (ms)'), size: 40 }, valueAxis('loop signal (ADC counts)')],
        },
        [x, pad(r.loopA), pad(r.loopB)],
        el,
      ),
  );
}
