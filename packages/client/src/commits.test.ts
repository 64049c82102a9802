// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Network } from '@hyperledger/fabric-gateway';
import { CommitListener } from './commits';

interface FakeTx {
  getTxid(): string;
  getTxValidationCode(): number;
}
interface FakeBlock {
  getNumber(): number;
  getFilteredTransactionsList(): FakeTx[];
}

/** A filtered-block stream the test feeds by hand (the network side of CommitListener). */
function fakeNetwork() {
  const starts: bigint[] = [];
  let push: ((b: FakeBlock | Error | null) => void) | undefined;
  const queue: (FakeBlock | Error | null)[] = [];
  const network = {
    async getFilteredBlockEvents(opts: { startBlock: bigint }) {
      starts.push(opts.startBlock);
      let closed = false;
      return {
        close: () => {
          closed = true;
          push?.(null);
        },
        async *[Symbol.asyncIterator]() {
          while (!closed) {
            const next =
              queue.shift() ??
              (await new Promise<FakeBlock | Error | null>((r) => {
                push = r;
              }));
            push = undefined;
            if (next === null) return;
            if (next instanceof Error) throw next;
            yield next;
          }
        },
      };
    },
  } as unknown as Network;
  const send = (b: FakeBlock | Error) => (push ? push(b) : queue.push(b));
  return { network, starts, send };
}

const block = (n: number, txs: [string, number][]): FakeBlock => ({
  getNumber: () => n,
  getFilteredTransactionsList: () => txs.map(([id, code]) => ({ getTxid: () => id, getTxValidationCode: () => code })),
});

test('waits resolve from the stream with the first occurrence of a tx id; the stream starts at the given block', async () => {
  const { network, starts, send } = fakeNetwork();
  const l = new CommitListener(network, 10_000);
  assert.equal(l.listening, false);
  assert.equal(await l.wait('early'), undefined, 'before the stream starts, the caller must ask CommitStatus');
  l.startAt(7n);
  assert.equal(l.listening, true);
  const a = l.wait('a');
  const b = l.wait('b');
  send(
    block(8, [
      ['a', 0],
      ['x', 0],
    ]),
  );
  send(
    block(9, [
      ['b', 11],
      ['a', 30],
    ]),
  );
  assert.deepEqual(await a, { code: 0, blockNumber: 8n });
  assert.deepEqual(await b, { code: 11, blockNumber: 9n });
  assert.deepEqual(starts, [7n]);
  l.close();
});

test('a failed stream hands pending waits back (undefined) and restarts from a later block', async () => {
  const { network, starts, send } = fakeNetwork();
  const l = new CommitListener(network, 10_000);
  l.startAt(1n);
  const pending = l.wait('p');
  send(new Error('stream broke'));
  assert.equal(await pending, undefined);
  assert.equal(l.listening, false);
  l.startAt(5n);
  const q = l.wait('q');
  send(block(6, [['q', 0]]));
  assert.deepEqual(await q, { code: 0, blockNumber: 6n });
  assert.deepEqual(starts, [1n, 5n]);
  l.close();
});

test('a wait times out to undefined, and forget and close release waits', async () => {
  const { network } = fakeNetwork();
  const l = new CommitListener(network, 20);
  l.startAt(0n);
  assert.equal(await l.wait('never'), undefined);
  const f = l.wait('forgotten');
  l.forget('forgotten');
  assert.equal(await f, undefined);
  const c = l.wait('closed');
  l.close();
  assert.equal(await c, undefined);
  assert.equal(l.listening, false);
});
