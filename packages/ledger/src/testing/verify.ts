// SPDX-License-Identifier: Apache-2.0
// Checks a ledger against its own blocks: hash chain, tx index, and world state = replay of all blocks.
import assert from 'node:assert/strict';
import { blockDataHash, blockHeaderHash } from '@metroledger/protocol';
import { blockContents, decodeBlock } from '../blockparse';
import type { Ledger } from '../ledger';

/** State as a plain model: 'ns\0key' -> "blockNum:txNum:hex(value)", in UTF-8 byte order of the key. */
export type StateModel = Map<string, string>;

export async function replayModel(ledger: Ledger): Promise<{ model: StateModel; namespaces: Set<string> }> {
  const model: StateModel = new Map();
  const namespaces = new Set<string>();
  let prevHash = new Uint8Array(0);
  let n = 0;
  for await (const bytes of ledger.blocks()) {
    const block = decodeBlock(bytes);
    assert.equal(block.number, n, 'block numbers are consecutive');
    if (n > 0) assert.deepEqual(Buffer.from(block.previousHash), Buffer.from(prevHash), `block ${n} links to block ${n - 1}`);
    assert.deepEqual(Buffer.from(block.dataHash), Buffer.from(blockDataHash(block.envelopes)), `block ${n} data hash`);
    prevHash = Buffer.from(blockHeaderHash(block));
    const { txIndex, updates } = blockContents(block);
    for (const [txNum, e] of txIndex.entries()) {
      assert.deepEqual(await ledger.getTx(e.txId), { blockNum: n, txNum, code: e.code }, `tx index of ${n}/${txNum}`);
    }
    for (const u of updates) {
      namespaces.add(u.ns);
      const k = `${u.ns}\0${u.key}`;
      if (u.isDelete) model.delete(k);
      else model.set(k, `${u.version.blockNum}:${u.version.txNum}:${Buffer.from(u.value!).toString('hex')}`);
    }
    n++;
  }
  assert.equal(n, ledger.height);
  assert.deepEqual(Buffer.from(ledger.lastHeaderHash), Buffer.from(prevHash));
  return { model, namespaces };
}

export async function stateModel(ledger: Ledger, namespaces: Iterable<string>): Promise<StateModel> {
  const model: StateModel = new Map();
  for (const ns of namespaces) {
    for await (const kv of ledger.state.range(ns, '', '')) {
      model.set(`${ns}\0${kv.key}`, `${kv.version.blockNum}:${kv.version.txNum}:${Buffer.from(kv.value).toString('hex')}`);
    }
  }
  return model;
}

/** Asserts chain, tx index, savepoint and state: state must equal a fresh replay of every block. */
export async function verifyLedger(ledger: Ledger): Promise<void> {
  const { model, namespaces } = await replayModel(ledger);
  assert.equal(ledger.state.savepoint, ledger.height - 1, 'state is at the last block');
  const byBytes = (m: StateModel) => [...m.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(byBytes(await stateModel(ledger, namespaces)), byBytes(model), 'state equals a replay of the blocks');
}
