// SPDX-License-Identifier: Apache-2.0
// Only a devnet's own data directory is ever used or deleted as one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR_MARKER, DevnetError, prepareDataDir, resetDevnetData, startDevnet, writeRunFile } from './index.js';

const isCode = (code: string) => (e: unknown) => {
  assert.ok(e instanceof DevnetError, String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-datadir-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('reset deletes a devnet data directory and refuses anything else, leaving it untouched', () =>
  withDir(async (base) => {
    const project = join(base, 'project');
    await mkdir(join(project, 'src'), { recursive: true });
    await writeFile(join(project, 'src', 'main.ts'), 'precious');
    await assert.rejects(resetDevnetData(project), isCode('NOT_A_DEVNET_DIR'));
    assert.deepEqual(await readdir(join(project, 'src')), ['main.ts'], 'nothing deleted');

    const empty = join(base, 'empty');
    await mkdir(empty);
    await assert.rejects(resetDevnetData(empty), isCode('NOT_A_DEVNET_DIR'));
    await assert.rejects(resetDevnetData(join(base, 'missing')), isCode('NO_DATA_DIR'));
    await writeFile(join(base, 'file'), 'x');
    await assert.rejects(resetDevnetData(join(base, 'file')), isCode('BAD_DATA_DIR'));

    const net = join(base, 'net');
    await prepareDataDir(net);
    await mkdir(join(net, 'ledger', 'chains'), { recursive: true });
    await writeRunFile(net, { pid: process.pid, endpoint: '127.0.0.1:1', tlsCaCertPath: 'x', startedAt: new Date().toISOString() });
    await assert.rejects(resetDevnetData(net), isCode('ALREADY_RUNNING'), 'not while its process runs (this one, here)');
    await writeRunFile(net, { pid: 2 ** 22 + 12345, endpoint: '127.0.0.1:1', tlsCaCertPath: 'x', startedAt: new Date().toISOString() });
    await resetDevnetData(net);
    await assert.rejects(stat(net), /ENOENT/);
  }));

test('a devnet starts only in a new, empty or devnet directory; a data directory made before the marker is recognised', () =>
  withDir(async (base) => {
    const project = join(base, 'project');
    await mkdir(project);
    await writeFile(join(project, 'notes.txt'), 'mine');
    await assert.rejects(prepareDataDir(project), isCode('NOT_A_DEVNET_DIR'));
    await assert.rejects(stat(join(project, DATA_DIR_MARKER)), /ENOENT/, 'not marked');

    await writeFile(join(base, 'file'), 'x');
    await assert.rejects(prepareDataDir(join(base, 'file')), isCode('BAD_DATA_DIR'));
    await assert.rejects(prepareDataDir(join(base, 'file', 'below')), isCode('BAD_DATA_DIR'));

    const fresh = join(base, 'a', 'b');
    await prepareDataDir(fresh);
    await stat(join(fresh, DATA_DIR_MARKER));
    await prepareDataDir(fresh); // again: fine

    // Made by an earlier version: crypto material and ledger, no marker.
    const legacy = join(base, 'legacy');
    await mkdir(join(legacy, 'organizations'), { recursive: true });
    await writeFile(join(legacy, 'organizations', '.complete'), 'x');
    await mkdir(join(legacy, 'ledger'));
    await prepareDataDir(legacy);
    await stat(join(legacy, DATA_DIR_MARKER));
    // … but not when other things are in it
    const mixed = join(base, 'mixed');
    await mkdir(join(mixed, 'organizations'), { recursive: true });
    await writeFile(join(mixed, 'organizations', '.complete'), 'x');
    await writeFile(join(mixed, 'thesis.tex'), 'x');
    await assert.rejects(resetDevnetData(mixed), isCode('NOT_A_DEVNET_DIR'));
  }));

test('startDevnet on a file gets BAD_DATA_DIR, not EEXIST from mkdir', () =>
  withDir(async (base) => {
    await writeFile(join(base, 'file'), 'x');
    await assert.rejects(startDevnet({ dataDir: join(base, 'file') }), isCode('BAD_DATA_DIR'));
  }));
