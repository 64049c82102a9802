// SPDX-License-Identifier: Apache-2.0
// The main job when the network (or the machine) is slower than the city: the load generator falls
// behind its schedule, and the user must still see readings commit; stopped, it says what became
// of every reading. A real devnet in this process, the real client over gRPC and TLS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { defaultLrPackage, startDevnet, type Devnet } from '@metroledger/devnet';
import type { TrafficProgress } from './progress';
import { devnetAccess } from './devnet';
import { gatewayTls, runSaoPaulo, type NetworkAccess } from './saopaulo';
import { ledgerSequences } from './testing/ledger';

let dir: string;
let devnet: Devnet;
let access: NetworkAccess;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-traffic-'));
  devnet = await startDevnet({ dataDir: dir, port: 0, ordering: 'solo', batch: { batchTimeoutMs: 20 } });
  access = await devnetAccess(devnet, await defaultLrPackage());
});

after(async () => {
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
});

test(
  'behind its schedule, the generator still lets the answers in: readings commit and progress is told while the rest are captured; stopped, every reading has a stated fate',
  { timeout: 180_000 },
  async () => {
    const stop = new AbortController();
    const seen: TrafficProgress[] = [];
    // time × 10^6: every vehicle of the 40 s has passed at once, so the generator is behind from the start
    const meters = 60;
    const report = await runSaoPaulo(
      access,
      {
        meters,
        seconds: 40,
        vehiclesPerSecond: 0.76,
        seed: 'behind',
        meterIdPrefix: 'BEH',
        speedup: 1e6,
        faultShare: 0.01,
        registrationConcurrency: 30,
      },
      {
        onProgress: (_, p) => {
          if (p === undefined) return;
          seen.push(p);
          if (p.committed >= 20) stop.abort();
        },
        signal: stop.signal,
      },
    );
    const t = report.traffic;
    assert.ok(t.planned > 1500, `${t.planned} readings`);
    const early = seen.find((p) => p.committed > 0);
    assert.ok(early !== undefined, 'readings committed');
    assert.ok(
      early.captured < early.planned,
      `the first commit was told after ${early.captured} of ${early.planned} readings were captured, not after all of them`,
    );
    assert.ok(
      seen.every((p) => p.due === p.planned && p.scheduleMs < 1),
      'the whole schedule was due at once',
    );

    assert.equal(report.interruptedIn, 'traffic');
    assert.equal(t.interrupted, true);
    const f = t.fates;
    assert.equal(f.committed + f.abandoned + f.inFlight + f.queued + f.notCaptured, t.planned, JSON.stringify(f));
    assert.ok(f.committed >= 20);
    assert.ok(f.queued + f.notCaptured > 0, 'stopped before the end');
    assert.equal(f.inFlight, 0, 'the network is up: every reading in flight settled within the grace period');
    assert.deepEqual(t.inFlightReadings, []);
    assert.equal(f.committed, t.committed);

    // On the ledger: exactly the committed readings, each meter's 1..k; nothing queued was submitted.
    const connection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, gatewayTls(access));
    const owner = new MetroledgerClient({ connection, ...access.meterOwner });
    try {
      let onLedger = 0;
      for (let m = 1; m <= meters; m++) {
        const seqs = await ledgerSequences(owner, `BEH-${String(m).padStart(4, '0')}`);
        assert.deepEqual(
          seqs,
          seqs.map((_, i) => i + 1),
          `meter ${m}: ${seqs.join(',')}`,
        );
        onLedger += seqs.length;
      }
      assert.equal(onLedger, f.committed);
    } finally {
      owner.close();
      connection.close();
    }
  },
);

test('stopped before the traffic: no reading is captured, and the report says so', { timeout: 120_000 }, async () => {
  const stop = new AbortController();
  const report = await runSaoPaulo(
    access,
    {
      meters: 20,
      seconds: 5,
      vehiclesPerSecond: 0.76,
      seed: 'early',
      meterIdPrefix: 'EARLY',
      speedup: 1,
      faultShare: 0.01,
      registrationConcurrency: 2,
    },
    {
      onPhase: (phase) => {
        if (phase === 'register') stop.abort();
      },
      signal: stop.signal,
    },
  );
  assert.equal(report.interruptedIn, 'register');
  assert.ok(report.registeredMeters < 20, `${report.registeredMeters} meters registered`);
  const t = report.traffic;
  assert.ok(t.planned > 0);
  assert.deepEqual(t.fates, { committed: 0, abandoned: 0, inFlight: 0, queued: 0, notCaptured: t.planned });
  assert.equal(t.submitted, 0);
});
