// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatCpuSeconds, processCpuSeconds, selfCpuSeconds } from './cpu.js';

test('/proc stat: utime + stime after a command name with spaces and parentheses', () => {
  const line = '4242 (node (cc) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 130 0 0 20 0 11 0 123 456 789';
  assert.equal(parseStatCpuSeconds(line, 100), 3.8);
});

test('this process: /proc counts the CPU a busy loop uses, as process.cpuUsage does', () => {
  const before = processCpuSeconds(process.pid)!;
  const selfBefore = selfCpuSeconds();
  // busy until 0.3 s of CPU are used (not of wall time: the machine may be shared)
  // (the loop's work is deterministic: randomness adds nothing to burning CPU)
  let sink = 0;
  for (let i = 0; selfCpuSeconds() - selfBefore < 0.3; i++) sink += Math.sqrt(i);
  assert.ok(sink > 0);
  const used = processCpuSeconds(process.pid)! - before;
  assert.ok(used >= 0.25 && used < 0.5, `${used} s`);
  assert.equal(processCpuSeconds(2 ** 22 + 12345), undefined);
});
