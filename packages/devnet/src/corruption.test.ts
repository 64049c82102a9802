// SPDX-License-Identifier: Apache-2.0
// A byte flipped in a stored block: Deliver refuses to serve it (DATA_LOSS), with the blocks
// before it served as stored, and the verification scan names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { readBlockRecords, verifyLedgerFiles, type BlockRecord } from '@metroledger/ledger';
import { startDevnet } from './index.js';
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

test('Deliver ends with DATA_LOSS at a damaged block instead of serving it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-corrupt-'));
  try {
    let devnet = await startDevnet({ dataDir: dir, chaincodes: KV, batch: { batchTimeoutMs: 5 } });
    const user = () => {
      const u = devnet.users['CETSPMSP']![0]!;
      return {
        endpoint: devnet.endpoint,
        tlsCaCertPath: devnet.tlsCaCertPath,
        mspId: 'CETSPMSP',
        certPath: u.certPath,
        keyPath: u.keyPath,
      };
    };
    let conn = await connectClient(user());
    for (let i = 0; i < 4; i++) await conn.gateway.getNetwork('metrology').getContract('kv').submitTransaction('put', `k${i}`, `v${i}`);
    conn.close();
    const height = devnet.height();
    await devnet.stop();

    const chains = join(dir, 'ledger', 'chains');
    const records: BlockRecord[] = [];
    for await (const e of readBlockRecords(chains)) if (e.kind === 'block') records.push(e);
    const target = records[2]!;
    const file = await readFile(target.path);
    file[target.offset + 12 + Math.floor(target.length / 2)] ^= 0x20;
    await writeFile(target.path, file);

    const scan = await verifyLedgerFiles(join(dir, 'ledger'));
    assert.deepEqual(
      scan.findings.map((f) => [f.code, f.blockNumber, f.offset]),
      [['BAD_CHECKSUM', 2, target.offset]],
    );

    devnet = await startDevnet({ dataDir: dir, chaincodes: KV, batch: { batchTimeoutMs: 5 } });
    assert.equal(devnet.height(), height);
    conn = await connectClient(user());
    const served: bigint[] = [];
    const events = await conn.gateway.getNetwork('metrology').getBlockEvents({ startBlock: 0n });
    try {
      await assert.rejects(
        (async () => {
          for await (const block of events) {
            served.push(BigInt(block.getHeader()!.getNumber()));
            if (served.length === height) break;
          }
        })(),
        (err: unknown) => {
          assert.ok(err instanceof GatewayError, String(err));
          assert.equal(err.code, 15 /* DATA_LOSS */);
          assert.match(err.message, /block 2/);
          return true;
        },
      );
    } finally {
      events.close();
      conn.close();
    }
    assert.deepEqual(served, [0n, 1n]);
    await devnet.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
