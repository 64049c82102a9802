// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeProfiles, type CpuProfile } from './profile.js';

test('profile summary: self time per function and package, idle left out, several profiles merged', () => {
  const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('(idle)', '') },
      { id: 3, callFrame: frame('verifyReading', 'file:///tmp/x/src/lib/@metroledger/lr/dist/signature.js', 9) },
      { id: 4, callFrame: frame('serializeBinary', 'file:///repo/node_modules/google-protobuf/google-protobuf.js') },
      { id: 5, callFrame: frame('(garbage collector)', '') },
    ],
    samples: [2, 3, 3, 4, 5, 2],
    timeDeltas: [5000, 1000, 1000, 1000, 1000, 9000],
    startTime: 0,
    endTime: 18000,
  };
  const s = summarizeProfiles([profile, profile]);
  assert.equal(s.busyMs, 8);
  assert.deepEqual(s.functions[0], {
    name: 'verifyReading src/lib/@metroledger/lr/dist/signature.js:10'.replace('src/', '/tmp/x/src/'),
    ms: 4,
    share: 0.5,
  });
  assert.deepEqual(
    s.packages.map((p) => p.name),
    ['@metroledger/lr (packaged)', 'google-protobuf', '(native, GC, program)'],
  );
});

test('profile summary: only the samples inside the given windows of the monotonic clock', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: 'startup', url: '', lineNumber: 0 } },
      { id: 2, callFrame: { functionName: 'work', url: '', lineNumber: 0 } },
    ],
    samples: [1, 1, 2, 2, 1],
    timeDeltas: [100, 100, 100, 100, 100],
    startTime: 1_000,
    endTime: 1_500,
  };
  const s = summarizeProfiles([profile], 20, [[1_250, 1_420]]);
  assert.deepEqual(
    s.functions.map((f) => [f.name, f.ms]),
    [['work', 0.2]],
  );
});
