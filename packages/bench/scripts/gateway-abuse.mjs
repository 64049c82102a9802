// SPDX-License-Identifier: Apache-2.0
// The gateway under abuse: anonymous clients send oversized Endorse requests (no identity, nothing
// signed) while a channel member keeps evaluating a query. Prints, per devnet build, the member's
// latency before, during and after the abuse and the devnet process's resident memory.
//
// Usage (after `npm run build`):
//   node packages/bench/scripts/gateway-abuse.mjs [--abusers 4] [--mb 95] [--rounds 2]
//        [--cli NAME=path/to/packages/cli/dist/main.js ...] [--json FILE]
// With several --cli builds (e.g. one of the main branch), the runs interleave A B A B, so that
// the figures compare side by side on a shared, noisy machine. Default: this checkout only.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { gateway, peer } from '@hyperledger/fabric-protos';
import { loadMspIdentity, MetroledgerClient, newGrpcConnection } from '@metroledger/client';
import { startDevnetProcess } from '@metroledger/devnet';

const { values } = parseArgs({
  options: {
    abusers: { type: 'string', default: '4' },
    mb: { type: 'string', default: '95' },
    rounds: { type: 'string', default: '2' },
    cli: { type: 'string', multiple: true },
    json: { type: 'string' },
    'phase-ms': { type: 'string', default: '3000' },
    // internal: the abusers run in a child process, so that sending does not stall the member's event loop
    'abuse-target': { type: 'string' },
  },
});
const ABUSERS = Number(values.abusers);
const MESSAGE_BYTES = Math.round(Number(values.mb) * 1024 * 1024);
const ROUNDS = Number(values.rounds);
const PHASE_MS = Number(values['phase-ms']);
const here = new URL('.', import.meta.url).pathname;
const builds = (values.cli ?? [`this=${resolve(here, '..', '..', 'cli', 'dist', 'main.js')}`]).map((s) => {
  const eq = s.indexOf('=');
  return eq > 0 ? { name: s.slice(0, eq), cliMain: resolve(s.slice(eq + 1)) } : { name: s, cliMain: resolve(s) };
});

/** Resident and peak resident memory of a process, MiB (Linux /proc). */
async function memoryMiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function percentile(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function latencySummary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: s.at(-1) ?? NaN };
}

/** A well-formed EndorseRequest whose signed proposal carries `bytes` of payload: it only fails once decoded. */
function oversizedEndorseRequest(bytes) {
  const proposal = new peer.SignedProposal();
  proposal.setProposalBytes(Buffer.alloc(bytes, 0x5a));
  const request = new gateway.EndorseRequest();
  request.setTransactionId('abuse');
  request.setChannelId('metrology');
  request.setProposedTransaction(proposal);
  return Buffer.from(request.serializeBinary());
}

/** In the child process: ABUSERS connections each send one oversized request; reports the outcomes to the parent. */
async function abuse(target) {
  const { endpoint, tlsCaCertPath, tlsServerName } = JSON.parse(target);
  const tlsCa = await readFile(tlsCaCertPath);
  const payload = oversizedEndorseRequest(MESSAGE_BYTES - 64);
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: ABUSERS }, () => {
      const client = new grpc.Client(endpoint, grpc.credentials.createSsl(tlsCa), {
        'grpc.ssl_target_name_override': tlsServerName,
        'grpc.max_send_message_length': -1,
      });
      return new Promise((done) => {
        client.makeUnaryRequest(
          '/gateway.Gateway/Endorse',
          (b) => b,
          (b) => b,
          payload,
          { deadline: Date.now() + 120_000 },
          (err) => {
            client.close();
            done({ code: err ? grpc.status[err.code] : 'OK', ms: Math.round(performance.now() - t0) });
          },
        );
      });
    }),
  );
  process.send(outcomes);
}

async function runOnce(build) {
  const dataDir = await mkdtemp(join(tmpdir(), 'metroledger-abuse-'));
  const devnet = await startDevnetProcess({ cliMain: build.cliMain, dataDir, upArgs: ['--ordering', 'solo'] });
  const tlsCa = await readFile(devnet.tlsCaCertPath);
  const connection = newGrpcConnection(devnet.endpoint, tlsCa, devnet.tlsServerName);
  const id = await loadMspIdentity(
    join(dataDir, 'organizations', 'peerOrganizations', 'inmetro.example.com', 'users', 'User1@inmetro.example.com', 'msp'),
  );
  const member = new MetroledgerClient({ connection, mspId: 'InmetroMSP', ...id, retry: { maxAttempts: 1 }, callTimeoutMs: 60_000 });
  const phases = { warmup: [], before: [], during: [], after: [] };
  // the first calls after start pay for compilation and first connections: not counted
  let phase = 'warmup';
  let running = true;
  const failures = [];
  const memberLoop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await member.evaluate('listOrganizations', [], member.governance);
        phases[phase].push(performance.now() - t0);
      } catch (err) {
        failures.push(`${phase}: ${err.message}`);
      }
    }
  })();
  const memory = { warmup: [], before: [], during: [], after: [] };
  const sampler = setInterval(() => {
    memoryMiB(devnet.pid).then(
      (m) => memory[phase].push(m),
      () => undefined,
    );
  }, 100);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    phase = 'before';
    await new Promise((r) => setTimeout(r, PHASE_MS));
    phase = 'during';
    const target = JSON.stringify({ endpoint: devnet.endpoint, tlsCaCertPath: devnet.tlsCaCertPath, tlsServerName: devnet.tlsServerName });
    const child = fork(new URL(import.meta.url).pathname, [
      '--abusers',
      String(ABUSERS),
      '--mb',
      String(values.mb),
      '--abuse-target',
      target,
    ]);
    const [outcomes] = await once(child, 'message');
    await once(child, 'exit');
    await new Promise((r) => setTimeout(r, 1000));
    phase = 'after';
    await new Promise((r) => setTimeout(r, PHASE_MS));
    running = false;
    await memberLoop;
    clearInterval(sampler);
    const rssMedian = (xs) => latencySummary(xs.map((m) => m.rss)).p50;
    return {
      build: build.name,
      abuse: outcomes,
      memberMs: { before: latencySummary(phases.before), during: latencySummary(phases.during), after: latencySummary(phases.after) },
      memberFailures: failures,
      rssMiB: {
        before: rssMedian(memory.before),
        peak: Math.max(...[...memory.during, ...memory.after].map((m) => m.peak)),
        after: memory.after.at(-1)?.rss ?? NaN,
      },
    };
  } finally {
    running = false;
    clearInterval(sampler);
    member.close();
    connection.close();
    await devnet.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (values['abuse-target'] !== undefined) {
  await abuse(values['abuse-target']);
  process.exit(0);
}
const results = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const build of builds) {
    const r = await runOnce(build);
    results.push({ round, ...r });
    const f = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
    const m = r.memberMs;
    console.log(
      `round ${round} ${r.build.padEnd(8)} abuse ${r.abuse.map((a) => `${a.code}@${a.ms}ms`).join(' ')}\n` +
        `  member evaluate ms p50/p99/max: before ${f(m.before.p50)}/${f(m.before.p99)}/${f(m.before.max)} (n=${m.before.n})` +
        `  during ${f(m.during.p50)}/${f(m.during.p99)}/${f(m.during.max)} (n=${m.during.n})` +
        `  after ${f(m.after.p50)}/${f(m.after.p99)}/${f(m.after.max)} (n=${m.after.n})\n` +
        `  devnet RSS MiB: before ${f(r.rssMiB.before)}  peak ${f(r.rssMiB.peak)}  after ${f(r.rssMiB.after)}` +
        (r.memberFailures.length > 0 ? `\n  member failures: ${r.memberFailures.slice(0, 3).join('; ')}` : ''),
    );
  }
}
if (values.json) await writeFile(values.json, JSON.stringify({ abusers: ABUSERS, messageBytes: MESSAGE_BYTES, results }, null, 2) + '\n');
