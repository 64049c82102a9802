// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { verifyDecision } from '@metroledger/bft';
import { generateOrganization, IdentityDeserializer, MspRegistry, verifySignature, type OrgMaterial } from '@metroledger/identity';
import {
  blockHeaderHash,
  blockSignatures,
  newGenesisBlock,
  type BatchConfig,
  type ConsenterConfig,
  type SignatureVerifier,
} from '@metroledger/protocol';
import { buildTransaction, expiredIdentity, testNetwork, type TestNetwork } from '@metroledger/protocol/testing/validation';
import { OrderingError } from '../errors.js';
import { blockCommitSigningBytes, decisionOfBlock } from './blocks.js';
import { BftOrderer } from './orderer.js';
import { AppendLog } from './wal.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'ml-bft-'));

/** Offset and length of the last record of a WAL file (walking the headers after the 8-byte magic). */
function lastRecord(path: string): { offset: number; length: number } {
  const bytes = readFileSync(path);
  let pos = 8;
  let last = { offset: -1, length: 0 };
  while (pos + 8 <= bytes.length && bytes.readUInt32BE(pos) !== 0) {
    last = { offset: pos, length: bytes.readUInt32BE(pos) };
    pos += 8 + last.length;
  }
  return last;
}

/** Overwrites bytes of a file in place (a torn or corrupted write). */
function scribble(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

test('the WAL survives reopening and drops a torn or corrupted last record', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'x.wal');
    const log = AppendLog.open(path);
    for (let i = 0; i < 5; i++) log.append(Buffer.from(`record ${i} `.repeat(i * 1000 + 1)));
    log.close();

    let again = AppendLog.open(path);
    assert.equal(again.count, 5);
    assert.equal(again.tornBytes, 0);
    assert.equal(Buffer.from(again.read(3)).toString(), 'record 3 '.repeat(3001));
    again.close();

    // a crash in the middle of the last append: the end of its payload never reached the disk
    const last = lastRecord(path);
    scribble(path, last.offset + 8 + 100, Buffer.alloc(last.length - 100));
    again = AppendLog.open(path);
    assert.equal(again.count, 4);
    assert.ok(again.tornBytes > 0);
    again.append(Buffer.from('after the crash'));
    again.close();
    again = AppendLog.open(path);
    assert.equal(again.count, 5);
    assert.equal(again.tornBytes, 0, 'the torn record was zeroed, the new one replaced it');
    assert.equal(Buffer.from(again.read(4)).toString(), 'after the crash');
    again.close();

    // a flipped byte in the last record: its CRC fails and it is dropped, earlier records stay
    const l2 = lastRecord(path);
    scribble(path, l2.offset + 8 + 3, Buffer.from('X'));
    again = AppendLog.open(path);
    assert.equal(again.count, 4);
    assert.equal(Buffer.from(again.read(0)).toString(), 'record 0 ');
    again.close();

    // a file that is not a WAL is refused, not truncated
    writeFileSync(join(dir, 'other.wal'), 'something else');
    assert.throws(
      () => AppendLog.open(join(dir, 'other.wal')),
      (e: unknown) => e instanceof OrderingError && e.code === 'STORAGE',
    );
    assert.equal(readFileSync(join(dir, 'other.wal'), 'utf8'), 'something else');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deferred WAL appends are readable at once, durable after sync, and a close during a sync loses nothing', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'd.wal');
    const log = AppendLog.open(path);
    log.append(Buffer.from('synced'));
    assert.equal(log.dirty, false);
    for (let i = 0; i < 3; i++) log.append(Buffer.from(`deferred ${i}`), true);
    assert.equal(log.dirty, true);
    assert.equal(Buffer.from(log.read(3)).toString(), 'deferred 2');
    assert.throws(
      () => log.append(Buffer.from('in place')),
      (e: unknown) => e instanceof OrderingError && e.code === 'STORAGE',
      'would land before the deferred ones',
    );
    await log.sync();
    assert.equal(log.dirty, false);
    // a record beyond the preallocated 4 MiB: the file grows (zeros first) in the same ordered writes
    const big = Buffer.alloc(5 * 1024 * 1024, 7);
    log.append(big, true);
    log.append(Buffer.from('after the big one'), true);
    assert.equal(log.read(4).length, big.length);
    await log.sync();
    assert.deepEqual(Buffer.from(log.read(4)), big, 'read back from the file once written');
    log.append(Buffer.from('last'), true);
    const pending = log.sync();
    log.close(); // the descriptor stays open until the sync under way finishes
    await pending;
    await assert.rejects(
      log.sync().then(() => log.append(Buffer.from('x'), true)),
      (e: unknown) => e instanceof OrderingError && e.code === 'STORAGE',
    );
    const again = AppendLog.open(path);
    assert.equal(again.count, 7);
    assert.deepEqual(Buffer.from(again.read(4)), big);
    assert.deepEqual(
      [0, 1, 2, 3, 5, 6].map((i) => Buffer.from(again.read(i)).toString()),
      ['synced', 'deferred 0', 'deferred 1', 'deferred 2', 'after the big one', 'last'],
    );
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- a four-organization BFT ordering service ---------------------------------------------------

const orgsCache = new Map<number, Promise<OrgMaterial[]>>();
/** n orderer organizations (default four), one consenter each. */
function ordererOrgs(n = 4): Promise<OrgMaterial[]> {
  let orgs = orgsCache.get(n);
  if (orgs === undefined) {
    orgs = Promise.all(
      Array.from({ length: n }, (_, k) => k + 1).map((i) =>
        generateOrganization({
          name: `Orderer${i}`,
          mspId: `Orderer${i}MSP`,
          domain: `orderer${i}.example.com`,
          kind: 'orderer',
          orderers: ['orderer0'],
        }),
      ),
    );
    orgsCache.set(n, orgs);
  }
  return orgs;
}

const BATCH: BatchConfig = { maxMessageCount: 10, preferredMaxBytes: 512 * 1024, absoluteMaxBytes: 1024 * 1024, batchTimeoutMs: 20 };

interface Cluster {
  readonly net: TestNetwork;
  readonly orgs: OrgMaterial[];
  readonly consenters: ConsenterConfig[];
  readonly genesis: common.Block;
  readonly dataDir: string;
  open(deliverFrom: number, extra?: { poolSizeMax?: number }): { orderer: BftOrderer; blocks: common.Block[] };
}

/**
 * How the replicas check signatures and sync their WALs: inline in their turn with every write
 * synced before it returns, or verified ahead by an asynchronous verifier (answers coming back out
 * of order, as from a pool of workers) with writes synced in the thread pool and output held.
 */
interface Mode {
  readonly name: string;
  readonly options: { verifier?: SignatureVerifier; deferSync: boolean };
}
/** Answers after 3, 0, 2, 1, 3, ... ms: a fixed schedule that returns answers out of order, the same on every run. */
const VERIFIER_DELAYS_MS = [3, 0, 2, 1];
let verifications = 0;
const outOfOrderVerifier: SignatureVerifier = (checks) => {
  const delay = VERIFIER_DELAYS_MS[verifications++ % VERIFIER_DELAYS_MS.length]!;
  // a real timer: the answers must interleave with the replicas' own timers and I/O, as a worker pool's do
  return new Promise((resolve) =>
    setTimeout(() => resolve(checks.map((c) => verifySignature(c.publicKey, c.message, c.signature))), delay),
  );
};
const MODES: readonly Mode[] = [
  { name: 'inline checks, synced writes', options: { deferSync: false } },
  { name: 'checks ahead of the turn, deferred syncs', options: { verifier: outOfOrderVerifier, deferSync: true } },
];

async function cluster(mode: Mode = MODES[1]!, n = 4): Promise<Cluster> {
  const net = await testNetwork();
  const orgs = await ordererOrgs(n);
  const consenters: ConsenterConfig[] = orgs.map((o, i) => ({
    id: i + 1,
    mspId: o.spec.mspId,
    host: `orderer0.${o.spec.domain}`,
    port: 7050,
    identityPem: o.signingIdentity('orderer0').certPem,
  }));
  const genesis = newGenesisBlock({
    channelId: 'mychannel',
    applicationOrgs: [net.org1.mspConfig(), net.org2.mspConfig()],
    ordererOrgs: orgs.map((o) => o.mspConfig()),
    batch: BATCH,
    consensus: { type: 'BFT', consenters },
  });
  const dataDir = tempDir();
  const msps = new MspRegistry([net.org1.mspConfig(), net.org2.mspConfig(), ...orgs.map((o) => o.mspConfig())]);
  return {
    net,
    orgs,
    consenters,
    genesis,
    dataDir,
    open(deliverFrom, extra = {}) {
      const orderer = new BftOrderer({
        channelId: 'mychannel',
        batch: BATCH,
        consenters: consenters.map((config, i) => ({ config, signer: orgs[i]!.signingIdentity('orderer0') })),
        dataDir,
        genesisHeaderHash: blockHeaderHash(genesis.getHeader()!),
        deliverFrom,
        deserializer: new IdentityDeserializer(),
        msps,
        timings: { leaderTimeoutMs: 400, heartbeatMs: 100, requestTimeoutMs: 1500, viewChangeTimeoutMs: 500, retransmitMs: 200 },
        ...mode.options,
        ...extra,
      });
      const blocks: common.Block[] = [];
      orderer.onBlock((b) => blocks.push(b));
      return { orderer, blocks };
    },
  };
}

/** Waits for a condition (the replicas run on real timers); the limit is a hang guard, not a speed target (a loaded machine is slow). */
const until = async (what: string, cond: () => boolean, ms = 300_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const txIdsOf = (blocks: common.Block[]): string[] =>
  blocks.flatMap((b) =>
    b
      .getData()!
      .getDataList_asU8()
      .map((e) => {
        const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(e).getPayload_asU8());
        return common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getTxId();
      }),
  );

/** Consenter ids whose identifier-header signature verifies against the consenter's certificate. */
function validSigners(block: common.Block, consenters: ConsenterConfig[]): number[] {
  const keys = new Map(consenters.map((c) => [c.id, new X509Certificate(c.identityPem).publicKey]));
  const ok = new Set<number>();
  for (const e of blockSignatures(block)) {
    const key = e.consenterId !== undefined ? keys.get(e.consenterId) : undefined;
    if (key !== undefined && verifySignature(key, e.message, e.signature)) ok.add(e.consenterId!);
  }
  return [...ok].sort();
}

for (const mode of MODES)
  test(`four consenters of four organizations order each envelope once into chained blocks signed by 2f+1 of them (${mode.name})`, async () => {
    const c = await cluster(mode);
    const { orderer, blocks } = c.open(1);
    try {
      await orderer.start();
      const client = c.net.org1.signingIdentity('User1');
      const txs = Array.from({ length: 45 }, () => buildTransaction({ client, endorsers: [], rwsets: [] }));
      for (const t of txs) await orderer.broadcast(t.envelope);
      await orderer.broadcast(txs[0]!.envelope); // a duplicate while it is pending
      await until('all transactions ordered', () => txIdsOf(blocks).length >= 45);
      await orderer.broadcast(txs[1]!.envelope); // a duplicate after it was ordered
      // A barrier instead of a sleep: a fresh envelope broadcast after the duplicate is ordered no
      // earlier than the duplicate would have been, so once it is in a block the duplicate had its chance.
      const marker = buildTransaction({ client, endorsers: [], rwsets: [] });
      await orderer.broadcast(marker.envelope);
      await until('the marker ordered', () => txIdsOf(blocks).includes(marker.txId));
      assert.deepEqual(txIdsOf(blocks).sort(), [...txs, marker].map((t) => t.txId).sort(), 'every transaction exactly once');
      assert.ok(blocks.every((b) => b.getData()!.getDataList().length <= BATCH.maxMessageCount));

      let prev = blockHeaderHash(c.genesis.getHeader()!);
      blocks.forEach((b, i) => {
        assert.equal(b.getHeader()!.getNumber(), i + 1);
        assert.deepEqual(Buffer.from(b.getHeader()!.getPreviousHash_asU8()), Buffer.from(prev));
        prev = blockHeaderHash(b.getHeader()!);
        assert.ok(validSigners(b, c.consenters).length >= 3, `block ${i + 1} carries 2f+1 consenter signatures`);
        assert.ok(
          blockSignatures(b).every((e) => e.consenterId !== undefined && e.creator === undefined),
          'Fabric 3 identifier headers',
        );
      });
      // every replica's WAL holds the same blocks (header and data), each with a valid certificate
      await until('replicas at the same height', () => orderer.replicaHeights().every((h) => h === blocks.length));
      for (let r = 0; r < 4; r++) {
        for (let s = 1; s <= blocks.length; s++) {
          const d = decisionOfBlock(orderer.replicaBlock(r, s));
          assert.deepEqual(d.payload, decisionOfBlock(common.Block.prototype.serializeBinary.call(blocks[s - 1]!)).payload);
        }
      }
    } finally {
      await orderer.stop();
      rmSync(c.dataDir, { recursive: true, force: true });
    }
  });

test('six consenters (f = 1) order with quorums of 4, not 2f+1 = 3: every block carries 4 valid signatures and 3 are no certificate', async () => {
  const c = await cluster(MODES[1], 6);
  const { orderer, blocks } = c.open(1);
  try {
    assert.equal(orderer.f, 1);
    assert.equal(orderer.quorum, 4);
    await orderer.start();
    const client = c.net.org1.signingIdentity('User1');
    const txs = Array.from({ length: 12 }, () => buildTransaction({ client, endorsers: [], rwsets: [] }));
    for (const t of txs) await orderer.broadcast(t.envelope);
    await until('all transactions ordered', () => txIdsOf(blocks).length >= 12);
    const keys = c.consenters.map((k) => new X509Certificate(k.identityPem).publicKey);
    const opts = {
      n: 6,
      crypto: { verify: (r: number, bytes: Uint8Array, sig: Uint8Array) => verifySignature(keys[r]!, bytes, sig) },
      app: {
        commitSigningBytes: (seq: number, view: number, digest: Uint8Array, payload: Uint8Array, signer: number) =>
          blockCommitSigningBytes(seq, view, digest, payload, signer, 0),
      },
    };
    for (const b of blocks) {
      assert.ok(validSigners(b, c.consenters).length >= 4, `block ${b.getHeader()!.getNumber()} carries a quorum of 4 signatures`);
      const d = decisionOfBlock(common.Block.prototype.serializeBinary.call(b));
      assert.equal(verifyDecision(d, opts), true);
      const three = { ...d, certificate: { ...d.certificate, signatures: d.certificate.signatures.slice(0, 3) } };
      assert.equal(verifyDecision(three, opts), false, '3 of 6 signatures are no certificate');
    }
  } finally {
    await orderer.stop();
    rmSync(c.dataDir, { recursive: true, force: true });
  }
});

for (const mode of MODES)
  test(`ordering continues with the leader down, and the restarted replica catches up from its WAL (${mode.name})`, async () => {
    const c = await cluster(mode);
    const { orderer, blocks } = c.open(1);
    try {
      await orderer.start();
      const client = c.net.org1.signingIdentity('User1');
      const submit = async (k: number) => {
        const txs = Array.from({ length: k }, () => buildTransaction({ client, endorsers: [], rwsets: [] }));
        for (const t of txs) await orderer.broadcast(t.envelope);
        return txs;
      };
      await submit(20);
      await until('first blocks', () => txIdsOf(blocks).length >= 20);
      orderer.stopReplica(0); // the leader of view 0 (and the entry replica: the next one takes envelopes)
      const during = await submit(25);
      await until('ordered without replica 0', () => txIdsOf(blocks).length >= 45);
      assert.ok(
        orderer
          .replicaViews()
          .slice(1)
          .every((v) => v !== undefined && v >= 1),
        'a view change replaced the leader',
      );
      assert.ok(during.every((t) => txIdsOf(blocks).includes(t.txId)));

      orderer.startReplica(0);
      await submit(15);
      await until('replica 0 caught up', () => txIdsOf(blocks).length >= 60 && orderer.replicaHeights().every((h) => h === blocks.length));
      for (let s = 1; s <= blocks.length; s++) {
        const mine = decisionOfBlock(orderer.replicaBlock(0, s));
        for (let r = 1; r < 4; r++)
          assert.deepEqual(mine.payload, decisionOfBlock(orderer.replicaBlock(r, s)).payload, `block ${s} of replicas 0 and ${r}`);
        assert.ok(validSigners(common.Block.deserializeBinary(orderer.replicaBlock(0, s)), c.consenters).length >= 3);
      }
      assert.equal(new Set(txIdsOf(blocks)).size, 60);
    } finally {
      await orderer.stop();
      rmSync(c.dataDir, { recursive: true, force: true });
    }
  });

for (const options of [{ deferSync: false }, { deferSync: true }])
  test(`envelopes acknowledged in the turn their entry replica crashes are ordered, once each (deferSync ${options.deferSync})`, async () => {
    const c = await cluster({ name: '', options });
    const { orderer, blocks } = c.open(1);
    try {
      await orderer.start();
      const client = c.net.org1.signingIdentity('User1');
      // Replica 0 takes them (the entry replica, and the leader of view 0: it proposes at once) and
      // crashes in the same turn, before its next tick.
      const txs = Array.from({ length: 25 }, () => buildTransaction({ client, endorsers: [], rwsets: [] }));
      const acks = txs.map((t) => orderer.broadcast(t.envelope));
      orderer.stopReplica(0);
      await Promise.all(acks);
      await until('the acknowledged envelopes ordered', () => txs.every((t) => txIdsOf(blocks).includes(t.txId)), 60_000);
      const ids = txIdsOf(blocks);
      assert.equal(new Set(ids).size, ids.length, 'no envelope ordered twice');
    } finally {
      await orderer.stop();
      rmSync(c.dataDir, { recursive: true, force: true });
    }
  });

test('a restarted service resumes from the WALs (one with a torn tail) and re-emits blocks the ledger lacks', async () => {
  const c = await cluster();
  try {
    const first = c.open(1);
    await first.orderer.start();
    const client = c.net.org1.signingIdentity('User1');
    for (let i = 0; i < 25; i++) await first.orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [] }).envelope);
    await until('ordered', () => txIdsOf(first.blocks).length >= 25);
    await first.orderer.stop();
    const height = first.blocks.length;
    // replica 2 crashed mid-append: its last block record is torn
    const wal = join(c.dataDir, c.consenters[2]!.host, 'blocks.wal');
    const torn = lastRecord(wal);
    scribble(wal, torn.offset + 8 + torn.length - 7, Buffer.alloc(7));

    // the ledger kept only block 1: blocks 2.. are delivered again from the replicas' logs
    const second = c.open(2);
    await second.orderer.start();
    assert.deepEqual(
      second.blocks.map((b) => b.getHeader()!.getNumber()),
      Array.from({ length: height - 1 }, (_, i) => i + 2),
    );
    assert.deepEqual(
      second.blocks.map((b) => Buffer.from(blockHeaderHash(b.getHeader()!)).toString('hex')),
      first.blocks.slice(1).map((b) => Buffer.from(blockHeaderHash(b.getHeader()!)).toString('hex')),
    );
    for (let i = 0; i < 12; i++) await second.orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [] }).envelope);
    await until('ordered after restart', () => txIdsOf(second.blocks).length >= txIdsOf(first.blocks.slice(1)).length + 12);
    await until('replica 2 repaired its log', () => second.orderer.replicaHeights().every((h) => h === second.blocks.length + 1));
    const last = second.blocks.at(-1)!;
    assert.deepEqual(
      Buffer.from(last.getHeader()!.getPreviousHash_asU8()),
      Buffer.from(blockHeaderHash(second.blocks.at(-2)!.getHeader()!)),
    );
    // the commit certificate read back from a WAL verifies with the replicas' public keys
    const keys = c.consenters.map((k) => new X509Certificate(k.identityPem).publicKey);
    const d = decisionOfBlock(second.orderer.replicaBlock(2, height));
    assert.ok(
      verifyDecision(d, {
        n: 4,
        crypto: { verify: (r, bytes, sig) => verifySignature(keys[r]!, bytes, sig) },
        app: { commitSigningBytes: (seq, view, digest, payload, signer) => blockCommitSigningBytes(seq, view, digest, payload, signer, 0) },
      }),
    );
    await second.orderer.stop();
  } finally {
    rmSync(c.dataDir, { recursive: true, force: true });
  }
});

for (const mode of MODES)
  test(`broadcast refuses bad envelopes, and answers BUSY (retryable) when the request pool is full (${mode.name})`, async () => {
    const c = await cluster(mode);
    const { orderer, blocks } = c.open(1, { poolSizeMax: 3 });
    const rejects = (p: Promise<void>, code: string) => assert.rejects(p, (e: unknown) => e instanceof OrderingError && e.code === code);
    const client = c.net.org1.signingIdentity('User1');
    const tx = () => buildTransaction({ client, endorsers: [], rwsets: [] }).envelope;
    try {
      await rejects(orderer.broadcast(tx()), 'SERVICE_UNAVAILABLE');
      await orderer.start();
      await rejects(orderer.broadcast(Buffer.from('not an envelope')), 'BAD_REQUEST');
      await rejects(orderer.broadcast(buildTransaction({ client, endorsers: [], rwsets: [], channelId: 'other' }).envelope), 'BAD_REQUEST');
      await rejects(
        orderer.broadcast(buildTransaction({ client: c.net.outsider.signingIdentity('User1'), endorsers: [], rwsets: [] }).envelope),
        'BAD_REQUEST',
      );
      await rejects(
        orderer.broadcast(
          buildTransaction({ client, endorsers: [], rwsets: [], envelopeSigner: c.net.org2.signingIdentity('User1') }).envelope,
        ),
        'BAD_REQUEST',
      );
      // a certificate that expired is refused at broadcast (Fabric's ExpirationRejectRule), though a committer would take its tx
      await rejects(
        orderer.broadcast(
          buildTransaction({ client: await expiredIdentity(c.net.org1, 'Gone@org1.example.com', 'client'), endorsers: [], rwsets: [] })
            .envelope,
        ),
        'BAD_REQUEST',
      );
      // with no quorum (two replicas down) nothing is ordered and the pool fills up
      orderer.stopReplica(2);
      orderer.stopReplica(3);
      for (let i = 0; i < 3; i++) await orderer.broadcast(tx());
      const busy = await orderer.broadcast(tx()).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(busy instanceof OrderingError && busy.code === 'BUSY' && busy.retryable, String(busy));
      assert.equal(blocks.length, 0);
      orderer.startReplica(2);
      await until('ordered once a quorum is back', () => txIdsOf(blocks).length === 3);
      await orderer.broadcast(tx()); // room again
    } finally {
      await orderer.stop();
      rmSync(c.dataDir, { recursive: true, force: true });
    }
  });
