// SPDX-License-Identifier: Apache-2.0
// The ledger's disk fills up under load (an ENOSPC injected in the block store's file layer): the
// devnet halts at once and says why (health, /healthz), clients get UNAVAILABLE or a failed commit
// status quickly instead of hanging, and a restart has every transaction a client saw committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError, StatusCode } from '@hyperledger/fabric-gateway';
import { Ledger } from '@metroledger/ledger';
import { FaultyFileSystem } from '@metroledger/ledger/testing/faults';
import { startDevnet, type Devnet, type DevnetHalt } from './index.js';
import { connectClient } from './testing/client.js';

const KV = [
  {
    name: 'kv',
    version: '1.0',
    module: join(__dirname, 'testing', 'kv.js'),
    endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    installedOn: ['LaSIGEMSP', 'PUCPRMSP'],
  },
];
const WORKERS = 8;
/** gRPC DEADLINE_EXCEEDED: what a client left waiting (the defect this guards against) gets at its deadline. */
const DEADLINE_EXCEEDED = 4;

function userOf(d: Devnet) {
  const u = d.users['CETSPMSP']![0]!;
  return { endpoint: d.endpoint, tlsCaCertPath: d.tlsCaCertPath, mspId: 'CETSPMSP', certPath: u.certPath, keyPath: u.keyPath };
}

test('disk full under load: the devnet halts and says why, clients are answered at once, a restart loses nothing acknowledged', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-diskfull-'));
  const fs = new FaultyFileSystem();
  let devnet = await startDevnet({ dataDir: dir, chaincodes: KV, batch: { batchTimeoutMs: 5 }, ledgerFileSystem: fs });
  const acknowledged = new Map<string, bigint>(); // tx id -> block the client was told
  const outcomes = { acknowledged: 0, unavailable: 0, otherErrors: new Map<string, number>() };
  try {
    assert.equal(devnet.health().status, 'SERVING');
    const healthy = await fetch(`${devnet.operationsEndpoint}/healthz`);
    assert.equal(healthy.status, 200);
    assert.equal(((await healthy.json()) as { status: string }).status, 'OK');

    const halted = new Promise<DevnetHalt>((resolve) => devnet.onHalt(resolve));
    const conn = await connectClient(userOf(devnet));
    const kv = conn.gateway.getNetwork('metrology').getContract('kv');
    let stop = false;
    let seq = 0;
    const settledAt: number[] = [];
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      while (!stop) {
        const key = `w${w}-${seq++}`;
        try {
          const commit = await kv.submitAsync('put', { arguments: [key, 'x'.repeat(200)] });
          const status = await commit.getStatus();
          if (status.code === StatusCode.VALID) {
            acknowledged.set(commit.getTransactionId(), status.blockNumber);
            outcomes.acknowledged++;
          }
        } catch (err) {
          settledAt.push(Date.now());
          const code = err instanceof GatewayError ? err.code : undefined;
          if (code === 14 /* UNAVAILABLE */) outcomes.unavailable++;
          else {
            const name = `${(err as Error).name}:${String(code)}`;
            outcomes.otherErrors.set(name, (outcomes.otherErrors.get(name) ?? 0) + 1);
          }
          // once the network is gone, a client has nothing left to do
          if (devnet.health().status === 'HALTED') return;
        }
      }
    });
    while (outcomes.acknowledged < 40) await new Promise((r) => setTimeout(r, 10)); // real gRPC calls: poll their count
    fs.fail('writev', 'ENOSPC');
    const haltedAt = Date.now();
    const halt = await halted;

    assert.equal(halt.errno, 'ENOSPC');
    assert.equal(halt.code, 'IO');
    assert.equal(halt.path, join(dir, 'ledger', 'chains', 'blockfile_000000'));
    const health = devnet.health();
    assert.equal(health.status, 'HALTED');
    assert.equal(health.height, halt.blockNum, 'the ledger stopped right before the block it could not write');
    const res = await fetch(`${devnet.operationsEndpoint}/healthz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { failed_checks: { component: string; reason: string }[] };
    assert.equal(body.failed_checks[0]!.component, 'ledger');
    assert.match(body.failed_checks[0]!.reason, /ENOSPC/);

    // Every client call is answered (UNAVAILABLE, or a commit status): nobody waits for its deadline
    // (120 s). Checked by how the calls ended, not by a clock a loaded machine could run past.
    await Promise.all(workers);
    stop = true;
    const deadlined = [...outcomes.otherErrors].filter(([name]) => name.endsWith(`:${DEADLINE_EXCEEDED}`));
    assert.deepEqual(deadlined, [], 'a client waited for its deadline instead of being answered');
    const slowest = Math.max(0, ...settledAt.map((x) => x - haltedAt));
    // A new transaction is refused with UNAVAILABLE (not left to its deadline).
    const before = Date.now();
    await assert.rejects(kv.submitTransaction('put', 'after-halt', 'v'), (err: unknown) => err instanceof GatewayError && err.code === 14);
    const refusedMs = Date.now() - before;
    conn.close();
    t.diagnostic(
      `${outcomes.acknowledged} acknowledged, ${outcomes.unavailable} UNAVAILABLE, others ${JSON.stringify([...outcomes.otherErrors])}; last client answered ${slowest} ms after the halt; a new Submit refused in ${refusedMs} ms`,
    );
    await devnet.stop();
    assert.equal(devnet.health().status, 'HALTED', 'a halted devnet stays reported as halted');

    // Restart on the same data directory (the disk has room again): nothing acknowledged is lost.
    devnet = await startDevnet({ dataDir: dir, chaincodes: KV, batch: { batchTimeoutMs: 5 } });
    assert.equal(devnet.health().status, 'SERVING');
    const again = await connectClient(userOf(devnet));
    const status = await (
      await again.gateway
        .getNetwork('metrology')
        .getContract('kv')
        .submitAsync('put', { arguments: ['after-restart', 'v'] })
    ).getStatus();
    assert.equal(status.code, StatusCode.VALID);
    again.close();
    await devnet.stop();

    const ledger = await Ledger.open(join(dir, 'ledger'));
    try {
      let lost = 0;
      for (const [txId, blockNum] of acknowledged) {
        const tx = await ledger.getTx(txId);
        if (tx === undefined || tx.code !== 0 || BigInt(tx.blockNum) !== blockNum) lost++;
      }
      t.diagnostic(`acknowledged versus ledger: ${acknowledged.size} acknowledged, ${lost} lost`);
      assert.equal(lost, 0);
    } finally {
      await ledger.close();
    }
  } finally {
    await devnet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
