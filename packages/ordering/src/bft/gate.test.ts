// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputGate } from './gate.js';

test('output produced after a write leaves only once a sync covers that write, and always in order', () => {
  const gate = new OutputGate();
  const out: string[] = [];
  gate.output(() => out.push('heartbeat')); // nothing pending: leaves at once
  assert.deepEqual(out, ['heartbeat']);

  gate.wrote(); // write 1: the vote
  gate.output(() => out.push('prepare'));
  gate.output(() => out.push('forward')); // depends on no new write, but may not overtake
  const syncUpTo = gate.writes; // a sync starts, covering write 1
  gate.wrote(); // write 2 during the sync
  gate.output(() => out.push('commit'));
  assert.deepEqual(out, ['heartbeat']);
  assert.equal(gate.held, 3);

  gate.synced(syncUpTo);
  assert.deepEqual(out, ['heartbeat', 'prepare', 'forward'], 'write 2 is not durable yet');
  assert.equal(gate.unsynced, 1);
  gate.synced(gate.writes);
  assert.deepEqual(out, ['heartbeat', 'prepare', 'forward', 'commit']);
  assert.equal(gate.held, 0);
  assert.equal(gate.unsynced, 0);
});

test('writes that synced before returning hold nothing; a stale sync answer moves nothing back', () => {
  const gate = new OutputGate();
  const out: number[] = [];
  gate.wrote(true);
  gate.output(() => out.push(1));
  assert.deepEqual(out, [1]);
  gate.wrote();
  gate.output(() => out.push(2));
  gate.synced(1); // an older sync settling late
  assert.deepEqual(out, [1]);
  gate.synced(5); // beyond the writes made: capped
  assert.deepEqual(out, [1, 2]);
  gate.wrote();
  gate.output(() => out.push(3));
  assert.deepEqual(out, [1, 2], 'write 3 still pending');
});

test('a release that throws stops the releases after it, which stay held', () => {
  const gate = new OutputGate();
  const out: string[] = [];
  gate.wrote();
  gate.output(() => {
    throw new Error('listener failed');
  });
  gate.output(() => out.push('after'));
  assert.throws(() => gate.synced(1), /listener failed/);
  assert.deepEqual(out, []);
  assert.equal(gate.held, 1);
});
