// SPDX-License-Identifier: Apache-2.0
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peer, type common } from '@hyperledger/fabric-protos';
import { IdentityDeserializer, issueIdentity, MspRegistry, SigningIdentity } from '@metroledger/identity';
import { Ledger, LedgerError, PrivateStore, type BlockFileSystem } from '@metroledger/ledger';
import { FaultyFileSystem } from '@metroledger/ledger/testing/faults';
import { parsePolicy } from '@metroledger/policy';
import {
  hashCollectionWrites,
  hashedStateKey,
  privateDataHash,
  type CollectionPvtRwSet,
  type NsPvtRwSet,
  blockHeaderHash,
  getTransactionFilter,
  newBlock,
  newBlockSignature,
  newGenesisBlock,
  ordererBlockMetadata,
  setBlockSignatures,
  signBlock,
} from '@metroledger/protocol';
import { buildTransaction, expiredIdentity, rw, testNetwork, type TestNetwork } from '@metroledger/protocol/testing/validation';
import { PeerError } from '../endorser/errors.js';
import { Committer, type CommitNotice } from './committer.js';
import type { CommitterPrivateData } from '../privatedata/types.js';
import { quorumBlockVerifier, soloBlockVerifier } from './verifier.js';

const V = peer.TxValidationCode;
const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Fixture {
  net: TestNetwork;
  ledger: Ledger;
  committer: Committer;
  client: SigningIdentity;
  endorsers: SigningIdentity[];
  /** Next block from envelopes, chained on `prev` (default: the ledger's head), signed by `signer` (default orderer0). */
  block(envelopes: Uint8Array[], opts?: { signer?: SigningIdentity; number?: number; prev?: Uint8Array }): common.Block;
}

async function setup(opts: { fileSystem?: BlockFileSystem; privateData?: CommitterPrivateData } = {}): Promise<Fixture & { dir: string }> {
  const net = await testNetwork();
  const dir = await mkdtemp(join(tmpdir(), 'committer-'));
  dirs.push(dir);
  const ledger = await Ledger.open(dir, opts);
  const deserializer = new IdentityDeserializer();
  const msps = new MspRegistry([net.org1.mspConfig(), net.org2.mspConfig(), net.ordererOrg.mspConfig()]);
  const policy = parsePolicy("AND('Org1MSP.peer','Org2MSP.peer')");
  const committer = new Committer({
    channelId: 'mychannel',
    ledger,
    blockVerifier: soloBlockVerifier({ deserializer, msps, ordererMspIds: ['OrdererMSP'] }),
    deserializer,
    msps,
    endorsementPolicy: (cc) => (cc === 'lr' ? policy : undefined),
    ...(opts.privateData !== undefined && { privateData: opts.privateData }),
  });
  const genesis = newGenesisBlock({
    channelId: 'mychannel',
    applicationOrgs: [net.org1.mspConfig(), net.org2.mspConfig()],
    ordererOrgs: [net.ordererOrg.mspConfig()],
    batch: { maxMessageCount: 500, preferredMaxBytes: 1 << 21, absoluteMaxBytes: 1 << 23, batchTimeoutMs: 100 },
    consensus: { type: 'solo' },
  });
  await committer.deliver(genesis);
  let head = blockHeaderHash(genesis.getHeader()!);
  let next = 1;
  committer.onCommit((n) => {
    head = blockHeaderHash(n.block.getHeader()!);
    next = n.blockNum + 1;
  });
  return {
    dir,
    net,
    ledger,
    committer,
    client: net.org1.signingIdentity('User1'),
    endorsers: [net.org1.signingIdentity('peer0'), net.org2.signingIdentity('peer0')],
    block(envelopes, opts = {}) {
      const b = newBlock(opts.number ?? next, opts.prev ?? head, envelopes);
      signBlock(b, opts.signer ?? net.ordererOrg.signingIdentity('orderer0'), { lastConfigIndex: 0 });
      return b;
    },
  };
}

test('a valid block commits: state, tx index, filter, events, and waits answered before and after', async () => {
  const f = await setup();
  const tx = buildTransaction({
    client: f.client,
    endorsers: f.endorsers,
    rwsets: [rw('lr', { m1: null }, { m1: 'reading' })],
    event: { name: 'Measurement', payload: Buffer.from('{"v":1}') },
  });
  const waiting = f.committer.waitForTransaction(tx.txId, 5000);
  const notices: CommitNotice[] = [];
  f.committer.onCommit((n) => notices.push(n));
  const notice = await f.committer.deliver(f.block([tx.envelope]));
  assert.deepEqual(notice.txs, [{ txId: tx.txId, code: V.VALID }]);
  assert.deepEqual(await waiting, { code: V.VALID, blockNum: 1, blockNumber: 1 });
  assert.deepEqual(await f.committer.waitForTransaction(tx.txId, 10), { code: V.VALID, blockNum: 1, blockNumber: 1 });
  assert.equal(notices.length, 1);
  assert.equal(notice.events[0]!.eventName, 'Measurement');
  assert.equal(notice.events[0]!.txId, tx.txId);
  assert.equal(f.ledger.height, 2);
  const v = await f.ledger.state.get('lr', 'm1');
  assert.equal(Buffer.from(v!.value).toString(), 'reading');
  assert.deepEqual(v!.version, { blockNum: 1, txNum: 0 });
  assert.deepEqual([...getTransactionFilter(notice.block)], [V.VALID]);
  await assert.rejects(
    f.committer.waitForTransaction('00'.repeat(32), 20),
    (e: unknown) => e instanceof PeerError && (e.code as string) === 'TIMEOUT',
  );
  await f.ledger.close();
});

test('a peer committing (or replaying) a block after its certificates expired marks it as when they were valid', async () => {
  const f = await setup();
  const client = await expiredIdentity(f.net.org1, 'Gone@org1.example.com', 'client');
  const endorser = await expiredIdentity(f.net.org2, 'gone-peer.org2.example.com', 'peer');
  const orderer = await expiredIdentity(f.net.ordererOrg, 'gone-orderer.example.com', 'orderer');
  const tx = buildTransaction({ client, endorsers: [f.endorsers[0]!, endorser], rwsets: [rw('lr', {}, { late: 'x' })] });
  const notice = await f.committer.deliver(f.block([tx.envelope], { signer: orderer }));
  assert.deepEqual(notice.txs, [{ txId: tx.txId, code: V.VALID }]);
  await f.ledger.close();
});

test('each invalid transaction gets its Fabric code while the block commits and state stays consistent', async () => {
  const f = await setup();
  const { client, endorsers, net } = f;
  const seed = buildTransaction({ client, endorsers, rwsets: [rw('lr', {}, { shared: 's0' })] });
  await f.committer.deliver(f.block([seed.envelope]));
  const sharedVersion = { blockNum: 1, txNum: 0 };

  const ok = buildTransaction({ client, endorsers, rwsets: [rw('lr', { shared: sharedVersion }, { shared: 's1' })] });
  const cases = [
    ok, // VALID
    buildTransaction({ client, endorsers, rwsets: [rw('lr', { shared: sharedVersion }, { shared: 's2' })] }), // same version read after ok wrote it
    buildTransaction({ client, endorsers: endorsers.slice(0, 1), rwsets: [rw('lr', {}, { p: '1' })] }),
    buildTransaction({ client, endorsers, rwsets: [rw('lr', {}, { c: '1' })], envelopeSigner: net.org2.signingIdentity('User1') }),
    buildTransaction({ client, endorsers, rwsets: [rw('lr', {}, { t: '1' })], txId: 'ff'.repeat(32) }),
    buildTransaction({ client, endorsers, rwsets: [rw('lr', {}, { w: '1' }), rw('other', {}, { w: '1' })] }),
    buildTransaction({ client: net.outsider.signingIdentity('User1'), endorsers, rwsets: [rw('lr', {}, { u: '1' })] }),
    seed, // already in block 1
  ];
  const envelopes = cases.map((c) => c.envelope);
  envelopes.push(ok.envelope); // the same transaction twice in one block
  const notice = await f.committer.deliver(f.block(envelopes));
  assert.deepEqual(
    notice.txs.map((t) => t.code),
    [
      V.VALID,
      V.MVCC_READ_CONFLICT,
      V.ENDORSEMENT_POLICY_FAILURE,
      V.BAD_CREATOR_SIGNATURE,
      V.BAD_PROPOSAL_TXID,
      V.ILLEGAL_WRITESET,
      V.BAD_CREATOR_SIGNATURE,
      V.DUPLICATE_TXID,
      V.DUPLICATE_TXID,
    ],
  );
  assert.equal(f.ledger.height, 3);
  assert.equal(Buffer.from((await f.ledger.state.get('lr', 'shared'))!.value).toString(), 's1');
  for (const key of ['p', 'c', 't', 'w', 'u']) assert.equal(await f.ledger.state.get('lr', key), undefined, key);
  assert.equal(await f.ledger.state.get('other', 'w'), undefined);
  assert.deepEqual(await f.ledger.getTx(cases[2]!.txId), { blockNum: 2, txNum: 2, code: V.ENDORSEMENT_POLICY_FAILURE });
  // the earlier, valid occurrence stays the indexed one
  assert.deepEqual(await f.committer.waitForTransaction(seed.txId, 100), { code: V.VALID, blockNum: 1, blockNumber: 1 });
  await f.ledger.close();
});

test('a block without a valid orderer signature is refused and reported, never committed', async () => {
  const f = await setup();
  const tx = buildTransaction({ client: f.client, endorsers: f.endorsers, rwsets: [rw('lr', {}, { k: 'v' })] });
  const rejected: number[] = [];
  f.committer.onBlockRejected((n) => rejected.push(n));
  const isBadSig = (e: unknown) => e instanceof PeerError && (e.code as string) === 'BAD_BLOCK_SIGNATURE';
  await assert.rejects(f.committer.deliver(f.block([tx.envelope], { signer: f.net.org1.signingIdentity('peer0') })), isBadSig);
  await assert.rejects(f.committer.deliver(f.block([tx.envelope], { signer: f.net.outsider.signingIdentity('peer0') })), isBadSig);
  const tampered = f.block([tx.envelope]);
  tampered.getHeader()!.setDataHash(Buffer.alloc(32));
  await assert.rejects(f.committer.deliver(tampered), isBadSig);
  assert.deepEqual(rejected, [1, 1, 1]);
  assert.equal(f.ledger.height, 1);
  assert.equal(await f.ledger.state.get('lr', 'k'), undefined);
  await f.committer.deliver(f.block([tx.envelope]));
  assert.equal(f.ledger.height, 2);
  await f.ledger.close();
});

test('blocks arriving ahead wait for the missing one; old or duplicate blocks are refused', async () => {
  const f = await setup();
  const t1 = buildTransaction({ client: f.client, endorsers: f.endorsers, rwsets: [rw('lr', {}, { a: '1' })] });
  const t2 = buildTransaction({ client: f.client, endorsers: f.endorsers, rwsets: [rw('lr', {}, { b: '2' })] });
  const b1 = f.block([t1.envelope]);
  const b2 = f.block([t2.envelope], { number: 2, prev: blockHeaderHash(b1.getHeader()!) });
  const second = f.committer.deliver(b2);
  await new Promise((r) => setImmediate(r));
  assert.equal(f.ledger.height, 1);
  await f.committer.deliver(b1);
  assert.equal((await second).blockNum, 2);
  await assert.rejects(f.committer.deliver(b1), (e: unknown) => e instanceof PeerError && (e.code as string) === 'BLOCK_OUT_OF_ORDER');
  await f.ledger.close();
});

/** `p`, or a rejection if it has not settled within `ms` (a hang is what the halt prevents). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

test('a block the ledger cannot write (disk full) halts the committer: queued blocks and waits fail at once, nothing resumes silently', async () => {
  const fs = new FaultyFileSystem();
  const f = await setup({ fileSystem: fs });
  const [t1, t2, t3, t4] = ['1', '2', '3', '4'].map((v) =>
    buildTransaction({ client: f.client, endorsers: f.endorsers, rwsets: [rw('lr', {}, { [`k${v}`]: v })] }),
  );
  await f.committer.deliver(f.block([t1!.envelope]));
  const halts: unknown[] = [];
  f.committer.onHalt((h) => halts.push(h));
  const waitT2 = f.committer.waitForTransaction(t2!.txId, 60_000);

  fs.fail('writev', 'ENOSPC');
  const b2 = f.block([t2!.envelope]);
  const b3 = f.block([t3!.envelope], { number: 3, prev: blockHeaderHash(b2.getHeader()!) });
  const third = f.committer.deliver(b3); // queued ahead, waiting for block 2
  const isHalted = (blockNum: number) => (e: unknown) => {
    assert.ok(e instanceof PeerError, String(e));
    assert.equal(e.code as string, 'HALTED');
    assert.ok(e.cause instanceof LedgerError && e.cause.code === 'IO' && e.cause.details?.['errno'] === 'ENOSPC', String(e.cause));
    assert.match(e.message, new RegExp(`block ${blockNum}`));
    return true;
  };
  await assert.rejects(within(f.committer.deliver(b2), 5_000, 'block 2'), isHalted(2));
  await assert.rejects(within(third, 5_000, 'block 3 queued behind it'), isHalted(2));
  await assert.rejects(within(waitT2, 5_000, 'a wait for a transaction of block 2'), isHalted(2));
  assert.equal(halts.length, 1);
  assert.deepEqual((halts[0] as { blockNum: number }).blockNum, 2);
  assert.equal(f.committer.halt?.blockNum, 2);

  fs.heal(); // space freed: the peer stays halted until restarted (a failed fsync is not retried)
  await assert.rejects(within(f.committer.deliver(f.block([t4!.envelope], { number: 2 })), 5_000, 'a later delivery'), isHalted(2));
  await assert.rejects(within(f.committer.waitForTransaction(t3!.txId, 60_000), 5_000, 'a wait after the halt'), isHalted(2));
  assert.deepEqual(
    await f.committer.waitForTransaction(t1!.txId, 1_000),
    { code: V.VALID, blockNum: 1, blockNumber: 1 },
    'what was committed is still answered',
  );
  let late: unknown;
  f.committer.onHalt((h) => (late = h));
  assert.equal(late, f.committer.halt, 'a listener added after the halt hears of it at once');
  await f.ledger.close();

  const reopened = await Ledger.open(f.dir);
  try {
    assert.equal(reopened.height, 2, 'every acknowledged block, nothing else');
    assert.deepEqual(await reopened.getTx(t1!.txId), { blockNum: 1, txNum: 0, code: V.VALID });
    assert.equal(await reopened.getTx(t2!.txId), undefined);
  } finally {
    await reopened.close();
  }
});

test('the quorum verifier needs 3 of 4 distinct consenters, by signature header or by consenter id', async () => {
  const net = await testNetwork();
  const names = ['orderer0', 'orderer1', 'orderer2', 'orderer3'];
  const ids = names.map((n) => net.ordererOrg.signingIdentity(n));
  const verifier = quorumBlockVerifier({
    deserializer: new IdentityDeserializer(),
    msps: new MspRegistry([net.ordererOrg.mspConfig()]),
    consenters: ids.map((s, i) => ({ id: i + 1, mspId: 'OrdererMSP', host: '127.0.0.1', port: 7050 + i, identityPem: s.certPem })),
  });
  const signedBy = (which: number[], byId = false, dup = false) => {
    const b = newBlock(3, Buffer.alloc(32), []);
    const value = ordererBlockMetadata(0);
    const sigs = which.map((i) => newBlockSignature(b.getHeader()!, value, ids[i]!, byId ? { consenterId: i + 1 } : {}));
    if (dup) sigs.push(sigs[0]!);
    setBlockSignatures(b, value, sigs);
    return b;
  };
  verifier.verify(signedBy([0, 1, 2]));
  verifier.verify(signedBy([1, 2, 3], true));
  assert.throws(
    () => verifier.verify(signedBy([0, 1])),
    (e: unknown) => e instanceof PeerError && (e.code as string) === 'BAD_BLOCK_SIGNATURE',
  );
  assert.throws(
    () => verifier.verify(signedBy([0, 1], false, true)),
    (e: unknown) => e instanceof PeerError,
  );
});

test('with 6 consenters (f = 1) a block needs 4 signatures, not 2f+1 = 3: two sets of 3 could be disjoint', async () => {
  const net = await testNetwork();
  const extra = await Promise.all(
    ['orderer4', 'orderer5'].map((commonName) => issueIdentity(net.ordererOrg, { commonName, role: 'orderer' })),
  );
  const ids = [
    ...['orderer0', 'orderer1', 'orderer2', 'orderer3'].map((n) => net.ordererOrg.signingIdentity(n)),
    ...extra.map((e) => new SigningIdentity('OrdererMSP', e.certPem, createPrivateKey(e.keyPem))),
  ];
  const verifier = quorumBlockVerifier({
    deserializer: new IdentityDeserializer(),
    msps: new MspRegistry([net.ordererOrg.mspConfig()]),
    consenters: ids.map((s, i) => ({ id: i + 1, mspId: 'OrdererMSP', host: '127.0.0.1', port: 7050 + i, identityPem: s.certPem })),
  });
  const signedBy = (which: number[]) => {
    const b = newBlock(3, Buffer.alloc(32), []);
    const value = ordererBlockMetadata(0);
    setBlockSignatures(
      b,
      value,
      which.map((i) => newBlockSignature(b.getHeader()!, value, ids[i]!, { consenterId: i + 1 })),
    );
    return b;
  };
  assert.throws(
    () => verifier.verify(signedBy([0, 1, 2])),
    (e: unknown) => e instanceof PeerError && (e.code as string) === 'BAD_BLOCK_SIGNATURE' && /needs 4 of 6/.test(e.message),
  );
  assert.throws(
    () => verifier.verify(signedBy([3, 4, 5])),
    (e: unknown) => e instanceof PeerError && (e.code as string) === 'BAD_BLOCK_SIGNATURE',
  );
  verifier.verify(signedBy([0, 2, 4, 5]));
});

// The rate is a figure (node packages/peer/dist/testing/bench.js measures it), not a pass mark.
test('500-transaction blocks validate and commit every transaction VALID', async (t) => {
  const f = await setup();
  const N = 500;
  const blocks = 2;
  const built: common.Block[] = [];
  let prev: Uint8Array | undefined;
  for (let b = 0; b < blocks; b++) {
    const envs = Array.from(
      { length: N },
      (_, i) =>
        buildTransaction({
          client: f.client,
          endorsers: f.endorsers,
          rwsets: [rw('lr', { [`m${b}-${i}`]: null }, { [`m${b}-${i}`]: 'x'.repeat(300) })],
        }).envelope,
    );
    const block: common.Block = f.block(envs, { number: b + 1, ...(prev !== undefined ? { prev } : {}) });
    prev = blockHeaderHash(block.getHeader()!);
    built.push(block);
  }
  const start = process.hrtime.bigint();
  for (const b of built) {
    const n = await f.committer.deliver(b);
    assert.ok(n.txs.every((x) => x.code === V.VALID));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const rate = Math.round((N * blocks) / (ms / 1000));
  t.diagnostic(`committed ${N * blocks} txs (3 signatures each) in ${ms.toFixed(0)} ms: ${rate} tx/s`);
  assert.equal(f.ledger.height, blocks + 1);
  await f.ledger.close();
});

test('private data: hashes for everyone, values checked against them and stored on member peers only, MVCC on key hashes; what cannot be stored is reported missing', async () => {
  const ORG1 = '_implicit_org_Org1MSP';
  const dir = await mkdtemp(join(tmpdir(), 'committer-pvt-'));
  dirs.push(dir);
  const [org1Store, org2Store] = await Promise.all([PrivateStore.open(join(dir, 'org1')), PrivateStore.open(join(dir, 'org2'))]);
  const transient = new Map<string, NsPvtRwSet[]>();
  const purged: string[] = [];
  const f = await setup({
    privateData: {
      fetch: (txId) => transient.get(txId),
      peers: [
        { isMember: (_ns, c) => c === ORG1, store: org1Store },
        { isMember: (_ns, c) => c === '_implicit_org_Org2MSP', store: org2Store },
      ],
      committed: (ids) => {
        purged.push(...ids);
      },
    },
  });
  const privateTx = (writes: Record<string, string>, read?: { key: string; version?: { blockNum: number; txNum: number } }) => {
    const pvt: CollectionPvtRwSet = {
      collection: ORG1,
      writes: Object.entries(writes).map(([key, v]) => ({ key, isDelete: false, value: Buffer.from(v) })),
    };
    const reads =
      read === undefined ? [] : [{ keyHash: privateDataHash(read.key), ...(read.version !== undefined && { version: read.version }) }];
    const tx = buildTransaction({
      client: f.client,
      endorsers: f.endorsers,
      rwsets: [{ ...rw('lr', {}, {}), collections: [{ collection: ORG1, reads, ...hashCollectionWrites(pvt) }] }],
    });
    return { tx, pvt: [{ namespace: 'lr', collections: [pvt] }] };
  };

  const a = privateTx({ plate: 'image-1' }, { key: 'plate' });
  transient.set(a.tx.txId, a.pvt);
  const n1 = await f.committer.deliver(f.block([a.tx.envelope]));
  assert.deepEqual(
    n1.txs.map((t) => t.code),
    [V.VALID],
  );
  assert.equal(n1.missingPrivateData, undefined);
  assert.deepEqual(purged, [a.tx.txId]);
  const at = hashedStateKey('lr', ORG1, privateDataHash('plate'));
  assert.deepEqual(Buffer.from((await f.ledger.state.get(at.ns, at.key))!.value), Buffer.from(privateDataHash('image-1')));
  assert.equal(Buffer.from((await org1Store.get('lr', ORG1, 'plate'))!.value).toString(), 'image-1');
  assert.equal(await org2Store.get('lr', ORG1, 'plate'), undefined);

  // b read the hash at its version: valid; c read it absent (a stale read): MVCC conflict.
  // d's values do not match its hashes, e's are nowhere: both valid, their values missing.
  const b = privateTx({ plate: 'image-2' }, { key: 'plate', version: { blockNum: 1, txNum: 0 } });
  const c = privateTx({ plate: 'image-3' }, { key: 'plate' });
  const d = privateTx({ other: 'image-4' });
  const e = privateTx({ more: 'image-5' });
  transient.set(b.tx.txId, b.pvt);
  transient.set(c.tx.txId, c.pvt);
  transient.set(d.tx.txId, [
    { namespace: 'lr', collections: [{ collection: ORG1, writes: [{ key: 'other', isDelete: false, value: Buffer.from('forged') }] }] },
  ]);
  const n2 = await f.committer.deliver(f.block([b.tx.envelope, c.tx.envelope, d.tx.envelope, e.tx.envelope]));
  assert.deepEqual(
    n2.txs.map((t) => t.code),
    [V.VALID, V.MVCC_READ_CONFLICT, V.VALID, V.VALID],
  );
  assert.deepEqual(n2.missingPrivateData, [
    { txId: d.tx.txId, namespace: 'lr', collection: ORG1, reason: 'HASH_MISMATCH' },
    { txId: e.tx.txId, namespace: 'lr', collection: ORG1, reason: 'NOT_FOUND' },
  ]);
  assert.equal(Buffer.from((await org1Store.get('lr', ORG1, 'plate'))!.value).toString(), 'image-2');
  assert.deepEqual((await org1Store.get('lr', ORG1, 'plate'))!.version, { blockNum: 2, txNum: 0 });
  assert.equal(await org1Store.get('lr', ORG1, 'other'), undefined);
  const otherAt = hashedStateKey('lr', ORG1, privateDataHash('other'));
  assert.notEqual(await f.ledger.state.get(otherAt.ns, otherAt.key), undefined, 'the hash is committed even where the value is missing');
  await Promise.all([f.ledger.close(), org1Store.close(), org2Store.close()]);
});

test('without private data support, a transaction with private data is BAD_RWSET', async () => {
  const f = await setup();
  const pvt: CollectionPvtRwSet = { collection: '_implicit_org_Org1MSP', writes: [{ key: 'k', isDelete: false, value: Buffer.from('v') }] };
  const tx = buildTransaction({
    client: f.client,
    endorsers: f.endorsers,
    rwsets: [{ ...rw('lr', {}, {}), collections: [{ collection: pvt.collection, reads: [], ...hashCollectionWrites(pvt) }] }],
  });
  const n = await f.committer.deliver(f.block([tx.envelope]));
  assert.deepEqual(
    n.txs.map((t) => t.code),
    [V.BAD_RWSET],
  );
  await f.ledger.close();
});
