// SPDX-License-Identifier: Apache-2.0
// End to end over real gRPC + TLS with the unmodified @hyperledger/fabric-gateway client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CommitError, EndorseError, StatusCode, type Contract, type Network } from '@hyperledger/fabric-gateway';
import { common, gateway as gwpb, peer } from '@hyperledger/fabric-protos';
import { generateOrganization, nodePaths, writeCryptogenLayout } from '@metroledger/identity';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { DEFAULT_NETWORK, startDevnet, type Devnet } from './index.js';
import { connectClient, type ClientConnection } from './testing/client.js';
import { bootstrapGovernance } from './testing/governance.js';

const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 10_000 };
const utf8 = new TextDecoder();

let dir: string;
let devnet: Devnet;
let cetsp: ClientConnection;
let inmetro: ClientConnection;
let lr: Contract;
let network: Network;
const rng = newRng('devnet-test');

function user(d: Devnet, mspId: string) {
  const u = d.users[mspId]![0]!;
  return { endpoint: d.endpoint, tlsCaCertPath: d.tlsCaCertPath, mspId, certPath: u.certPath, keyPath: u.keyPath };
}

async function registerMeter(meterId: string): Promise<Meter> {
  const meter = Meter.create({ meterId, geometry: GEOMETRY });
  const registration = {
    meterId,
    ownerMspId: 'CETSPMSP',
    publicKeyPem: meter.publicKeyPem,
    geometry: GEOMETRY,
    location: { text: 'Av. Paulista 1000, São Paulo', lat: -23.56, lon: -46.65 },
    speedLimitKmh: 60,
    model: 'ML-1',
  };
  await inmetro.gateway.getNetwork('metrology').getContract('lr').submitTransaction('registerMeter', JSON.stringify(registration));
  return meter;
}

function signedReading(meter: Meter): string {
  const event = generateEvent(rng, { scenario: 'valid', geometry: GEOMETRY } as never);
  return Buffer.from(
    encodeSignedReading(
      meter.capture({ loopA: event.loopA, loopB: event.loopB, captureTimeMs: 1_700_000_000_000 + rng.int(0, 1e6) } as never),
    ),
  ).toString('base64');
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-devnet-'));
  devnet = await startDevnet({
    dataDir: dir,
    port: 0,
    batch: { batchTimeoutMs: 10 },
    chaincodes: [
      ...DEFAULT_NETWORK.chaincodes,
      {
        name: 'nondet',
        version: '1.0',
        module: join(__dirname, 'testing', 'nondeterministic.js'),
        endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
        installedOn: ['LaSIGEMSP', 'PUCPRMSP'],
      },
    ],
  });
  [cetsp, inmetro] = await Promise.all([connectClient(user(devnet, 'CETSPMSP')), connectClient(user(devnet, 'InmetroMSP'))]);
  network = cetsp.gateway.getNetwork('metrology');
  lr = network.getContract('lr');
  await bootstrapGovernance(devnet);
});

after(async () => {
  cetsp?.close();
  inmetro?.close();
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a metrology network on the devnet', () => {
  test('the notified body registers a meter, the owner submits signed readings, anyone queries them', async () => {
    const meter = await registerMeter('SP-0001');
    const records = [];
    for (let i = 0; i < 3; i++)
      records.push(
        JSON.parse(utf8.decode(await lr.submitTransaction('submitReading', signedReading(meter)))) as { meterId: string; sequence: number },
      );
    assert.deepEqual(
      records.map((r) => [r.meterId, r.sequence]),
      [
        ['SP-0001', 1],
        ['SP-0001', 2],
        ['SP-0001', 3],
      ],
    );
    const stored = JSON.parse(utf8.decode(await lr.evaluateTransaction('getMeasurement', 'SP-0001', '2'))) as { sequence: number };
    assert.equal(stored.sequence, 2);
    const registered = JSON.parse(utf8.decode(await lr.evaluateTransaction('getMeter', 'SP-0001'))) as {
      status: string;
      ownerMspId: string;
    };
    assert.deepEqual([registered.status, registered.ownerMspId], ['ACTIVE', 'CETSPMSP']);
  });

  test('chaincode events of valid transactions stream from a start block, and block events show every block', async () => {
    const meter = await registerMeter('SP-0002');
    const commit = await lr.submitAsync('submitReading', { arguments: [signedReading(meter)] });
    const status = await commit.getStatus();
    assert.equal(status.code, StatusCode.VALID);

    const events = await network.getChaincodeEvents('lr', { startBlock: 0n });
    try {
      const seen: string[] = [];
      for await (const ev of events) {
        seen.push(ev.eventName);
        if (ev.transactionId === commit.getTransactionId()) {
          assert.equal(ev.blockNumber, status.blockNumber);
          break;
        }
      }
      assert.ok(seen.includes('Measurement'), `events seen: ${seen.join(',')}`);
    } finally {
      events.close();
    }

    const blocks = await network.getBlockEvents({ startBlock: 0n });
    try {
      let expected = 0n;
      for await (const block of blocks) {
        assert.equal(BigInt(block.getHeader()!.getNumber()), expected);
        if (expected++ === status.blockNumber) break;
      }
    } finally {
      blocks.close();
    }
    const filtered = await network.getFilteredBlockEvents({ startBlock: status.blockNumber });
    try {
      for await (const fb of filtered) {
        const tx = fb.getFilteredTransactionsList().find((t) => t.getTxid() === commit.getTransactionId());
        assert.equal(tx?.getTxValidationCode(), peer.TxValidationCode.VALID);
        break;
      }
    } finally {
      filtered.close();
    }
  });
});

describe('refusals leave the ledger intact', () => {
  test('a transaction endorsed by one computing provider only fails commit with ENDORSEMENT_POLICY_FAILURE', async () => {
    const meter = await registerMeter('SP-0100');
    const tx = await lr
      .newProposal('submitReading', { arguments: [signedReading(meter)], endorsingOrganizations: ['LaSIGEMSP'] })
      .endorse();
    const status = await (await tx.submit()).getStatus();
    assert.equal(status.code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
    await assert.rejects(lr.evaluateTransaction('getMeasurement', 'SP-0100', '1'), /MEASUREMENT_NOT_FOUND|not found/i);
    // submitting in one call surfaces the same outcome as a CommitError
    const meter2 = await registerMeter('SP-0101');
    await assert.rejects(
      lr.submit('submitReading', { arguments: [signedReading(meter2)], endorsingOrganizations: ['PUCPRMSP'] }),
      (err: unknown) => {
        assert.ok(err instanceof CommitError, String(err));
        assert.equal(err.code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
        return true;
      },
    );
  });

  test('endorsers that compute different results are refused: ProposalResponsePayloads do not match', async () => {
    const nondet = network.getContract('nondet', 'nondet');
    const height = devnet.height();
    await assert.rejects(nondet.submitTransaction('roll', 'dice'), (err: unknown) => {
      assert.ok(err instanceof EndorseError, String(err));
      assert.equal(err.code, grpc.status.ABORTED);
      assert.ok(
        err.details.some((d) => d.message === 'ProposalResponsePayloads do not match'),
        JSON.stringify(err.details),
      );
      return true;
    });
    assert.equal(devnet.height(), height);
  });

  test('two concurrent transactions on the same key: one commits, the other is an MVCC read conflict', async () => {
    const meter = await registerMeter('SP-0200');
    const a = signedReading(meter);
    const b = signedReading(meter);
    const [ta, tb] = await Promise.all([
      lr.newProposal('submitReading', { arguments: [a] }).endorse(),
      lr.newProposal('submitReading', { arguments: [b] }).endorse(),
    ]);
    const [ca, cb] = await Promise.all([ta.submit(), tb.submit()]);
    const codes = (await Promise.all([ca.getStatus(), cb.getStatus()])).map((s) => s.code).sort();
    assert.deepEqual(codes, [StatusCode.VALID, StatusCode.MVCC_READ_CONFLICT].sort());
  });

  test('a replayed transaction is not applied twice', async () => {
    const meter = await registerMeter('SP-0300');
    const tx = await lr.newProposal('submitReading', { arguments: [signedReading(meter)] }).endorse();
    // replay while the first copy is still being ordered: ordered twice, committed once
    const [first] = await Promise.all([tx.submit(), tx.submit()]);
    const status = await first.getStatus();
    assert.equal(status.code, StatusCode.VALID);
    // replay after commit: refused at submit
    await assert.rejects(tx.submit(), (err: { code?: number }) => err.code === grpc.status.ALREADY_EXISTS);
    const blocks = await network.getFilteredBlockEvents({ startBlock: status.blockNumber });
    const codes: number[] = [];
    try {
      for await (const fb of blocks) {
        for (const t of fb.getFilteredTransactionsList()) if (t.getTxid() === tx.getTransactionId()) codes.push(t.getTxValidationCode());
        if (codes.length >= 2) break;
      }
    } finally {
      blocks.close();
    }
    assert.deepEqual(codes, [peer.TxValidationCode.VALID, peer.TxValidationCode.DUPLICATE_TXID]);
    const stored = JSON.parse(utf8.decode(await lr.evaluateTransaction('getMeter', 'SP-0300'))) as object;
    assert.ok(stored);
  });

  test('a proposal signed by an identity from a CA outside the channel is denied', async () => {
    const mallory = await generateOrganization({
      name: 'Mallory',
      mspId: 'CETSPMSP',
      domain: 'mallory.example.com',
      kind: 'peer',
      users: ['User1'],
    });
    const base = join(dir, 'outsider');
    await writeCryptogenLayout(base, mallory);
    const paths = nodePaths(base, mallory.spec, mallory.node('User1'));
    const conn = await connectClient({
      endpoint: devnet.endpoint,
      tlsCaCertPath: devnet.tlsCaCertPath,
      mspId: 'CETSPMSP',
      certPath: paths.signcert,
      keyPath: paths.keystoreKey,
    });
    const height = devnet.height();
    try {
      await assert.rejects(
        conn.gateway.getNetwork('metrology').getContract('lr').submitTransaction('getMeter', 'SP-0001'),
        (err: unknown) => {
          assert.ok(err instanceof EndorseError, String(err));
          assert.ok(
            err.details.every((d) => d.message.startsWith('access denied')),
            JSON.stringify(err.details),
          );
          return true;
        },
      );
    } finally {
      conn.close();
    }
    assert.equal(devnet.height(), height);
  });

  test('malformed or forged requests get INVALID_ARGUMENT, INTERNAL or ABORTED, never a crash', async () => {
    const height = devnet.height();
    const call = (method: string, bytes: Uint8Array) =>
      new Promise<grpc.ServiceError>((resolve, reject) =>
        cetsp.client.makeUnaryRequest(
          method,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(bytes),
          (err) => (err ? resolve(err) : reject(new Error('accepted'))),
        ),
      );
    const garbage = Buffer.from('this is not protobuf \xff\xff\xff');
    assert.ok([grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT].includes((await call('/gateway.Gateway/Endorse', garbage)).code));
    const proposal = new peer.SignedProposal();
    proposal.setProposalBytes(Buffer.from('garbage proposal'));
    proposal.setSignature(Buffer.from('sig'));
    const req = new gwpb.EndorseRequest();
    req.setTransactionId('x');
    req.setChannelId('metrology');
    req.setProposedTransaction(proposal);
    const err = await call('/gateway.Gateway/Endorse', req.serializeBinary());
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /MALFORMED_PROPOSAL/);
    const envelope = new common.Envelope();
    envelope.setPayload(Buffer.from('not a payload'));
    envelope.setSignature(Buffer.from('not a signature'));
    const submit = new gwpb.SubmitRequest();
    submit.setChannelId('metrology');
    submit.setPreparedTransaction(envelope);
    assert.equal((await call('/gateway.Gateway/Submit', submit.serializeBinary())).code, grpc.status.INVALID_ARGUMENT);
    assert.equal(devnet.height(), height);
    // a well-formed endorsed transaction whose signature is not the creator's: the orderer refuses it
    const meter = await registerMeter('SP-0400');
    const heightBefore = devnet.height();
    const prepared = gwpb.PreparedTransaction.deserializeBinary(
      (await lr.newProposal('submitReading', { arguments: [signedReading(meter)] }).endorse()).getBytes(),
    );
    const forged = prepared.getEnvelope()!;
    forged.setSignature(Buffer.from('3006020101020101', 'hex'));
    const forgedSubmit = new gwpb.SubmitRequest();
    forgedSubmit.setChannelId('metrology');
    forgedSubmit.setTransactionId(prepared.getTransactionId());
    forgedSubmit.setPreparedTransaction(forged);
    const refused = await call('/gateway.Gateway/Submit', forgedSubmit.serializeBinary());
    assert.equal(refused.code, grpc.status.ABORTED);
    assert.match(refused.details, /received unsuccessful response from orderer: status=BAD_REQUEST/);
    assert.equal(devnet.height(), heightBefore);
  });
});

describe('restart', () => {
  test('data survives a restart and new commits continue the chain', async () => {
    const restartDir = await mkdtemp(join(tmpdir(), 'metroledger-restart-'));
    const kv = [
      {
        name: 'kv',
        version: '1.0',
        module: join(__dirname, 'testing', 'kv.js'),
        endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
        installedOn: ['LaSIGEMSP', 'PUCPRMSP'],
      },
    ];
    try {
      let d = await startDevnet({ dataDir: restartDir, chaincodes: kv, batch: { batchTimeoutMs: 5 } });
      assert.equal(d.generatedCrypto, true);
      let conn = await connectClient(user(d, 'CETSPMSP'));
      await conn.gateway.getNetwork('metrology').getContract('kv').submitTransaction('put', 'k', 'before restart');
      const height = d.height();
      conn.close();
      await d.stop();

      d = await startDevnet({ dataDir: restartDir, chaincodes: kv, batch: { batchTimeoutMs: 5 } });
      try {
        assert.equal(d.generatedCrypto, false);
        assert.equal(d.height(), height);
        conn = await connectClient(user(d, 'CETSPMSP'));
        const contract = conn.gateway.getNetwork('metrology').getContract('kv');
        assert.equal(utf8.decode(await contract.evaluateTransaction('get', 'k')), 'before restart');
        const commit = await contract.submitAsync('put', { arguments: ['k', 'after restart'] });
        const status = await commit.getStatus();
        assert.equal(status.code, StatusCode.VALID);
        assert.equal(status.blockNumber, BigInt(height));
        assert.equal(utf8.decode(await contract.evaluateTransaction('get', 'k')), 'after restart');
        conn.close();
      } finally {
        await d.stop();
      }
    } finally {
      await rm(restartDir, { recursive: true, force: true });
    }
  });
});
