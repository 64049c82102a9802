// SPDX-License-Identifier: Apache-2.0
// Targeted behaviour of one replica and of a small cluster on a synchronous in-test network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bftProposalDigest, bftSigningBytes } from './codec';
import { BftError } from './errors';
import { Replica, type ReplicaOptions } from './replica';
import { createSimApp, encodeSimPayload, makeClientRequest } from './sim/app';
import { createHmacCrypto } from './sim/crypto';
import { createMemoryStorage } from './sim/storage';
import type { Decision, Message, SignedMessage } from './types';
import { verifyDecision } from './verify';

type Extra = Partial<Omit<ReplicaOptions, 'id' | 'n' | 'network' | 'clock' | 'crypto' | 'storage' | 'app'>>;

function cluster(n = 4, extra: Extra = {}) {
  let now = 0;
  const queue: { from: number; to: number; m: SignedMessage }[] = [];
  const sent: { from: number; to: number; m: SignedMessage }[] = [];
  const decided: Decision[][] = [...Array(n)].map(() => []);
  const storages = [...Array(n)].map(() => createMemoryStorage());
  const trace: string[] = [];
  const down = new Set<number>();
  const make = (i: number) =>
    new Replica({
      id: i,
      n,
      network: {
        send: (to, m) => {
          queue.push({ from: i, to, m });
          sent.push({ from: i, to, m });
        },
      },
      clock: { nowMs: () => now },
      crypto: createHmacCrypto(i, n),
      storage: storages[i]!,
      app: createSimApp(i, (r, d) => decided[r]!.push(d)),
      trace: (l) => trace.push(l),
      requestTimeoutMs: 1_000,
      leaderTimeoutMs: 800,
      viewChangeTimeoutMs: 800,
      batchTimeoutMs: 10,
      heartbeatMs: 100,
      ...extra,
    });
  const replicas = [...Array(n).keys()].map(make);
  const deliver = () => {
    for (let guard = 0; queue.length > 0 && guard < 1_000_000; guard++) {
      const { from, to, m } = queue.shift()!;
      if (!down.has(to) && !down.has(from)) replicas[to]!.onMessage(from, m);
    }
  };
  return {
    replicas,
    decided,
    storages,
    trace,
    down,
    sent,
    get now() {
      return now;
    },
    run(ms: number) {
      const end = now + ms;
      deliver();
      while (now < end) {
        now += 10;
        for (const r of replicas) if (!down.has(r.id)) r.onTick(now);
        deliver();
      }
    },
    restart(i: number) {
      down.delete(i);
      replicas[i] = make(i);
    },
    deliver,
  };
}

const req = (id: string) => makeClientRequest(id, new TextEncoder().encode(`body of ${id}`));
const ids = (ds: Decision[]) => ds.flatMap((d) => createSimApp(0, () => undefined).requestIds(d.payload));

test('a request is ordered at every replica with a certificate an outside party can verify', () => {
  const c = cluster();
  assert.equal(c.replicas[1]!.submit(req('tx1')), 'queued');
  c.run(200);
  for (const r of c.replicas) assert.deepEqual(ids(c.decided[r.id]!), ['tx1']);
  const d = c.decided[2]![0]!;
  const verifier = { n: 4, crypto: createHmacCrypto(0, 4), app: createSimApp(0, () => undefined) };
  assert.equal(verifyDecision(d, verifier), true);
  assert.ok(d.certificate.signatures.length >= 3);
  assert.equal(verifyDecision({ ...d, payload: encodeSimPayload(1, [req('forged')]) }, verifier), false, 'payload swapped');
  assert.equal(
    verifyDecision({ ...d, certificate: { ...d.certificate, signatures: d.certificate.signatures.slice(0, 2) } }, verifier),
    false,
    'only f+1 signatures',
  );
  const dup = d.certificate.signatures[0]!;
  assert.equal(
    verifyDecision({ ...d, certificate: { ...d.certificate, signatures: [dup, dup, dup] } }, verifier),
    false,
    'one signer counted thrice',
  );
});

test('duplicate submissions are ordered once and later reported as decided', () => {
  const c = cluster();
  c.replicas[1]!.submit(req('dup'));
  assert.equal(c.replicas[1]!.submit(req('dup')), 'pending');
  c.replicas[2]!.submit(req('dup'));
  c.run(200);
  c.replicas[3]!.submit(req('dup'));
  c.replicas[0]!.submit(req('other'));
  c.run(200);
  assert.equal(c.replicas[3]!.submit(req('dup')), 'decided');
  for (const r of c.replicas) assert.deepEqual(ids(c.decided[r.id]!).sort(), ['dup', 'other']);
});

test('a full pool refuses with a retryable POOL_FULL error, and accepts again once drained', () => {
  const c = cluster(4, { poolSizeMax: 3 });
  for (let i = 0; i < 3; i++) c.replicas[1]!.submit(req(`p${i}`));
  assert.throws(
    () => c.replicas[1]!.submit(req('p3')),
    (e: unknown) => e instanceof BftError && e.code === 'POOL_FULL' && e.retryable,
  );
  assert.equal(c.replicas[1]!.stats.poolRefusals, 1);
  c.run(300);
  assert.equal(c.replicas[1]!.getPoolSize(), 0);
  assert.equal(c.replicas[1]!.submit(req('p3')), 'queued');
});

test('invalid requests and options are refused with typed errors', () => {
  const c = cluster(4, { requestBytesMax: 16 });
  assert.throws(() => c.replicas[0]!.submit({ id: '', data: new Uint8Array() }), { name: 'BftError', code: 'REQUEST_INVALID' });
  assert.throws(() => c.replicas[0]!.submit({ id: 'big', data: new Uint8Array(17) }), { name: 'BftError', code: 'REQUEST_INVALID' });
  // the wire cannot carry a lone surrogate: refused here rather than failing when the replica forwards it
  assert.throws(() => c.replicas[0]!.submit({ id: 'tx\ud800', data: new Uint8Array(1) }), { name: 'BftError', code: 'REQUEST_INVALID' });
  const base = {
    network: { send() {} },
    clock: { nowMs: () => 0 },
    crypto: createHmacCrypto(0, 4),
    storage: createMemoryStorage(),
    app: createSimApp(0, () => undefined),
  };
  assert.throws(() => new Replica({ ...base, id: 0, n: 3 }), { code: 'BAD_CONFIG' });
  assert.throws(() => new Replica({ ...base, id: 4, n: 4 }), { code: 'BAD_CONFIG' });
  assert.throws(() => new Replica({ ...base, id: 0, n: 4, viewChangeTimeoutMs: 5_000, viewChangeTimeoutMaxMs: 1_000 }), {
    code: 'BAD_CONFIG',
  });
});

test('a message with a bad signature is dropped and counted', () => {
  const c = cluster();
  const body: Message = { type: 'complain', view: 0 };
  const forged = { from: 2, body, signature: createHmacCrypto(3, 4).sign(bftSigningBytes(2, body)) }; // signed with r3's key
  c.replicas[1]!.onMessage(2, forged);
  const spoofed = { from: 2, body, signature: createHmacCrypto(2, 4).sign(bftSigningBytes(2, body)) };
  c.replicas[1]!.onMessage(3, spoofed); // transport says r3, message says r2
  assert.equal(c.replicas[1]!.stats.badSignatures, 2);
  assert.ok(c.trace.some((l) => l.includes('drop-badsig')));
});

test('a silent leader is replaced by a view change and the pending request is still ordered', () => {
  const c = cluster();
  c.down.add(0);
  c.replicas[1]!.submit(req('during-outage'));
  c.run(4_000);
  for (const i of [1, 2, 3]) {
    assert.ok(c.replicas[i]!.getView() >= 1, `r${i} changed view`);
    assert.deepEqual(ids(c.decided[i]!), ['during-outage']);
  }
});

test('a restarted replica catches up by state transfer and never votes against its persisted vote', () => {
  const c = cluster();
  c.down.add(3);
  for (let i = 0; i < 20; i++) {
    c.replicas[1]!.submit(req(`t${i}`));
    c.run(30);
  }
  c.run(300);
  assert.equal(c.storages[3]!.height(), 0);
  c.restart(3);
  c.replicas[2]!.submit(req('after-restart'));
  c.run(1_000);
  assert.equal(c.storages[3]!.height(), c.storages[1]!.height());
  assert.ok(c.replicas[3]!.stats.fetchedDecisions > 0, 'decisions came by state transfer');
  assert.deepEqual(ids(c.decided[3]!), ids(c.decided[1]!));

  // Persisted vote: r2 prepares P at the next seq, restarts, then sees a conflicting Q from the leader.
  const seq = c.storages[2]!.height() + 1;
  const leader = createHmacCrypto(0, 4);
  const pp = (payload: Uint8Array): SignedMessage => {
    const body: Message = { type: 'preprepare', view: 0, seq, payload };
    return { from: 0, body, signature: leader.sign(bftSigningBytes(0, body)) };
  };
  const p = encodeSimPayload(seq, [req('P')]);
  const q = encodeSimPayload(seq, [req('Q')]);
  c.down.add(0);
  c.down.add(1);
  c.down.add(3); // keep the slot open: nobody else takes part
  c.replicas[2]!.onMessage(0, pp(p));
  c.restart(2);
  c.sent.length = 0;
  c.replicas[2]!.onMessage(0, pp(q));
  const prepares = c.sent.filter((s) => s.from === 2 && s.m.body.type === 'prepare');
  const qDigest = Buffer.from(bftProposalDigest(seq, q)).toString('hex');
  assert.ok(!prepares.some((s) => s.m.body.type === 'prepare' && Buffer.from(s.m.body.digest).toString('hex') === qDigest));
  assert.ok(c.trace.some((l) => l.includes('r2') && l.includes('refuse-conflicting-vote')));
});

test('a NEW-VIEW is installed only when all its view changes verify, including one claiming to be ours', () => {
  const signed = (from: number, body: Message): SignedMessage => ({
    from,
    body,
    signature: createHmacCrypto(from, 4).sign(bftSigningBytes(from, body)),
  });
  const vc = (from: number) => signed(from, { type: 'viewchange', newView: 1, height: 0 });
  const forgedOwn = { ...vc(2), signature: new Uint8Array(32) };
  const newView = (vcs: SignedMessage[]) => signed(1, { type: 'newview', view: 1, viewChanges: vcs as never });
  const c = cluster();
  c.replicas[2]!.onMessage(1, newView([vc(0), vc(1), forgedOwn]));
  assert.equal(c.replicas[2]!.getView(), 0, 'forged view change rejected');
  c.replicas[2]!.onMessage(1, newView([vc(0), vc(1), vc(3)]));
  assert.equal(c.replicas[2]!.getView(), 1, 'genuine proof installed');
});
