// SPDX-License-Identifier: Apache-2.0
// The deterministic simulation as a test: targeted scenarios, exact replay, and proof that the
// checkers catch an unsafe protocol. The seed sweep across fault mixes is in seeds.test.ts, clusters
// of other sizes in sizes.test.ts (files of their own, so the runner runs them side by side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type SimulationOptions, type SimulationResult } from './simulator';

function expectOk(r: SimulationResult, opts?: object): void {
  if (!r.ok) {
    assert.fail(
      `seed ${r.seed} (mix ${r.mix}, n ${r.n}, options ${JSON.stringify(opts ?? {})}) failed:\n${r.violations.join('\n')}\n${r.traceTail.slice(-30).join('\n')}`,
    );
  }
}

test('a run replays exactly from its seed and options', () => {
  const a = runSimulation({ seed: 4242 });
  const b = runSimulation({ seed: 4242 });
  const c = runSimulation({ seed: 4243 });
  assert.equal(a.traceDigest, b.traceDigest);
  assert.deepEqual(a.faults, b.faults);
  assert.deepEqual(a.heights, b.heights);
  assert.deepEqual(a.traceTail, b.traceTail);
  assert.notEqual(a.traceDigest, c.traceDigest);
});

test('leader crash: the cluster changes view and keeps ordering', () => {
  const opts: Omit<SimulationOptions, 'seed'> = {
    faults: 'none',
    faultEndMs: 5_000,
    schedule: [{ atMs: 1_000, kind: 'crash', replica: 0 }],
  };
  for (let seed = 1; seed <= 5; seed++) {
    const lines: string[] = [];
    const r = runSimulation({ seed, ...opts, traceSink: (l) => lines.push(l) });
    expectOk(r, opts);
    assert.ok(r.maxView >= 1, 'a new view was installed');
    assert.ok(
      lines.some((l) => / newview /.test(l) && Number(l.split(' ')[0]) < 5_000),
      'view installed while the old leader was down',
    );
    assert.ok(
      lines.some((l) => / decide /.test(l) && Number(l.split(' ')[0]) > 3_000 && Number(l.split(' ')[0]) < 5_000),
      'progress without the old leader',
    );
  }
});

test('equivocating leader: different proposals to different replicas never split the log', () => {
  let equivocations = 0,
    viewChanges = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const opts = { faults: 'none' as const, byzantine: [{ replica: 0, mode: 'equivocate' as const }], requestIntervalMs: 20 };
    const r = runSimulation({ seed, ...opts });
    expectOk(r, opts);
    equivocations += r.faults.equivocations;
    viewChanges += r.viewChanges;
  }
  assert.ok(equivocations > 10, `equivocations injected: ${equivocations}`);
  assert.ok(viewChanges > 0, 'some equivocation forced a view change');
});

test('partition without a quorum stalls ordering safely, and the cluster recovers after healing', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const lines: string[] = [];
    const opts: Omit<SimulationOptions, 'seed'> = {
      faults: 'none',
      faultEndMs: 4_000,
      schedule: [
        {
          atMs: 1_000,
          kind: 'partition',
          groups: [
            [0, 1],
            [2, 3],
          ],
        },
        { atMs: 4_000, kind: 'heal' },
      ],
    };
    const r = runSimulation({ seed, ...opts, traceSink: (l) => lines.push(l) });
    expectOk(r, opts);
    const at = (l: string) => Number(l.split(' ')[0]);
    assert.equal(lines.filter((l) => / decide /.test(l) && at(l) > 1_500 && at(l) < 4_000).length, 0, 'no decision without a quorum');
    assert.ok(
      lines.some((l) => / decide /.test(l) && at(l) > 4_000),
      'decisions resume after heal',
    );
  }
});

test('a crashed replica restarts from its storage and catches up by state transfer', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const opts: Omit<SimulationOptions, 'seed'> = {
      faults: 'none',
      faultEndMs: 5_000,
      schedule: [
        { atMs: 300, kind: 'crash', replica: 3 },
        { atMs: 5_000, kind: 'restart', replica: 3 },
      ],
    };
    const r = runSimulation({ seed, ...opts });
    expectOk(r, opts);
    assert.ok(r.fetchedDecisions > 10, `fetched ${r.fetchedDecisions}`);
    assert.equal(new Set(r.heights).size, 1, `heights ${r.heights.join(',')}`);
  }
});

test('a small pool refuses submissions (POOL_FULL) and clients that retry still get everything ordered', () => {
  const opts = { faults: 'none' as const, replica: { poolSizeMax: 6 }, clients: 6, requestIntervalMs: 4 };
  const r = runSimulation({ seed: 3, ...opts });
  expectOk(r, opts);
  assert.ok(r.poolFullRefusals > 0, 'the pool filled up');
});

test('client resubmissions under faults are ordered once (validity checker)', () => {
  let resubmissions = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const r = runSimulation({ seed, faults: 'network' });
    expectOk(r, { faults: 'network' });
    resubmissions += r.clientResubmissions;
  }
  assert.ok(resubmissions > 50, `resubmissions: ${resubmissions}`);
});

test('HMAC-SHA256 crypto and in-memory (no wire) delivery behave the same', () => {
  for (let seed = 1; seed <= 4; seed++) {
    expectOk(runSimulation({ seed, crypto: 'hmac' }), { crypto: 'hmac' });
    expectOk(runSimulation({ seed, wire: false }), { wire: false });
  }
});

test('the checkers catch a deliberately broken protocol (quorum f+1 instead of bftQuorum(n))', () => {
  const opts = {
    faults: 'none' as const,
    byzantine: [{ replica: 0, mode: 'equivocate' as const }],
    requestIntervalMs: 20,
    unsafeQuorumForTesting: 2,
  };
  const failures = [];
  for (let seed = 1; seed <= 10; seed++) {
    const r = runSimulation({ seed, ...opts });
    if (!r.ok) failures.push(r);
  }
  assert.ok(failures.length > 0, 'no seed failed with a quorum of f+1');
  assert.ok(
    failures.some((r) => r.violations.some((v) => /safety|certificate/.test(v))),
    failures.map((r) => r.violations[0]).join('\n'),
  );
});
