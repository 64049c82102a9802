// SPDX-License-Identifier: Apache-2.0
// A real full disk: the devnet's ledger directory is a small tmpfs that meters fill with readings.
// The `devnet up` process must halt with exit 74 and a message naming the path and ENOSPC, record
// the halt for `devnet status`, and, once the disk has room again, restart with every reading a
// client saw committed. Needs root to mount a tmpfs; skipped, saying so, where mounting fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { devnetAccess, setUpSuiteRegistry } from '@metroledger/scenario';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { Ledger, verifyLedgerFiles } from '@metroledger/ledger';
import { DEVNET_HALT_EXIT_CODE, prepareDataDir, readRunFile, startDevnetProcess, type DevnetProcess } from '@metroledger/devnet';
import { verifyLedger } from '@metroledger/ledger/testing/verify';
import { mountTmpfs } from '@metroledger/ledger/testing/tmpfs';

const MAIN = join(__dirname, 'main.js');
const METERS = 8;
const TMPFS_SIZE = '1m';

test('a real full disk (a small tmpfs): devnet up halts with exit 74 naming path and ENOSPC; after freeing space a restart has every acknowledged reading', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'metroledger-tmpfs-'));
  const ledgerDir = join(dataDir, 'ledger');
  await prepareDataDir(dataDir);
  await mkdir(ledgerDir);
  const cannot = mountTmpfs(ledgerDir, TMPFS_SIZE);
  if (cannot !== undefined) {
    t.skip(`no real full disk here: ${cannot}; the injected ENOSPC tests (ledger, committer, devnet) still run`);
    await rm(dataDir, { recursive: true, force: true });
    return;
  }
  let devnet: DevnetProcess | undefined;
  const acknowledged = new Map<string, number>();
  try {
    devnet = await startDevnetProcess({ cliMain: MAIN, dataDir, startTimeoutMs: 300_000 /* a hang guard, not a speed target */ });
    const access = await devnetAccess(devnet, await packageLrChaincode());
    const meters = Array.from({ length: METERS }, (_, i) =>
      Meter.create({ meterId: `FULL-${i}`, geometry: { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 } }),
    );
    await setUpSuiteRegistry(access, meters);
    const connection = newGrpcConnection(devnet.endpoint, await readFile(devnet.tlsCaCertPath), devnet.tlsServerName);

    // Meters submit until the disk is full and the devnet is gone.
    const owner = new MetroledgerClient({
      connection,
      ...access.meterOwner,
      retry: { maxAttempts: 1, initialDelayMs: 10 },
      callTimeoutMs: 120_000,
    });
    const rng = newRng('tmpfs');
    const running = devnet;
    let failures = 0;
    await Promise.all(
      meters.map(async (m) => {
        while (running.alive()) {
          const e = generateEvent(rng, { geometry: m.geometry, vehicleClass: 'car', speedKmh: rng.uniform(30, 90), invalidShare: 0 });
          try {
            const out = await owner.submitReading(
              encodeSignedReading(m.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: Date.now() })),
            );
            acknowledged.set(out.transactionId, Number(out.blockNumber));
          } catch {
            failures++;
            await new Promise((r) => setTimeout(r, 20)); // the load's own backoff against a real, failing devnet process
          }
        }
      }),
    );
    owner.close();
    connection.close();
    const exit = await devnet.exit;
    const stderr = devnet.stderr();
    t.diagnostic(
      `${acknowledged.size} readings acknowledged before the disk filled; ${failures} refused calls while it went down; exit ${JSON.stringify(exit)}`,
    );
    assert.equal(exit.code, DEVNET_HALT_EXIT_CODE, stderr);
    assert.match(stderr, /devnet HALTED: the ledger could not commit block \d+ \(ENOSPC\)/);
    assert.ok(stderr.includes(ledgerDir), `the message names the path under ${ledgerDir}: ${stderr}`);
    assert.ok(acknowledged.size >= 10, `the load acknowledged too little to mean anything (${acknowledged.size})`);
    const run = await readRunFile(dataDir);
    assert.equal(run?.halt?.errno, 'ENOSPC');
    const status = spawnSync(process.execPath, [MAIN, 'devnet', 'status', '--data', dataDir, '--json'], { encoding: 'utf8' });
    assert.equal(status.status, 3, status.stdout + status.stderr);
    assert.equal((JSON.parse(status.stdout) as { status: string }).status, 'HALTED');

    // Free space: the same data, a larger disk. The devnet recovers by itself on start.
    execFileSync('mount', ['-o', 'remount,size=64m', ledgerDir]);
    devnet = await startDevnetProcess({ cliMain: MAIN, dataDir, startTimeoutMs: 300_000 /* a hang guard, not a speed target */ });
    const again = newGrpcConnection(devnet.endpoint, await readFile(devnet.tlsCaCertPath), devnet.tlsServerName);
    const owner2 = new MetroledgerClient({ connection: again, ...access.meterOwner });
    const e = generateEvent(rng, { geometry: meters[0]!.geometry, vehicleClass: 'car', speedKmh: 50, invalidShare: 0 });
    const after = await owner2.submitReading(
      encodeSignedReading(meters[0]!.capture({ loopA: e.loopA, loopB: e.loopB, captureTimeMs: Date.now() })),
    );
    acknowledged.set(after.transactionId, Number(after.blockNumber));
    owner2.close();
    again.close();
    await devnet.stop();

    const ledger = await Ledger.open(ledgerDir);
    try {
      let lost = 0;
      for (const [txId, blockNum] of acknowledged) {
        const tx = await ledger.getTx(txId);
        if (tx === undefined || tx.code !== 0 || tx.blockNum !== blockNum) lost++;
      }
      t.diagnostic(`acknowledged versus ledger: ${acknowledged.size} acknowledged, ${lost} lost; ledger height ${ledger.height}`);
      assert.equal(lost, 0);
      await verifyLedger(ledger);
    } finally {
      await ledger.close();
    }
    assert.deepEqual((await verifyLedgerFiles(ledgerDir)).findings, []);
  } finally {
    await devnet?.kill();
    spawnSync('umount', [ledgerDir]);
    await rm(dataDir, { recursive: true, force: true });
  }
});
