// SPDX-License-Identifier: Apache-2.0
// `metroledger bench sweep` on a network it is given (here a devnet in this process, whose PUCPR
// endorser is made to lag): every acknowledged reading is on the ledger once, none abandoned, and
// the refusals and mismatches the lag causes are retried and reported by cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDevnet } from '@metroledger/devnet';

const MAIN = join(__dirname, '..', 'main.js');
const run = promisify(execFile);

test('bench sweep measures a given network, checks its ledger through Deliver and reports retries by cause', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-bench-net-'));
  const devnet = await startDevnet({ dataDir: join(dir, 'net'), port: 0, ordering: 'solo', batch: { batchTimeoutMs: 20 } });
  try {
    const user = (mspId: string, name: string) => devnet.users[mspId]!.find((u) => u.name.startsWith(`${name}@`))!;
    const owner = user('CETSPMSP', 'User1');
    const nb = user('InmetroMSP', 'Admin');
    devnet.faults.lagPeer('peer0.pucpr.example.com', 16);
    const { stdout } = await run(
      process.execPath,
      [
        MAIN,
        'bench',
        'sweep',
        '--clients',
        '4',
        '--warmup',
        '0.5',
        '--duration',
        '3',
        '--expected-tps',
        '50',
        '--out',
        join(dir, 'out'),
        '--gateway',
        devnet.endpoint,
        '--tls-ca',
        devnet.tlsCaCertPath,
        '--msp-id',
        'CETSPMSP',
        '--cert',
        owner.certPath,
        '--key',
        owner.keyPath,
        '--notified-body-cert',
        nb.certPath,
        '--notified-body-key',
        nb.keyPath,
      ],
      { timeout: 600_000 /* a hang guard, not a speed target */, env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' } },
    );
    assert.match(stdout, /external network at /);
    assert.match(stdout, /ledger check: every acknowledged transaction is VALID on the ledger exactly once/);
    const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as {
      points: {
        ordering: string;
        committed: number;
        failedCount: number;
        retriesByCause: Record<string, number>;
        ledger: { ok: boolean; blocksScanned: number; acknowledged: number };
        devnetCpu: { cores: number | null };
      }[];
    };
    const [p] = results.points;
    assert.ok(p !== undefined);
    assert.equal(p.ordering, 'external');
    assert.equal(p.failedCount, 0, JSON.stringify(p));
    assert.ok(p.ledger.ok && p.ledger.acknowledged > 0 && p.ledger.blocksScanned > 0, JSON.stringify(p.ledger));
    // The lagging endorser missed the meters' registrations (METER_NOT_FOUND: LAGGING_PEER), then
    // their readings' last sequences (ENDORSEMENT_MISMATCH): retried either way.
    const lagRetries = (p.retriesByCause['LAGGING_PEER'] ?? 0) + (p.retriesByCause['ENDORSEMENT_MISMATCH'] ?? 0);
    assert.ok(lagRetries > 0, JSON.stringify(p.retriesByCause));
    assert.equal(p.devnetCpu.cores, null, "an external network's CPU is not measured (NaN in JSON)");
  } finally {
    await devnet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
