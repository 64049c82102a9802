// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys } from './keys';
import { MemoryState } from './memorystate';

async function keys(state: MemoryState, ns: string, start: string, end: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of state.range(ns, start, end)) out.push(e.key);
  return out;
}

describe('MemoryState', () => {
  it('ranges in UTF-8 byte order, start inclusive, end exclusive, empty = unbounded', async () => {
    const s = new MemoryState();
    const v = { blockNum: 1, txNum: 0 };
    for (const k of ['b', 'a', '\u{1F600}', '\uFF01', 'c', '\u0000x\u0000']) s.put('ns', k, Buffer.from(k), v);
    assert.deepEqual(await keys(s, 'ns', '', ''), ['\u0000x\u0000', 'a', 'b', 'c', '\uFF01', '\u{1F600}']);
    assert.deepEqual(await keys(s, 'ns', 'b', 'c'), ['b']);
    assert.deepEqual(await keys(s, 'ns', 'bb', ''), ['c', '\uFF01', '\u{1F600}']);
    assert.deepEqual(await keys(s, 'ns', '\uFF01', '\u{10ffff}'), ['\uFF01', '\u{1F600}']);
    assert.deepEqual(await keys(s, 'other', '', ''), []);
  });

  it('applies writes and deletes at the given version', async () => {
    const s = new MemoryState();
    s.apply(
      'ns',
      {
        namespace: 'ns',
        reads: [],
        rangeQueries: [],
        writes: [
          { key: 'a', isDelete: false, value: Buffer.from('1') },
          { key: 'b', isDelete: false, value: Buffer.from('2') },
        ],
      },
      { blockNum: 3, txNum: 1 },
    );
    assert.deepEqual(await s.get('ns', 'a'), { value: Buffer.from('1'), version: { blockNum: 3, txNum: 1 } });
    s.apply(
      'ns',
      { namespace: 'ns', reads: [], rangeQueries: [], writes: [{ key: 'a', isDelete: true, value: new Uint8Array(0) }] },
      { blockNum: 4, txNum: 0 },
    );
    assert.equal(await s.get('ns', 'a'), undefined);
    assert.deepEqual(await keys(s, 'ns', '', ''), ['b']);
  });
});

describe('compareKeys', () => {
  it('agrees with comparing UTF-8 bytes', () => {
    const samples = [
      '',
      'a',
      'ab',
      'b',
      '\u007f',
      '\u0080',
      '\u07ff',
      '\u0800',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\u{10000}',
      '\u{1F600}',
      '\u{10ffff}',
      'a\u{1F600}',
      'a\uffff',
    ];
    for (const x of samples) {
      for (const y of samples) {
        const bytes = Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y)));
        assert.equal(Math.sign(compareKeys(x, y)), bytes, `${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
      }
    }
  });
});
