// SPDX-License-Identifier: Apache-2.0
// kill -9 at random instants while a child process commits blocks: nothing acknowledged may be lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Ledger } from './ledger';
import { newRng } from './testing/blocks';
import { withTempDir } from './testing/tmp';
import { verifyLedger } from './testing/verify';

const WRITER = join(__dirname, 'testing', 'crash-writer.js');
const MAX_FILE_SIZE = 300_000; // small, so that kills also land around block file rollovers

test('SIGKILL at random moments: every acknowledged block survives, chain and tx index intact, state = replay', { timeout: 60_000 }, () => withTempDir(async (dir) => {
  const rng = newRng(0x5eed);
  let acked = -1; // highest block number the writer reported committed
  let totalAcked = 0;
  const ROUNDS = 8;
  for (let round = 0; round < ROUNDS; round++) {
    const child = spawn(process.execPath, [WRITER, dir, String(round + 1), String(MAX_FILE_SIZE)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const exited = once(child, 'exit');
    // Wait until the writer has opened (recovery done), then a random extra while it commits.
    const deadline = Date.now() + 15_000;
    while (!out.includes('\n') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, Math.floor(rng() * 400)));
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.equal(signal, 'SIGKILL', `writer died on its own (code ${code}): ${err}`);

    const lines = out.split('\n').filter((l) => l !== '');
    const opened = /^open (\d+)$/.exec(lines[0] ?? '');
    assert.ok(opened, `writer printed its open line: ${out.slice(0, 200)} ${err}`);
    assert.ok(Number(opened[1]) >= acked + 1, `round ${round}: writer reopened at height ${opened[1]} but block ${acked} was acknowledged`);
    const committed = lines.slice(1).map(Number);
    committed.forEach((n, i) => assert.equal(n, Number(opened[1]) + i, 'blocks acknowledged in order'));
    if (committed.length > 0) acked = committed[committed.length - 1]!;
    totalAcked += committed.length;

    // Every other round the parent checks (and thereby recovers); otherwise the next writer recovers itself.
    if (round % 2 === 1 || round === ROUNDS - 1) {
      const ledger = await Ledger.open(dir, { maxFileSize: MAX_FILE_SIZE });
      try {
        assert.ok(ledger.height >= acked + 1, `round ${round}: height ${ledger.height} lost acknowledged block ${acked}`);
        await verifyLedger(ledger);
      } finally {
        await ledger.close();
      }
    }
  }
  assert.ok(totalAcked >= 20, `the writers committed enough blocks to mean something (${totalAcked})`);
  const files = (await readdir(join(dir, 'chains'))).filter((f) => f.startsWith('blockfile_'));
  assert.ok(files.length >= 2, 'kills happened across block file rollovers');
}));
