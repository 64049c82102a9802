// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  ChaincodeHostError,
  hostChaincodeModule,
  hostContracts,
  MemoryState,
  type ChaincodeInvocation,
  type ChaincodeResult,
  type HostedChaincode,
} from './index';
import { identityCaching, isPlainJson } from './fabric';
import { selfSignedCertPem } from './testing/certs';
import { KvContract } from './testing/kvcontract';
import { writeAssetTransferChaincode } from './testing/foreign';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const NS = 'kv';
let pem: Uint8Array;
let kv: HostedChaincode;

before(async () => {
  pem = Buffer.from(await selfSignedCertPem('alice', 'Org1'));
  kv = hostContracts({ name: NS, version: '1.0', contracts: [KvContract] });
});

function invocation(args: string[], extra: Partial<ChaincodeInvocation> = {}): ChaincodeInvocation {
  return {
    channelId: 'mychannel',
    txId: 'tx-' + args.join('-'),
    args: args.map((a) => Buffer.from(a)),
    creator: { mspId: 'Org1MSP', idBytes: pem },
    timestamp: { seconds: 1_700_000_000, nanos: 123_456_789 },
    ...extra,
  };
}

async function call(state: MemoryState, ...args: string[]): Promise<ChaincodeResult> {
  return kv.invoke(invocation(args), state);
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString();
}

function ok(r: ChaincodeResult): ChaincodeResult {
  assert.equal(r.response.status, 200, r.response.message);
  return r;
}

let block = 0;
/** Commits a result's writes as the next block. */
function commit(state: MemoryState, r: ChaincodeResult): void {
  state.apply(NS, ok(r).rwset, { blockNum: ++block, txNum: 0 });
}

async function seed(state: MemoryState, entries: Record<string, string>): Promise<void> {
  for (const [k, v] of Object.entries(entries)) commit(state, await call(state, 'put', k, v));
}

describe('hosting a fabric-contract-api chaincode', () => {
  it('loads fabric-shim internals it depends on (pinned 2.5.8) and caches client identities', () => {
    const req = createRequire(__filename);
    assert.equal((req('fabric-shim/package.json') as { version: string }).version, '2.5.8');
    assert.equal((req('fabric-contract-api/package.json') as { version: string }).version, '2.5.8');
    assert.equal(identityCaching, true);
  });

  it('leaves no fabric handlers on uncaughtException / unhandledRejection', () => {
    const names = [...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')].map((l) => l.name);
    assert.ok(!names.includes('loggerUnhandledRejectionFn'), names.join(','));
    assert.ok(!names.includes('bound _uncaughtException'), names.join(','));
  });

  it('lets a host process still crash with a non-zero exit on an uncaught error', () => {
    const script = `require(${JSON.stringify(join(__dirname, 'index'))}); setImmediate(() => { throw new Error('boom'); });`;
    const child = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'info' },
    });
    assert.notEqual(child.status, 0);
    assert.match(child.stderr, /boom/);
  });

  it('returns the transaction result and the writes', async () => {
    const state = new MemoryState();
    const r = ok(await call(state, 'put', 'a', 'hello'));
    assert.equal(r.response.payload.length, 0);
    assert.deepEqual(r.rwset, {
      namespace: NS,
      reads: [],
      rangeQueries: [],
      writes: [{ key: 'a', isDelete: false, value: new Uint8Array(Buffer.from('hello')) }],
    });
    assert.equal(r.event, undefined);
    commit(state, r);
    assert.equal(text(ok(await call(state, 'get', 'a')).response.payload), 'hello');
  });

  it('reads do not see the same transaction’s writes; first read recorded once; last write wins', async () => {
    const state = new MemoryState();
    await seed(state, { k: 'old' });
    const version = state.entries(NS)[0]!.version;
    const r = ok(await call(state, 'putThenGet', 'k', 'new'));
    assert.deepEqual(JSON.parse(text(r.response.payload)), ['old', 'old']);
    assert.deepEqual(r.rwset.reads, [{ key: 'k', version }]);
    assert.deepEqual(r.rwset.writes, [{ key: 'k', isDelete: false, value: new Uint8Array(Buffer.from('new!')) }]);
  });

  it('a missing key reads as empty and is recorded without a version', async () => {
    const r = ok(await call(new MemoryState(), 'putThenGet', 'nothing', 'v'));
    assert.deepEqual(JSON.parse(text(r.response.payload)), ['', '']);
    assert.deepEqual(r.rwset.reads, [{ key: 'nothing' }]);
    assert.equal('version' in r.rwset.reads[0]!, false);
  });

  it('records deletes, and an empty value as a delete (as Fabric does)', async () => {
    const state = new MemoryState();
    await seed(state, { gone: 'x', empty: 'y' });
    const del = ok(await call(state, 'del', 'gone'));
    assert.deepEqual(del.rwset.writes, [{ key: 'gone', isDelete: true, value: new Uint8Array(0) }]);
    const empty = ok(await call(state, 'put', 'empty', ''));
    assert.equal(empty.rwset.writes[0]!.isDelete, true);
    commit(state, del);
    commit(state, empty);
    assert.deepEqual(state.entries(NS), []);
  });

  it('sorts writes in UTF-8 byte order, not UTF-16 order', async () => {
    const state = new MemoryState();
    // U+FF01 (EF BC 81) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16 ('\ud83d').
    const keys = ['\u{1F600}', '\uFF01', 'b', 'a'];
    const rwsets = [];
    for (const k of keys) rwsets.push(ok(await call(state, 'put', k, k)));
    for (const r of rwsets) commit(state, r);
    assert.deepEqual(
      state.entries(NS).map((e) => e.key),
      ['a', 'b', '\uFF01', '\u{1F600}'],
    );
    const r = ok(await call(state, 'range', '', ''));
    assert.deepEqual(
      JSON.parse(text(r.response.payload)).map((s: string) => s.split('=')[0]),
      ['a', 'b', '\uFF01', '\u{1F600}'],
    );
  });

  it('records a range query with the keys and versions it returned', async () => {
    const state = new MemoryState();
    await seed(state, { a: '1', b: '2', c: '3', d: '4' });
    const v = Object.fromEntries(state.entries(NS).map((e) => [e.key, e.version]));
    const r = ok(await call(state, 'range', 'b', 'd'));
    assert.deepEqual(JSON.parse(text(r.response.payload)), ['b=2', 'c=3']);
    assert.deepEqual(r.rwset.rangeQueries, [
      {
        startKey: 'b',
        endKey: 'd',
        itrExhausted: true,
        reads: [
          { key: 'b', version: v.b },
          { key: 'c', version: v.c },
        ],
      },
    ]);
    assert.deepEqual(r.rwset.reads, [], 'range results are not point reads');
    // An empty start key is sent by the shim as \x01 (so composite keys are excluded).
    const all = ok(await call(state, 'range', '', ''));
    assert.equal(all.rwset.rangeQueries[0]!.startKey, '\x01');
    assert.equal(all.rwset.rangeQueries[0]!.reads.length, 4);
  });

  it('records the peer’s read-ahead when the contract stops iterating early', async () => {
    const state = new MemoryState();
    for (let i = 0; i < 150; i++) state.put(NS, `k${String(i).padStart(3, '0')}`, Buffer.from('v'), { blockNum: 1, txNum: i });
    const r = ok(await call(state, 'rangeFirst', 'k', 'l', '1'));
    assert.deepEqual(JSON.parse(text(r.response.payload)), ['k000']);
    // A peer fetches a batch of 100 plus one pending result before the chaincode sees the first.
    const info = r.rwset.rangeQueries[0]!;
    assert.equal(info.reads.length, 101);
    assert.equal(info.endKey, 'k100');
    assert.equal(info.itrExhausted, false);
    const full = ok(await call(state, 'range', 'k', 'l'));
    assert.equal(JSON.parse(text(full.response.payload)).length, 150);
    assert.equal(full.rwset.rangeQueries[0]!.reads.length, 150);
    assert.equal(full.rwset.rangeQueries[0]!.itrExhausted, true);
  });

  it('builds composite keys as \\0type\\0a\\0b\\0 and queries them by partial key', async () => {
    const state = new MemoryState();
    const r = ok(await call(state, 'putComposite', 'car', 'red', 'x1', 'v1'));
    assert.equal(r.rwset.writes[0]!.key, '\u0000car\u0000red\u0000x1\u0000');
    assert.deepEqual(JSON.parse(text(r.response.payload)), { objectType: 'car', attributes: ['red', 'x1'] });
    commit(state, r);
    commit(state, await call(state, 'putComposite', 'car', 'blue', 'x2', 'v2'));
    commit(state, await call(state, 'putComposite', 'cart', 'red', 'x3', 'v3'));
    commit(state, await call(state, 'put', 'plain', 'v4'));
    const red = ok(await call(state, 'partial', 'car', 'red'));
    assert.deepEqual(JSON.parse(text(red.response.payload)), ['\u0000car\u0000red\u0000x1\u0000=v1']);
    assert.deepEqual(
      red.rwset.rangeQueries.map((q) => [q.startKey, q.endKey]),
      [['\u0000car\u0000red\u0000', '\u0000car\u0000red\u0000\u{10ffff}']],
    );
    const cars = ok(await call(state, 'partial', 'car', ''));
    assert.equal(JSON.parse(text(cars.response.payload)).length, 2, 'type "cart" is not part of type "car"');
    const plain = ok(await call(state, 'range', '', ''));
    assert.deepEqual(JSON.parse(text(plain.response.payload)), ['plain=v4'], 'simple range queries skip composite keys');
  });

  it('paginates range queries with bookmarks, as Fabric does', async () => {
    const state = new MemoryState();
    await seed(state, { a: '1', b: '2', c: '3', d: '4', e: '5' });
    const page1 = ok(await call(state, 'page', 'a', 'z', '2', ''));
    assert.deepEqual(JSON.parse(text(page1.response.payload)), { keys: ['a', 'b'], bookmark: 'c', count: 2 });
    // A full page stops before the end: not exhausted, end key = last key returned; the bookmark peek is not recorded.
    assert.deepEqual(
      page1.rwset.rangeQueries.map((q) => [q.startKey, q.endKey, q.itrExhausted, q.reads.length]),
      [['a', 'b', false, 2]],
    );
    const page2 = ok(await call(state, 'page', 'a', 'z', '2', 'c'));
    assert.deepEqual(JSON.parse(text(page2.response.payload)), { keys: ['c', 'd'], bookmark: 'e', count: 2 });
    assert.equal(page2.rwset.rangeQueries[0]!.startKey, 'c', 'the bookmark replaces the start key');
    const page3 = ok(await call(state, 'page', 'a', 'z', '2', 'e'));
    assert.deepEqual(JSON.parse(text(page3.response.payload)), { keys: ['e'], bookmark: '', count: 1 });
    assert.deepEqual(
      page3.rwset.rangeQueries.map((q) => [q.endKey, q.itrExhausted]),
      [['z', true]],
    );
  });

  it('paginates partial composite key queries', async () => {
    const state = new MemoryState();
    for (const [a, b] of [
      ['1', 'x'],
      ['2', 'y'],
      ['3', 'z'],
    ])
      commit(state, await call(state, 'putComposite', 'm', a!, b!, 'v'));
    const p1 = JSON.parse(text(ok(await call(state, 'partialPage', 'm', '2', '')).response.payload));
    assert.deepEqual(p1, { keys: ['1/x', '2/y'], bookmark: '\u0000m\u00003\u0000z\u0000', count: 2 });
    const p2 = JSON.parse(text(ok(await call(state, 'partialPage', 'm', '2', p1.bookmark)).response.payload));
    assert.deepEqual(p2, { keys: ['3/z'], bookmark: '', count: 1 });
  });

  it('refuses writes after a paginated query (read-only in Fabric), recording no write', async () => {
    const r = await call(new MemoryState(), 'pageThenPut', 'k');
    assert.equal(r.response.status, 500);
    assert.match(r.response.message, /Transaction has already performed a paginated query. Writes are not allowed/);
    assert.deepEqual(r.rwset.writes, []);
  });

  it('captures the last event the contract set', async () => {
    const r = ok(await call(new MemoryState(), 'emit', 'Measured', '{"v":1}'));
    assert.equal(r.event?.name, 'Measured');
    assert.equal(text(r.event!.payload), '{"v":1}');
  });

  it('turns a contract error into status 500 with its message, and still returns the rwset', async () => {
    const r = await call(new MemoryState(), 'failAfterWrite', 'k', 'METER_NOT_FOUND: m-1');
    assert.equal(r.response.status, 500);
    assert.equal(r.response.message, 'METER_NOT_FOUND: m-1');
    assert.deepEqual(
      r.rwset.writes.map((w) => w.key),
      ['k'],
    );
  });

  it('rejects unknown functions, wrong argument counts, bad keys and unsupported stub calls with 500', async () => {
    const state = new MemoryState();
    assert.match((await call(state, 'nope')).response.message, /does not exist: nope/);
    assert.match((await call(state, 'put', 'only-one-arg')).response.message, /Expected 2 parameters, but 1 have been supplied/);
    const bad = await call(state, 'badKey');
    assert.equal(bad.response.status, 500);
    assert.match(bad.response.message, /not a valid UTF-8 string/);
    assert.deepEqual(bad.rwset.writes, []);
    assert.match((await call(state, 'history', 'k')).response.message, /getHistoryForKey is not supported/);
  });

  it('gives the contract the invocation’s creator, time, transient data and ids — never the clock', async () => {
    const transient = new Map([['secret', Buffer.from('s3')]]);
    const r = ok(await kv.invoke(invocation(['whoAmI'], { txId: 'abc', transient }), new MemoryState()));
    assert.deepEqual(JSON.parse(text(r.response.payload)), {
      mspId: 'Org1MSP',
      id: 'x509::/CN=alice/O=Org1::/CN=alice/O=Org1',
      creatorMsp: 'Org1MSP',
      txId: 'abc',
      channel: 'mychannel',
      seconds: 1_700_000_000,
      nanos: 123_456_789,
      date: '2023-11-14T22:13:20.123Z',
      transient: { secret: 's3' },
    });
  });

  it('identifies each caller by its own certificate (identity cache keyed by certificate)', async () => {
    const bob = Buffer.from(await selfSignedCertPem('bob', 'Org2'));
    const state = new MemoryState();
    const a = JSON.parse(text(ok(await call(state, 'whoAmI')).response.payload));
    const b = JSON.parse(
      text(ok(await kv.invoke(invocation(['whoAmI'], { creator: { mspId: 'Org2MSP', idBytes: bob } }), state)).response.payload),
    );
    assert.equal(a.id, 'x509::/CN=alice/O=Org1::/CN=alice/O=Org1');
    assert.equal(b.id, 'x509::/CN=bob/O=Org2::/CN=bob/O=Org2');
    assert.equal(b.mspId, 'Org2MSP');
    const garbage = await kv.invoke(invocation(['whoAmI'], { creator: { mspId: 'Org1MSP', idBytes: Buffer.from('not a cert') } }), state);
    assert.equal(garbage.response.status, 500);
  });

  it('decodes the signed proposal on demand for getSignedProposal and getBinding', async () => {
    const shimProtos = createRequire(require.resolve('fabric-shim/lib/stub'))('@hyperledger/fabric-protos');
    const { common, msp, peer } = shimProtos;
    const creator = new msp.SerializedIdentity();
    creator.setMspid('Org1MSP');
    creator.setIdBytes(pem);
    const creatorBytes: Uint8Array = creator.serializeBinary();
    const nonce = Buffer.alloc(24, 7);
    const sigHeader = new common.SignatureHeader();
    sigHeader.setCreator(creatorBytes);
    sigHeader.setNonce(nonce);
    const chHeader = new common.ChannelHeader();
    chHeader.setType(3);
    chHeader.setChannelId('mychannel');
    chHeader.setTxId('tx-proposal');
    const header = new common.Header();
    header.setChannelHeader(chHeader.serializeBinary());
    header.setSignatureHeader(sigHeader.serializeBinary());
    const ccpp = new peer.ChaincodeProposalPayload();
    ccpp.setInput(Buffer.from('input'));
    const proposal = new peer.Proposal();
    proposal.setHeader(header.serializeBinary());
    proposal.setPayload(ccpp.serializeBinary());
    const signed = new peer.SignedProposal();
    signed.setProposalBytes(proposal.serializeBinary());
    signed.setSignature(Buffer.from('sig'));
    const r = ok(await kv.invoke(invocation(['proposal'], { signedProposal: signed.serializeBinary() }), new MemoryState()));
    const binding = createHash('sha256')
      .update(Buffer.concat([nonce, creatorBytes, Buffer.alloc(8)]))
      .digest('hex');
    assert.deepEqual(JSON.parse(text(r.response.payload)), { hasProposal: true, binding });
    const none = ok(await call(new MemoryState(), 'proposal'));
    assert.deepEqual(JSON.parse(text(none.response.payload)), { hasProposal: false, binding: null });
  });

  it('is deterministic: the same invocation on the same state gives the same result', async () => {
    const state = new MemoryState();
    await seed(state, { a: '1', b: '2' });
    const one = await call(state, 'range', '', '');
    const two = await call(state, 'range', '', '');
    assert.deepEqual(one, two);
  });

  it('hosts several chaincodes in one process, each with its own default contract', async () => {
    const counter = hostChaincodeModule({ name: 'counter', version: '2.0', dir: join(__dirname, 'testing', 'othercontract') });
    const again = hostChaincodeModule({ name: 'counter2', version: '2.0', dir: join(__dirname, 'testing', 'othercontract') });
    const state = new MemoryState();
    const inc = await counter.invoke(invocation(['inc', 'n']), state);
    assert.equal(inc.response.status, 200, inc.response.message);
    assert.equal(text(inc.response.payload), '1');
    assert.equal(inc.rwset.namespace, 'counter');
    state.apply('counter', inc.rwset, { blockNum: 1, txNum: 0 });
    assert.equal(text((await counter.invoke(invocation(['inc', 'n']), state)).response.payload), '2');
    assert.equal(text((await counter.invoke(invocation(['helper:hello']), state)).response.payload), 'helper');
    assert.equal(text((await again.invoke(invocation(['inc', 'n']), state)).response.payload), '1', 'namespaces are separate');
    // The first chaincode keeps its own default contract and namespace.
    const put = ok(await kv.invoke(invocation(['put', 'n', 'x']), state));
    assert.equal(put.rwset.namespace, NS);
    assert.equal(text(ok(await kv.invoke(invocation(['kv:get', 'n']), state)).response.payload), '');
    assert.equal((await kv.invoke(invocation(['inc', 'n']), state)).response.status, 500);
  });

  it('reports a module without contracts as INVALID_CHAINCODE', () => {
    assert.throws(
      () => hostChaincodeModule({ name: 'x', version: '1', dir: join(__dirname, 'keys') }),
      (err: unknown) => err instanceof ChaincodeHostError && err.code === 'INVALID_CHAINCODE',
    );
    assert.throws(
      () => hostContracts({ name: 'x', version: '1', contracts: [class NotAContract {}] }),
      (err: unknown) => err instanceof ChaincodeHostError && err.code === 'INVALID_CHAINCODE',
    );
  });

  it('answers with the streamlined dispatch exactly as with fabric-shim’s own: results, payloads, refusals', async () => {
    const plain = hostContracts({ name: NS, version: '1.0', contracts: [KvContract], streamline: false });
    const fast = hostContracts({ name: NS, version: '1.0', contracts: [KvContract] });
    const calls = [
      ['put', 'a', 'x'.repeat(12_000)],
      ['put', 'b', '2'],
      ['get', 'a'],
      ['putThenGet', 'c', 'v'],
      ['rangeFirst', '', '', '1'],
      ['rangeFirst', '', '', 'not a number'],
      ['rangeFirst', '', '', '1.5e400'],
      ['page', '', '', '1', ''],
      ['whoAmI'],
      ['noop'],
      ['put', 'too', 'many', 'arguments'],
      ['failAfterWrite', 'k', 'refused'],
    ];
    const state = new MemoryState();
    await seed(state, { a: '1', b: '2' });
    // the streamlined path starts with a function's third call: run each one four times
    for (let round = 0; round < 4; round++) {
      for (const args of calls) {
        const a = await plain.invoke(invocation(args), state);
        const b = await fast.invoke(invocation(args), state);
        assert.deepEqual(b, a, `${args[0]} (round ${round + 1})`);
      }
    }
    assert.equal(isPlainJson({ a: [1, 'x', null, { b: true }] }), true);
    assert.equal(isPlainJson({ at: new Date(0) }), false, 'class-transformer copies Dates: not taken as plain');
    assert.equal(isPlainJson({ toJSON: () => 1 }), false);
    assert.equal(isPlainJson(new (class Record {})()), false);
  });
});

describe('chaincode-to-chaincode calls (stub.invokeChaincode)', () => {
  let hosted: Map<string, HostedChaincode>;
  let caller: HostedChaincode;

  before(() => {
    hosted = new Map();
    const resolveChaincode = (name: string): HostedChaincode | undefined => hosted.get(name);
    caller = hostContracts({ name: 'caller', version: '1', contracts: [KvContract], resolveChaincode });
    hosted.set('caller', caller);
    hosted.set('callee', hostContracts({ name: 'callee', version: '1', contracts: [KvContract], resolveChaincode }));
  });

  function seedCallee(state: MemoryState, entries: Record<string, string>): void {
    let txNum = 0;
    for (const [k, v] of Object.entries(entries)) state.put('callee', k, Buffer.from(v), { blockNum: 7, txNum: txNum++ });
  }

  it('runs the callee on the same snapshot and records its reads under its own namespace, after the caller’s', async () => {
    const state = new MemoryState();
    seedCallee(state, { x: 'from-callee' });
    const r = ok(await caller.invoke(invocation(['putAndCall', 'k', 'callee', '', JSON.stringify(['get', 'x'])]), state));
    assert.deepEqual(JSON.parse(text(r.response.payload)), { status: 200, message: '', payload: 'from-callee' });
    assert.deepEqual(
      r.rwsets.map((rw) => rw.namespace),
      ['caller', 'callee'],
    );
    assert.equal(r.rwset, r.rwsets[0]);
    assert.deepEqual(
      r.rwsets[0]!.writes.map((w) => w.key),
      ['k'],
    );
    assert.deepEqual(r.rwsets[1], {
      namespace: 'callee',
      reads: [{ key: 'x', version: { blockNum: 7, txNum: 0 } }],
      rangeQueries: [],
      writes: [],
    });
    // The same call with the channel named explicitly is the same call.
    const named = ok(await caller.invoke(invocation(['putAndCall', 'k', 'callee', 'mychannel', JSON.stringify(['get', 'x'])]), state));
    assert.deepEqual(named.rwsets, r.rwsets);
  });

  it('merges repeated calls into one namespace entry, reads recorded once', async () => {
    const state = new MemoryState();
    seedCallee(state, { x: '1' });
    const r = ok(await caller.invoke(invocation(['callTwice', 'callee', JSON.stringify(['get', 'x'])]), state));
    assert.deepEqual(JSON.parse(text(r.response.payload)), ['1', '1']);
    assert.deepEqual(
      r.rwsets.map((rw) => [rw.namespace, rw.reads.length]),
      [
        ['caller', 0],
        ['callee', 1],
      ],
    );
  });

  it('records range queries of the callee, and returns a callee error as its response', async () => {
    const state = new MemoryState();
    seedCallee(state, { a: '1', b: '2' });
    const r = ok(await caller.invoke(invocation(['putAndCall', 'k', 'callee', '', JSON.stringify(['range', '', ''])]), state));
    assert.deepEqual(JSON.parse(JSON.parse(text(r.response.payload)).payload), ['a=1', 'b=2']);
    assert.equal(r.rwsets[1]!.rangeQueries[0]!.reads.length, 2);
    const failing = ok(await caller.invoke(invocation(['putAndCall', 'k', 'callee', '', JSON.stringify(['nope'])]), state));
    const res = JSON.parse(text(failing.response.payload));
    assert.equal(res.status, 500);
    assert.match(res.message, /does not exist: nope/);
  });

  it('refuses writes by the called chaincode and fails the transaction even if the caller carries on', async () => {
    const state = new MemoryState();
    const r = await caller.invoke(invocation(['putAndCall', 'k', 'callee', '', JSON.stringify(['put', 'y', 'v'])]), state);
    assert.equal(r.response.status, 500);
    assert.match(
      r.response.message,
      /chaincode callee was invoked by another chaincode and tried to write key "y": the in-process host runs chaincode-to-chaincode calls read-only/,
    );
    assert.deepEqual(
      r.rwsets.map((rw) => rw.namespace),
      ['caller'],
      'the refused write is not recorded',
    );
  });

  it('refuses unknown chaincodes, other channels and calls back into a running chaincode, as exceptions in the caller', async () => {
    const state = new MemoryState();
    const error = async (target: string, channel: string, args: string[]): Promise<string> => {
      const r = ok(await caller.invoke(invocation(['putAndCall', 'k', target, channel, JSON.stringify(args)]), state));
      return JSON.parse(text(r.response.payload)).error as string;
    };
    assert.match(await error('ghost', '', ['get', 'x']), /chaincode ghost is not installed on this peer for channel mychannel/);
    assert.match(await error('callee', 'otherchannel', ['get', 'x']), /calls to another channel are not supported/);
    assert.match(
      await error('caller', '', ['get', 'x']),
      /chaincode caller is already executing in this transaction \(calls caller -> caller\)/,
    );
    // The callee calling back into the caller: a cycle, raised in the callee, which fails.
    const r = ok(
      await caller.invoke(invocation(['putAndCall', 'k', 'callee', '', JSON.stringify(['callTwice', 'caller', '["get","x"]'])]), state),
    );
    const res = JSON.parse(text(r.response.payload));
    assert.equal(res.status, 500);
    assert.match(res.message, /chaincode caller is already executing in this transaction \(calls caller -> callee -> caller\)/);
  });

  it('refuses invokeChaincode when the host has no resolver', async () => {
    const r = ok(await kv.invoke(invocation(['putAndCall', 'k', 'callee', '', '["get","x"]']), new MemoryState()));
    assert.match(JSON.parse(text(r.response.payload)).error, /no chaincode resolver configured in the in-process host: cannot call callee/);
  });

  it('takes a resolver per invocation, and commits every namespace with applyAll', async () => {
    const state = new MemoryState();
    seedCallee(state, { x: 'v' });
    const r = ok(
      await kv.invoke(invocation(['putAndCall', 'k', 'callee', '', '["get","x"]']), state, { resolveChaincode: (n) => hosted.get(n) }),
    );
    assert.deepEqual(
      r.rwsets.map((rw) => rw.namespace),
      [NS, 'callee'],
    );
    state.applyAll(r.rwsets, { blockNum: 9, txNum: 0 });
    assert.equal(text(state.entries(NS)[0]!.value), 'caller');
  });
});

describe('a chaincode built in its own folder (its own node_modules, its own fabric-contract-api)', () => {
  let dir: string;
  before(async () => {
    dir = writeAssetTransferChaincode(await mkdtemp(join(tmpdir(), 'metroledger-foreign-cc-')));
  });

  it('loads its own copy of fabric-contract-api, runs its transactions, and answers getMspID with the peer MSP', async () => {
    const req = createRequire(join(dir, 'index.js'));
    const own = req.resolve('fabric-contract-api');
    assert.ok(own.startsWith(dir), `the chaincode resolves its own fabric-contract-api (${own})`);
    assert.notEqual(own, createRequire(__filename).resolve('fabric-contract-api'));

    const basic = hostChaincodeModule({ name: 'basic', version: '1.0', dir, mspId: 'Org2MSP' });
    const state = new MemoryState();
    const run = (args: string[]) => basic.invoke(invocation(args), state);
    const created = ok(await run(['CreateAsset', 'asset9', 'blue', '5', 'Tomoko', '300']));
    assert.deepEqual(JSON.parse(text(created.response.payload)), {
      ID: 'asset9',
      Color: 'blue',
      Size: 5,
      Owner: 'Tomoko',
      AppraisedValue: 300,
    });
    assert.equal(created.event?.name, 'CreateAsset');
    state.apply('basic', created.rwset, { blockNum: 1, txNum: 0 });
    assert.equal(JSON.parse(text(ok(await run(['ReadAsset', 'asset9'])).response.payload)).Owner, 'Tomoko');
    assert.equal(JSON.parse(text(ok(await run(['GetAllAssets'])).response.payload)).length, 1);
    const again = await run(['CreateAsset', 'asset9', 'red', '1', 'Brad', '1']);
    assert.equal(again.response.status, 500);
    assert.match(again.response.message, /The asset asset9 already exists/);
    assert.deepEqual(JSON.parse(text(ok(await run(['WhoAmI'])).response.payload)), { peerMspId: 'Org2MSP', clientMspId: 'Org1MSP' });
  });

  it("without the peer's MSP, getMspID fails as in a chaincode process without CORE_PEER_LOCALMSPID", async () => {
    const basic = hostChaincodeModule({ name: 'basic', version: '1.0', dir });
    const r = await basic.invoke(invocation(['WhoAmI']), new MemoryState());
    assert.equal(r.response.status, 500);
    assert.match(r.response.message, /CORE_PEER_LOCALMSPID is unset/);
  });
});
