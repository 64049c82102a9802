// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, TrafficMonitor, type TrafficProgress } from './progress';

/** A run of `planned` readings offered at `offered`/s for `scheduleS` s, of which the network settles `settles`/s. */
function simulate(opts: { planned: number; offered: number; settles: number; scheduleS: number }) {
  let now = 0;
  const monitor = new TrafficMonitor({ windowMs: 10_000, clock: () => now });
  const at = (seconds: number): TrafficProgress => {
    const due = Math.min(opts.planned, Math.floor(opts.offered * Math.min(seconds, opts.scheduleS)));
    const settled = Math.min(due, Math.floor(opts.settles * seconds));
    return {
      planned: opts.planned,
      due,
      captured: due,
      submitted: settled + Math.min(50, due - settled),
      committed: settled,
      abandoned: 0,
      inFlight: Math.min(50, due - settled),
      queued: due - settled - Math.min(50, due - settled),
      elapsedMs: seconds * 1000,
      scheduleMs: opts.scheduleS * 1000,
    };
  };
  return {
    monitor,
    /** Snapshots every half second up to `seconds`. */
    runTo(seconds: number) {
      for (let t = now / 1000 + 0.5; t <= seconds + 1e-9; t += 0.5) {
        now = t * 1000;
        monitor.update(at(t));
      }
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

test('a network that keeps up: the ETA is the time until the last vehicle passes, and there is no warning', () => {
  const run = simulate({ planned: 6000, offered: 100, settles: 100, scheduleS: 60 });
  run.runTo(20);
  const s = run.monitor.status();
  assert.equal(s.behind, false);
  assert.ok(Math.abs(s.commitRatePerS! - 100) < 2, `rate ${s.commitRatePerS}`);
  assert.ok(Math.abs(s.etaMs! - 40_000) < 1000, `eta ${s.etaMs}`);
  assert.equal(run.monitor.warning(), undefined);
});

test('a network slower than the city: warned once, with the measured rates, the backlog and when the run will end', () => {
  const run = simulate({ planned: 45_600, offered: 760, settles: 230, scheduleS: 60 });
  run.runTo(5);
  assert.equal(run.monitor.warning(), undefined, 'no warning before the window holds enough data');
  run.runTo(12);
  const s = run.monitor.status();
  assert.equal(s.behind, true);
  assert.equal(s.backlog, 760 * 12 - 230 * 12);
  // the run ends when every planned reading is settled at the measured rate
  assert.ok(Math.abs(s.etaMs! - ((45_600 - 230 * 12) / 230) * 1000) < 2000, `eta ${s.etaMs}`);
  const warning = run.monitor.warning();
  assert.ok(warning !== undefined);
  assert.match(warning, /settles 230 readings\/s \(last 10 s\) while the meters offer 760\/s/);
  assert.match(warning, new RegExp(`${760 * 12 - 230 * 12} readings wait`));
  assert.match(warning, /none lost/);
  assert.match(warning, /ends in about 3 min 6 s \(the last vehicle passes in 48 s\)/);
  run.runTo(20);
  assert.equal(run.monitor.warning(), undefined, 'said once, not at every snapshot');
  assert.equal(run.monitor.status().behind, true);
});

test('the ETA counts down between snapshots', () => {
  const run = simulate({ planned: 45_600, offered: 760, settles: 230, scheduleS: 60 });
  run.runTo(15);
  const before = run.monitor.status().etaMs!;
  run.advance(4000);
  assert.ok(Math.abs(before - run.monitor.status().etaMs! - 4000) < 1, 'four seconds later, four seconds less');
});

test('after the last vehicle the backlog drains: no new warning, the ETA is the backlog over the rate', () => {
  const run = simulate({ planned: 2000, offered: 200, settles: 150, scheduleS: 10 });
  run.runTo(11);
  run.monitor.warning();
  run.runTo(12);
  const s = run.monitor.status();
  assert.equal(s.behind, false, 'no vehicle passes any more: nothing is offered');
  assert.ok(Math.abs(s.etaMs! - ((2000 - 150 * 12) / 150) * 1000) < 500, `eta ${s.etaMs}`);
  run.runTo(14);
  assert.equal(run.monitor.status().etaMs, 0, 'every reading settled');
});

test('a network that catches up and falls behind again is warned again', () => {
  let now = 0;
  const monitor = new TrafficMonitor({ windowMs: 10_000, clock: () => now });
  let due = 0,
    settled = 0;
  const step = (offered: number, settles: number, seconds: number) => {
    for (let i = 0; i < seconds * 2; i++) {
      now += 500;
      due += offered / 2;
      settled = Math.min(due, settled + settles / 2);
      monitor.update({
        planned: 1e6,
        due,
        captured: due,
        submitted: settled,
        committed: settled,
        abandoned: 0,
        inFlight: 0,
        queued: due - settled,
        elapsedMs: now,
        scheduleMs: 1e6,
      });
    }
  };
  step(500, 200, 12);
  assert.ok(monitor.warning() !== undefined);
  step(100, 2000, 12); // catches up
  assert.equal(monitor.status().backlog, 0);
  assert.equal(monitor.warning(), undefined);
  step(500, 200, 12);
  assert.ok(monitor.warning() !== undefined, 'a second episode is a second warning');
});

test('durations read as a person says them', () => {
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(41_200), '41 s');
  assert.equal(formatDuration(185_000), '3 min 5 s');
  assert.equal(formatDuration(120_000), '2 min');
  assert.equal(formatDuration(3_720_000), '1 h 2 min');
  assert.equal(formatDuration(Infinity), 'unknown');
});
