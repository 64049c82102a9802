// SPDX-License-Identifier: Apache-2.0
// A meter process is killed with SIGKILL while it captures into its outbox, three times. Every
// capture it reported stored is there after each restart, the sequences have no gap, and the
// restarted meter continues after the last stored one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxStore } from './store';

const CHILD = join(__dirname, 'testing', 'capture-child.js');

function runUntilKilled(args: string[], acknowledgedAtLeast: number): Promise<{ acknowledged: number[]; resumedAfter: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acknowledged: number[] = [];
    let resumedAfter = -1;
    let buffered = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('ready ')) resumedAfter = Number(l.slice(6));
        else acknowledged.push(Number(l));
      }
      if (!killed && acknowledged.length >= acknowledgedAtLeast) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve({ acknowledged, resumedAfter }) : reject(new Error(`the meter process exited ${code}`)),
    );
  });
}

test('a meter process killed with SIGKILL while capturing loses no stored reading and leaves no sequence gap', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'metroledger-outbox-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let lastAcknowledged = 0;
  for (let round = 0; round < 3; round++) {
    const { acknowledged, resumedAfter } = await runUntilKilled([dir, 'CRASH-1', Buffer.from(key).toString('base64')], 40 + round * 17);
    assert.ok(
      resumedAfter >= lastAcknowledged,
      `round ${round}: the meter resumed after ${resumedAfter}, below ${lastAcknowledged} it had acknowledged`,
    );
    assert.equal(acknowledged[0], resumedAfter + 1, `round ${round}: the first new reading follows the last stored one`);
    lastAcknowledged = Math.max(lastAcknowledged, ...acknowledged);
    const store = await OutboxStore.open(dir);
    try {
      const entries = await store.nextForLedger('CRASH-1', 1_000_000);
      const seqs = entries.map((e) => e.sequence);
      assert.deepEqual(
        seqs,
        Array.from({ length: seqs.length }, (_, i) => i + 1),
        `round ${round}: sequences 1..n without a gap`,
      );
      assert.ok(seqs.length >= lastAcknowledged, `round ${round}: ${lastAcknowledged} acknowledged, ${seqs.length} stored`);
      assert.equal(store.lastSequence('CRASH-1'), seqs.length);
      for (const e of entries.filter((x) => x.image !== undefined)) {
        assert.equal((await store.image('CRASH-1', e.sequence))?.length, e.image!.bytes, `image of #${e.sequence} stored whole`);
      }
      t.diagnostic(
        `round ${round}: killed after ${acknowledged.length} acknowledged captures; ${seqs.length} stored, last acknowledged ${lastAcknowledged}`,
      );
    } finally {
      await store.close();
    }
  }
});
