// SPDX-License-Identifier: Apache-2.0
// The devnet's operations view, as an operator reads it: Prometheus /metrics beside /healthz with
// Fabric's metric names, metroledger's own (readings, LR refusals by code), and a structured log
// line per block, per refusal and per halt.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyFileSystem } from '@metroledger/ledger/testing/faults';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { startDevnet, type DevnetLogger, type DevnetHalt } from './index.js';
import { connectAs, bootstrapGovernance, TEST_MODEL } from './testing/governance.js';

const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 10_000 };
const KV = [
  {
    name: 'kv',
    version: '1.0',
    module: join(__dirname, 'testing', 'kv.js'),
    endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    installedOn: ['LaSIGEMSP', 'PUCPRMSP'],
  },
];
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Line {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function capture(): { logger: DevnetLogger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') } };
}

/** The value of one sample of the Prometheus text exposition (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}

test(
  'GET /metrics: ledger, endorser, broadcast and gRPC metrics under Fabric names, readings and LR refusals by code; a log line per block and per refusal',
  { timeout: 180_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metroledger-ops-'));
    dirs.push(dir);
    const { logger, lines } = capture();
    const devnet = await startDevnet({ dataDir: dir, batch: { batchTimeoutMs: 5 }, logger });
    try {
      await bootstrapGovernance(devnet);
      const inmetro = await connectAs(devnet, 'InmetroMSP');
      const cetsp = await connectAs(devnet, 'CETSPMSP');
      try {
        const meter = Meter.create({ meterId: 'SP-0001', geometry: GEOMETRY });
        await inmetro.gateway
          .getNetwork('metrology')
          .getContract('lr')
          .submitTransaction(
            'registerMeter',
            JSON.stringify({
              meterId: 'SP-0001',
              ownerMspId: 'CETSPMSP',
              publicKeyPem: meter.publicKeyPem,
              geometry: GEOMETRY,
              location: { text: 'Av. Paulista', lat: -23.56, lon: -46.65 },
              speedLimitKmh: 60,
              model: TEST_MODEL,
            }),
          );
        const lr = cetsp.gateway.getNetwork('metrology').getContract('lr');
        const rng = newRng('operations-test');
        let t = 1_700_000_000_000;
        for (const scenario of ['valid', 'valid', 'noise-only', 'valid'] as const) {
          const ev = generateEvent(rng, { scenario, geometry: GEOMETRY } as never);
          await lr.submitTransaction(
            'submitReading',
            Buffer.from(
              encodeSignedReading(meter.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: (t += 1000) } as never)),
            ).toString('base64'),
          );
        }
      } finally {
        inmetro.close();
        cetsp.close();
      }

      const res = await fetch(`${devnet.operationsEndpoint}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.equal(sample(text, 'ledger_blockchain_height', { channel: 'metrology' }), devnet.height());
      assert.ok(
        sample(text, 'ledger_transaction_count', {
          channel: 'metrology',
          transaction_type: 'ENDORSER_TRANSACTION',
          chaincode: 'lr',
          validation_code: 'VALID',
        })! >= 5,
      );
      assert.ok(sample(text, 'ledger_transaction_count', { chaincode: 'governance', validation_code: 'VALID' })! >= 5);
      assert.ok(sample(text, 'endorser_proposals_received', { peer: 'peer0.lasige.example.com' })! >= 5);
      assert.ok(sample(text, 'endorser_successful_proposals', { peer: 'peer0.pucpr.example.com' })! >= 5);
      assert.ok(
        sample(text, 'endorser_proposal_duration_count', {
          channel: 'metrology',
          chaincode: 'lr',
          success: 'true',
          peer: 'peer0.lasige.example.com',
        })! >= 5,
      );
      assert.ok(
        sample(text, 'broadcast_processed_count', { channel: 'metrology', type: 'ENDORSER_TRANSACTION', status: 'SUCCESS' })! >= 10,
      );
      assert.ok(sample(text, 'grpc_server_unary_requests_received', { service: 'gateway.Gateway', method: 'Endorse' })! >= 10);
      assert.ok(sample(text, 'grpc_server_unary_requests_completed', { service: 'gateway.Gateway', method: 'Submit', code: 'OK' })! >= 10);
      assert.ok(
        sample(text, 'grpc_server_unary_request_duration_bucket', {
          service: 'gateway.Gateway',
          method: 'CommitStatus',
          code: 'OK',
          le: '+Inf',
        })! >= 10,
      );
      assert.equal(sample(text, 'metroledger_readings_total', { status: 'MEASURED' }), 3);
      assert.equal(sample(text, 'metroledger_readings_total', { status: 'REFUSED' }), 1);
      const refusalCodes = [...text.matchAll(/^metroledger_lr_refusals_total\{code="([A-Z_]+)"\} 1$/gm)].map((m) => m[1]);
      assert.equal(refusalCodes.length, 1, 'the one refusal, under its code');
      assert.ok(sample(text, 'metroledger_readings_per_second')! > 0);
      assert.equal(sample(text, 'metroledger_devnet_halted'), 0);
      assert.ok(sample(text, 'process_cpu_seconds_total') !== undefined, "Node's process metrics too");

      const blocks = lines.filter((l) => l.fields['event'] === 'block');
      assert.equal(blocks.length, devnet.height() - 1, 'one line per block after the genesis block');
      assert.match(blocks.at(-1)!.message, new RegExp(`^committed block ${devnet.height() - 1} with 1 transaction\\(s\\)$`));
      const refusals = lines.filter((l) => l.fields['event'] === 'refusal');
      assert.equal(refusals.length, 1);
      assert.equal(refusals[0]!.fields['code'], refusalCodes[0]);
      assert.equal(refusals[0]!.fields['meterId'], 'SP-0001');
    } finally {
      await devnet.stop();
    }
  },
);

test('a halt is logged (fatal) and shown by /metrics, which still answers', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-ops-halt-'));
  dirs.push(dir);
  const { logger, lines } = capture();
  const fs = new FaultyFileSystem();
  const devnet = await startDevnet({ dataDir: dir, chaincodes: KV, batch: { batchTimeoutMs: 5 }, ledgerFileSystem: fs, logger });
  try {
    const halted = new Promise<DevnetHalt>((resolve) => devnet.onHalt(resolve));
    const conn = await connectAs(devnet, 'CETSPMSP');
    try {
      const kv = conn.gateway.getNetwork('metrology').getContract('kv');
      await kv.submitTransaction('put', 'a', '1');
      fs.fail('writev', 'ENOSPC');
      await kv.submitTransaction('put', 'b', '2').catch(() => undefined);
    } finally {
      conn.close();
    }
    const halt = await halted;
    const fatal = lines.filter((l) => l.level === 'fatal');
    assert.equal(fatal.length, 1);
    assert.equal(fatal[0]!.fields['event'], 'halt');
    assert.equal(fatal[0]!.fields['block'], halt.blockNum);
    assert.equal(fatal[0]!.fields['errno'], 'ENOSPC');
    const text = await (await fetch(`${devnet.operationsEndpoint}/metrics`)).text();
    assert.equal(sample(text, 'metroledger_devnet_halted'), 1);
    assert.equal(sample(text, 'ledger_blockchain_height', { channel: 'metrology' }), halt.blockNum);
  } finally {
    await devnet.stop();
  }
});

test("BFT: each consenter's view, leader and height", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-ops-bft-'));
  dirs.push(dir);
  const devnet = await startDevnet({ dataDir: dir, chaincodes: KV, ordering: 'bft', batch: { batchTimeoutMs: 5 } });
  try {
    const conn = await connectAs(devnet, 'CETSPMSP');
    try {
      await conn.gateway.getNetwork('metrology').getContract('kv').submitTransaction('put', 'k', 'v');
    } finally {
      conn.close();
    }
    await devnet.bft!.stopReplica(3);
    const text = await (await fetch(`${devnet.operationsEndpoint}/metrics`)).text();
    const views = await devnet.bft!.replicaViews();
    const heights = await devnet.bft!.replicaHeights();
    assert.ok(heights[0]! >= 1);
    for (const consenter of ['1', '2', '3']) {
      // view 0 (leader 1) unless a loaded machine made the replicas change views
      const view = views[Number(consenter) - 1]!;
      assert.equal(sample(text, 'consensus_smartbft_view_number', { channel: 'metrology', consenter }), view);
      assert.equal(sample(text, 'consensus_smartbft_view_leader_id', { channel: 'metrology', consenter }), (view % 4) + 1);
      assert.equal(sample(text, 'metroledger_bft_replica_height', { channel: 'metrology', consenter }), heights[Number(consenter) - 1]);
      assert.equal(sample(text, 'metroledger_bft_replica_up', { channel: 'metrology', consenter }), 1);
    }
    assert.equal(
      sample(text, 'consensus_smartbft_view_number', { channel: 'metrology', consenter: '4' }),
      undefined,
      'a stopped replica has no view',
    );
    assert.equal(sample(text, 'metroledger_bft_replica_up', { channel: 'metrology', consenter: '4' }), 0);
    assert.equal(sample(text, 'metroledger_bft_fault_tolerance', { channel: 'metrology' }), 1);
  } finally {
    await devnet.stop();
  }
});
