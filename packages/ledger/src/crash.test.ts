// SPDX-License-Identifier: Apache-2.0
// kill -9 at seeded instants while a child process commits blocks: nothing acknowledged may be lost.
// Each round waits for a number of acknowledged blocks (not for a time), so a loaded machine only
// makes the test slower, never weaker.
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

/** A hang guard, not a speed target: a writer that acknowledges nothing for this long is stuck. */
const ROUND_LIMIT_MS = 300_000;

test('SIGKILL at random moments: every acknowledged block survives, chain and tx index intact, state = replay', () =>
  withTempDir(async (dir) => {
    const rng = newRng(0x5eed);
    let acked = -1; // highest block number the writer reported committed
    const ROUNDS = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawn(process.execPath, [WRITER, dir, String(round + 1), String(MAX_FILE_SIZE)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      const exited = once(child, 'exit');
      // Wait until the writer has opened (recovery done) and acknowledged 3..8 blocks, then kill it a
      // random 0..20 ms later, wherever it is in its next commit.
      const target = 3 + Math.floor(rng() * 6);
      const deadline = Date.now() + ROUND_LIMIT_MS;
      while (out.split('\n').length - 2 < target && child.exitCode === null) {
        assert.ok(
          Date.now() < deadline,
          `round ${round}: the writer acknowledged ${Math.max(0, out.split('\n').length - 2)} of ${target} blocks in ${ROUND_LIMIT_MS / 1000} s: ${err}`,
        );
        await new Promise((r) => setTimeout(r, 2)); // a real child process: poll its output
      }
      await new Promise((r) => setTimeout(r, Math.floor(rng() * 20))); // a seeded real delay: the kill lands mid-commit in the child
      child.kill('SIGKILL');
      const [code, signal] = await exited;
      assert.equal(signal, 'SIGKILL', `writer died on its own (code ${code}): ${err}`);

      const lines = out.split('\n').filter((l) => l !== '');
      const opened = /^open (\d+)$/.exec(lines[0] ?? '');
      assert.ok(opened, `writer printed its open line: ${out.slice(0, 200)} ${err}`);
      assert.ok(
        Number(opened[1]) >= acked + 1,
        `round ${round}: writer reopened at height ${opened[1]} but block ${acked} was acknowledged`,
      );
      const committed = lines.slice(1).map(Number);
      assert.ok(
        committed.length >= target,
        `round ${round}: ${committed.length} blocks acknowledged before the kill, waited for ${target}`,
      );
      committed.forEach((n, i) => assert.equal(n, Number(opened[1]) + i, 'blocks acknowledged in order'));
      if (committed.length > 0) acked = committed[committed.length - 1]!;

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
    const files = (await readdir(join(dir, 'chains'))).filter((f) => f.startsWith('blockfile_'));
    assert.ok(files.length >= 2, 'kills happened across block file rollovers');
  }));
