// SPDX-License-Identifier: Apache-2.0
// The field on a real devnet process: `metroledger meterd run` killed with SIGKILL while it sends
// loses and duplicates nothing; plate images of violations reach the evidence store and
// `metroledger evidence verify` proves them against the ledger.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { devnetAccess, gatewayTls, setUpSuiteRegistry } from '@metroledger/scenario';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { startDevnetProcess, type DevnetProcess } from '@metroledger/devnet';
import { ledgerDirectorySource } from '@metroledger/audit';
import { collectMeasurements } from '@metroledger/surveil';

const MAIN = join(__dirname, '..', 'main.js');
const execCli = promisify(execFile);

let root: string;
let devnet: DevnetProcess;
let owner: MetroledgerClient | undefined;
let ownerConnection: ReturnType<typeof newGrpcConnection> | undefined;

type Event = Record<string, unknown> & { event: string };

/** Registers a meter with a fresh key (scenario's suite set-up, which also bootstraps the registry once); returns the key file. */
async function registerMeter(meterId: string): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyFile = join(root, `${meterId}.key`);
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const meter = {
    meterId,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    geometry: { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 },
  };
  await setUpSuiteRegistry(await devnetAccess(devnet, await packageLrChaincode()), [meter]);
  return keyFile;
}

/** Connects `owner`, the meter owner's client, to the devnet running now (closing the last one). */
async function connectOwner(): Promise<void> {
  closeOwner();
  const access = await devnetAccess(devnet, await packageLrChaincode());
  ownerConnection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, gatewayTls(access));
  owner = new MetroledgerClient({ connection: ownerConnection, ...access.meterOwner });
}

function closeOwner(): void {
  owner?.close();
  ownerConnection?.close();
}

/** Runs `meterd run` until `killWhen` says so (then SIGKILL) or it exits; returns its events. */
function meterd(
  args: string[],
  killWhen?: (e: Event, seen: Event[]) => number | undefined,
): Promise<{ events: Event[]; code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'meterd', 'run', '--devnet', devnet.dataDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Event[] = [];
    let buffered = '';
    let stderr = '';
    let killing = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) {
        const e = JSON.parse(l) as Event;
        events.push(e);
        const delay = killing ? undefined : killWhen?.(e, events);
        if (delay !== undefined) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), delay); // real time: the kill must land inside the real process's send
        }
      }
    });
    child.on('exit', (code, signal) => resolve({ events, code, signal, stderr }));
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-meterd-'));
  devnet = await startDevnetProcess({ cliMain: MAIN, dataDir: join(root, 'devnet'), upArgs: ['--ordering', 'solo'] });
  await connectOwner();
});

after(async () => {
  closeOwner();
  await devnet?.kill();
  await rm(root, { recursive: true, force: true });
});

test('a meter process killed with SIGKILL while it sends loses and duplicates no reading', async (t) => {
  const keyFile = await registerMeter('FIELD-1');
  const outbox = join(root, 'outbox-1');
  const common = ['--outbox', outbox, '--meter-id', 'FIELD-1', '--meter-key', keyFile, '--rate', '0', '--max-batch', '1'];
  const captured = new Map<number, string>(); // sequence → readingSha256, as the meter reported them stored
  let settled = 0;
  // kill at a send, after 0 to 180 ms: before, during and after the transaction's commit
  const delays = [0, 60, 120, 180];
  for (const [round, delay] of delays.entries()) {
    let sends = 0;
    const r = await meterd([...common, '--count', String(round === 0 ? 30 : 8), '--seed', `round-${round}`], (e) =>
      e.event === 'sending' && ++sends === 3 + round ? delay : undefined,
    );
    assert.equal(r.signal, 'SIGKILL', `round ${round}: the meter process ended on its own (${r.code}): ${r.stderr}`);
    const started = r.events.find((e) => e.event === 'started')!;
    assert.ok(
      Number(started['lastSequence']) >= Math.max(0, ...captured.keys()),
      `round ${round}: the restarted meter continues after every reading it reported stored`,
    );
    for (const e of r.events) {
      if (e.event === 'captured') captured.set(Number(e['sequence']), String(e['readingSha256']));
      if (e.event === 'delivered' && e['settled'] === true) settled++;
    }
  }
  // a last start only delivers what is left, and exits
  const last = await meterd([...common, '--count', '0', '--exit-when-drained']);
  assert.equal(last.code, 0, last.stderr);
  settled += last.events.filter((e) => e.event === 'delivered' && e['settled'] === true).length;
  const stopped = last.events.find((e) => e.event === 'stopped')!;
  const outboxAfter = stopped['outbox'] as { readings: number; quarantined: number };
  assert.equal(outboxAfter.readings, 0, 'the outbox is empty: everything was delivered');
  assert.equal(outboxAfter.quarantined, 0);
  const lastSequence = Number(last.events.find((e) => e.event === 'started')!['lastSequence']);
  assert.ok(lastSequence >= Math.max(...captured.keys()));

  // On the ledger: sequences 1..last, each once, each the reading the meter signed.
  for (let s = 1; s <= lastSequence; s++) {
    const record = await owner!.getMeasurement('FIELD-1', s);
    if (captured.has(s)) assert.equal(record['readingSha256'], captured.get(s), `#${s} on the ledger is the reading the meter captured`);
  }
  await assert.rejects(owner!.getMeasurement('FIELD-1', lastSequence + 1), /MEASUREMENT_NOT_FOUND/);
  await devnet.stop();
  const collected = await collectMeasurements(ledgerDirectorySource(join(devnet.dataDir, 'ledger')));
  const seqs = collected.readings
    .filter((r) => r.meterId === 'FIELD-1')
    .map((r) => r.sequence)
    .sort((a, b) => a - b);
  assert.deepEqual(
    seqs,
    Array.from({ length: lastSequence }, (_, i) => i + 1),
    'every sequence in exactly one valid transaction, no gap',
  );
  t.diagnostic(
    `${lastSequence} readings over ${delays.length} kills: all committed once; ${settled} found on the ledger after a kill (answer lost), not sent twice`,
  );
  devnet = await startDevnetProcess({ cliMain: MAIN, dataDir: devnet.dataDir, upArgs: ['--ordering', 'solo'] });
  await connectOwner();
});

test('plate images of violations reach the evidence store, and evidence verify proves them against the ledger', async () => {
  const keyFile = await registerMeter('FIELD-2');
  const store = join(root, 'evidence');
  const server = spawn(process.execPath, [MAIN, 'evidence', 'serve', '--devnet', devnet.dataDir, '--data', store], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverErr = '';
  server.stderr.on('data', (d: Buffer) => (serverErr += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      server.on('exit', (code) => reject(new Error(`evidence serve exited ${code}: ${serverErr}`)));
    });
    const r = await meterd([
      '--outbox',
      join(root, 'outbox-2'),
      '--meter-id',
      'FIELD-2',
      '--meter-key',
      keyFile,
      '--rate',
      '0',
      '--count',
      '12',
      '--plates',
      '1',
      '--image-bytes',
      '30000',
      '--max-batch',
      '4',
      '--evidence',
      store,
      '--exit-when-drained',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const stored = r.events.filter((e) => e.event === 'evidence').map((e) => Number(e['sequence']));
    const all = r.events.filter((e) => e.event === 'captured').map((e) => Number(e['sequence']));
    assert.ok(
      stored.length > 0 && stored.length < all.length,
      `some, not all, passages are violations (${stored.length} of ${all.length})`,
    );
    for (const s of all) {
      const record = await owner!.getMeasurement('FIELD-2', s);
      assert.equal(
        stored.includes(s),
        record['status'] === 'MEASURED' && record['speedLimitExceeded'] === true,
        `#${s}: an image is handed over exactly for a violation`,
      );
    }
    const cli = (args: string[]) =>
      execCli(process.execPath, [MAIN, 'evidence', ...args, '--devnet', devnet.dataDir, '--evidence', store]).then(
        (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    const proved = await cli(['verify', '--meter', 'FIELD-2', '--sequence', String(stored[0])]);
    assert.equal(proved.code, 0, proved.stdout + proved.stderr);
    assert.match(proved.stdout, /VERIFIED/);
    assert.equal((proved.stdout.match(/^ {2}ok {3}/gm) ?? []).length, 5, proved.stdout);
    // a lawful passage's image never left the meter
    const lawful = all.find((s) => !stored.includes(s))!;
    const none = await cli(['get', '--meter', 'FIELD-2', '--sequence', String(lawful)]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /NOT_FOUND/);
    // a computing provider may not retrieve images
    const denied = await cli(['get', '--meter', 'FIELD-2', '--sequence', String(stored[0]), '--msp-id', 'LaSIGEMSP']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /FORBIDDEN/);
    const log = await cli(['access-log', '--json']);
    const entries = (JSON.parse(log.stdout) as { entries: { action: string; outcome: string; caller?: { mspId: string } }[] }).entries;
    assert.ok(entries.some((e) => e.action === 'get' && e.outcome === 'FORBIDDEN' && e.caller?.mspId === 'LaSIGEMSP'));
    assert.ok(entries.some((e) => e.action === 'get' && e.outcome === 'OK' && e.caller?.mspId === 'InmetroMSP'));
    const logs = await execCli(process.execPath, [MAIN, 'evidence', 'log-verify', '--data', store]);
    assert.match(logs.stdout, /both logs verify/);
  } finally {
    server.kill('SIGTERM');
  }
});
