// SPDX-License-Identifier: Apache-2.0
// No reading lost, none committed twice, while the network misbehaves as real Fabric does: endorsing
// peers behind the ledger (the gateway answers ABORTED … ProposalResponsePayloads do not match, or
// the transaction commits as MVCC_READ_CONFLICT) and orderer answers lost after the transaction was
// accepted. The faults are injected into the devnet's real endorsers and gateway; the client is the
// real one, over gRPC and TLS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { abandonReason, ClientError, MetroledgerClient, newGrpcConnection, type MetroledgerClientOptions } from '@metroledger/client';
import { defaultLrPackage, startDevnet, type Devnet } from '@metroledger/devnet';
import { devnetAccess, setUpSuiteRegistry } from './devnet';
import { gatewayTls, runSaoPaulo, type NetworkAccess } from './saopaulo';
import { ledgerSequences } from './testing/ledger';

const LASIGE = 'peer0.lasige.example.com';
const PUCPR = 'peer0.pucpr.example.com';
const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 2000 };

let dir: string;
let devnet: Devnet;
let access: NetworkAccess;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-lossless-'));
  devnet = await startDevnet({ dataDir: dir, port: 0, ordering: 'solo', batch: { batchTimeoutMs: 20 } });
  access = await devnetAccess(devnet, await defaultLrPackage());
});

after(async () => {
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the main job commits every reading exactly once while endorsers lag: mismatches and MVCC conflicts are retried', async () => {
  const report = await runSaoPaulo(
    access,
    {
      meters: 8,
      seconds: 6,
      vehiclesPerSecond: 0.76,
      seed: 'lossless',
      meterIdPrefix: 'LAG',
      speedup: 3,
      faultShare: 0.05,
      registrationConcurrency: 8,
    },
    {
      onPhase: (phase) => {
        if (phase !== 'traffic') return;
        // Both endorsers stale at first (they agree; the transaction commits as MVCC_READ_CONFLICT),
        // then PUCPR's alone (ProposalResponsePayloads do not match), then both caught up.
        devnet.faults.lagPeer(LASIGE, 15);
        devnet.faults.lagPeer(PUCPR, 45);
      },
    },
  );
  const t = report.traffic;
  assert.ok(t.planned >= 20, `${t.planned} readings`);
  assert.deepEqual(t.abandoned, {}, 'no reading abandoned');
  assert.equal(t.submitted, t.planned);
  assert.equal(t.committed, t.planned);
  assert.ok((t.retriesByCause['ENDORSEMENT_MISMATCH'] ?? 0) > 0, JSON.stringify(t.retriesByCause));
  assert.ok((t.retriesByCause['MVCC_READ_CONFLICT'] ?? 0) > 0, JSON.stringify(t.retriesByCause));

  // On the ledger: each meter's sequences 1..n, each once.
  const connection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, gatewayTls(access));
  const owner = new MetroledgerClient({ connection, ...access.meterOwner });
  try {
    let onLedger = 0;
    for (let m = 1; m <= 8; m++) {
      const seqs = await ledgerSequences(owner, `LAG-${String(m).padStart(4, '0')}`);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
        `meter ${m}: ${seqs.join(',')}`,
      );
      onLedger += seqs.length;
    }
    assert.equal(onLedger, t.planned);
  } finally {
    owner.close();
    connection.close();
  }
});

test('an orderer answer lost after the transaction was accepted: the reading is committed once and reported committed', async () => {
  const connection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, gatewayTls(access));
  const client = (options: Partial<MetroledgerClientOptions> = {}) =>
    new MetroledgerClient({ connection, ...access.meterOwner, ...options });
  const rng = newRng('lost-answers');
  const meter = Meter.create({ meterId: 'LOST-1', geometry: GEOMETRY });
  const reading = (m: Meter) => {
    const e = generateEvent(rng, { geometry: GEOMETRY, vehicleClass: 'car', speedKmh: 50 });
    return encodeSignedReading(m.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: 1_760_000_000_000 + rng.int(0, 1e6) }));
  };
  const resendOnly = client();
  const endorseAnew = client({ retry: { resubmitAttempts: 1 } });
  try {
    await setUpSuiteRegistry(access, [meter]);

    // The Submit is answered UNAVAILABLE although the orderer has it; the client endorses anew,
    // meets REPLAYED_SEQUENCE (or first MVCC), and the ledger shows its reading: success.
    const first = reading(meter);
    devnet.faults.loseSubmitAnswers(1);
    const a = await endorseAnew.submitReading(first);
    assert.equal(a.alreadyCommitted, true);
    assert.ok(a.attempts >= 2);
    assert.equal(a.record.sequence, 1);
    assert.equal((await endorseAnew.getMeasurement('LOST-1', 1)).txId, a.transactionId);
    assert.ok(a.blockNumber >= 0n, "the committing transaction was this submission's: its block is known");
    assert.equal(endorseAnew.stats.alreadyCommitted, 1);
    assert.ok((endorseAnew.stats.retriesByCause['COMMIT_UNKNOWN'] ?? 0) >= 1, JSON.stringify(endorseAnew.stats.retriesByCause));

    // Two answers lost: the same signed envelope is sent again; the ledger keeps it once.
    devnet.faults.loseSubmitAnswers(2);
    const b = await resendOnly.submitReading(reading(meter));
    assert.equal(b.alreadyCommitted, undefined);
    assert.equal(b.record.sequence, 2);
    assert.equal((await resendOnly.getMeasurement('LOST-1', 2)).txId, b.transactionId);
    assert.ok((resendOnly.stats.retriesByCause['UNAVAILABLE'] ?? 0) >= 1, JSON.stringify(resendOnly.stats.retriesByCause));

    // The same reading sent again (a client restarted mid-way): already on the ledger, success.
    const again = await resendOnly.submitReading(first);
    assert.deepEqual([again.alreadyCommitted, again.transactionId, again.blockNumber], [true, a.transactionId, -1n]);

    // Another reading under a taken sequence is abandoned, with its reason.
    const impostor = Meter.create({ meterId: 'LOST-1', geometry: GEOMETRY, privateKeyPem: meter.exportPrivateKeyPem(), lastSequence: 0 });
    const taken = await resendOnly.submitReading(reading(impostor)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(taken instanceof ClientError, String(taken));
    assert.equal(abandonReason(taken), 'ENDORSEMENT_FAILED/REPLAYED_SEQUENCE');
    assert.match(taken.message, /the ledger holds another reading under meter LOST-1 sequence 1/);

    // A meter the ledger does not know: retried for a while (a peer may lag), then abandoned with the chaincode's reason.
    const stranger = Meter.create({ meterId: 'LOST-404', geometry: GEOMETRY });
    const patient = client({ retry: { laggingPeerMs: 300 } });
    const unknown = await patient
      .submitReading(reading(stranger))
      .then(
        () => undefined,
        (e: unknown) => e,
      )
      .finally(() => patient.close());
    assert.ok(unknown instanceof ClientError);
    assert.equal(abandonReason(unknown), 'ENDORSEMENT_FAILED/METER_NOT_FOUND');
    assert.ok(unknown.attempts !== undefined && unknown.attempts > 1, `attempts ${unknown.attempts}`);
    assert.deepEqual(await ledgerSequences(resendOnly, 'LOST-1'), [1, 2]);
  } finally {
    resendOnly.close();
    endorseAnew.close();
    connection.close();
  }
});
