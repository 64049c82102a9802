// SPDX-License-Identifier: Apache-2.0
// `metroledger evidence serve|get|verify|access-log|log-verify`: the traffic authority's evidence
// store for plate images (off-chain; only their digests are on the ledger), and the proof that a
// retrieved image is the one a reading on the ledger carries, signed by its meter.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadMspConfig, loadOrganization, issueTlsCertificate, MspRegistry, orgDirectory, type MspConfig } from '@metroledger/identity';
import { DEFAULT_NETWORK } from '@metroledger/devnet';
import { ClientError, type MetroledgerClient } from '@metroledger/client';
import {
  EvidenceClient,
  EvidenceError,
  EvidenceStore,
  ledgerMeterKeys,
  proveEvidence,
  startEvidenceServer,
  verifyChainFile,
  type ChainHead,
  type MeterKeys,
} from '@metroledger/evidence';
import { identityOf, openClient, withConnectionOptions, type ConnectionOptions } from './connection';

/** The run file `evidence serve` writes in its data directory once it listens. */
const RUN_FILE = 'evidence.json';
const DEVNET_SERVER_NAME = 'evidence.cetsp.example.com';

interface RunInfo {
  readonly pid: number;
  readonly url: string;
  readonly tlsCaCertPath: string;
  readonly serverName: string;
  readonly startedAt: string;
}

export interface EvidenceTargetOptions {
  evidence?: string;
  evidenceUrl?: string;
  evidenceCa?: string;
  evidenceServerName?: string;
}

/** Adds the options that name an evidence store. */
export function withEvidenceOptions(cmd: Command): Command {
  return cmd
    .option('--evidence <dir>', 'data directory of a running `metroledger evidence serve` (its URL, TLS CA and name)')
    .option('--evidence-url <url>', 'https://host:port of the evidence store')
    .option('--evidence-ca <file>', "PEM of the CA that issued the evidence store's TLS certificate")
    .option('--evidence-server-name <name>', "a host name in the evidence store's TLS certificate");
}

/** Where the evidence store is, or undefined when the options name none. */
export async function evidenceTarget(
  opts: EvidenceTargetOptions,
): Promise<{ url: string; tlsCaPem: Buffer; serverName?: string } | undefined> {
  let url = opts.evidenceUrl;
  let ca = opts.evidenceCa;
  let serverName = opts.evidenceServerName;
  if (opts.evidence !== undefined) {
    const dir = resolve(opts.evidence);
    let info: RunInfo;
    try {
      info = JSON.parse(await readFile(join(dir, RUN_FILE), 'utf8')) as RunInfo;
    } catch {
      throw new EvidenceError(
        'UNAVAILABLE',
        `no running evidence store recorded in ${dir} (start it with \`metroledger evidence serve --data ${opts.evidence}\`)`,
      );
    }
    url ??= info.url;
    ca ??= info.tlsCaCertPath;
    serverName ??= info.serverName;
  }
  if (url === undefined && ca === undefined) return undefined;
  if (url === undefined || ca === undefined)
    throw new EvidenceError('BAD_CONFIG', '--evidence-url and --evidence-ca go together (or use --evidence DIR)');
  return { url, tlsCaPem: await readFile(ca), ...(serverName !== undefined && { serverName }) };
}

async function evidenceClient(opts: EvidenceTargetOptions & ConnectionOptions, defaultMspId: string): Promise<EvidenceClient> {
  const target = await evidenceTarget(opts);
  if (target === undefined)
    throw new EvidenceError('BAD_CONFIG', 'name the evidence store: --evidence DIR, or --evidence-url and --evidence-ca');
  return new EvidenceClient({ ...target, ...(await identityOf(opts, defaultMspId)) });
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

interface ServeOptions extends ConnectionOptions {
  data: string;
  msp?: string[];
  serverCert?: string;
  serverKey?: string;
  writers: string;
  readers: string;
  auditors: string;
  host: string;
  port: string;
  maxImageBytes: string;
  maxStoreBytes: string;
  tlsClientAuth?: boolean;
}

/** The channel's application MSPs and a TLS pair for the store: from a devnet, or from the options. */
async function serverMaterial(
  opts: ServeOptions,
  dataDir: string,
): Promise<{ msps: MspConfig[]; tls: { certPem: string; keyPem: string }; caPath: string; serverName: string }> {
  const msps: MspConfig[] = [];
  for (const spec of opts.msp ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new EvidenceError('BAD_CONFIG', `--msp takes MSPID=DIR, not ${spec}`);
    msps.push(await loadMspConfig(spec.slice(0, eq), spec.slice(eq + 1)));
  }
  if (opts.devnet !== undefined) {
    const devnet = resolve(opts.devnet);
    for (const org of DEFAULT_NETWORK.organizations.filter((o) => o.kind === 'peer')) {
      if (!msps.some((m) => m.mspId === org.mspId)) msps.push(await loadMspConfig(org.mspId, join(orgDirectory(devnet, org), 'msp')));
    }
  }
  if (msps.length === 0)
    throw new EvidenceError('BAD_CONFIG', 'no channel MSPs: give --devnet DIR or --msp MSPID=DIR for each organization');
  if (opts.serverCert !== undefined && opts.serverKey !== undefined) {
    return {
      msps,
      tls: { certPem: await readFile(opts.serverCert, 'utf8'), keyPem: await readFile(opts.serverKey, 'utf8') },
      caPath: resolve(opts.serverCert),
      serverName: '',
    };
  }
  if (opts.devnet === undefined)
    throw new EvidenceError(
      'BAD_CONFIG',
      "give --server-cert and --server-key (or --devnet DIR to issue them from the traffic authority's TLS CA)",
    );
  // the traffic authority's TLS CA issues the store's certificate, once
  const tlsDir = join(dataDir, 'tls');
  const certPath = join(tlsDir, 'server.crt');
  const keyPath = join(tlsDir, 'server.key');
  const caPath = join(tlsDir, 'ca.crt');
  try {
    return {
      msps,
      tls: { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') },
      caPath,
      serverName: DEVNET_SERVER_NAME,
    };
  } catch {
    const cetsp = DEFAULT_NETWORK.organizations.find((o) => o.role === 'meter-owner')!;
    const org = await loadOrganization(resolve(opts.devnet), {
      name: cetsp.name,
      mspId: cetsp.mspId,
      domain: cetsp.domain,
      kind: cetsp.kind,
      ...(cetsp.users !== undefined && { users: [...cetsp.users] }),
    });
    const tls = await issueTlsCertificate(org, { commonName: DEVNET_SERVER_NAME, sans: ['localhost', '127.0.0.1'] });
    await mkdir(tlsDir, { recursive: true });
    await writeFile(keyPath, tls.keyPem, { mode: 0o600 });
    await writeFile(certPath, tls.certPem);
    await writeFile(caPath, org.tlsCa.certPem);
    return { msps, tls, caPath, serverName: DEVNET_SERVER_NAME };
  }
}

/** Meter keys from the ledger, through a client opened on first use (the store starts without the network). */
function lazyLedgerKeys(open: () => Promise<MetroledgerClient>): MeterKeys & { close(): void } {
  let keys: MeterKeys | undefined;
  let client: MetroledgerClient | undefined;
  return {
    async keyFor(meterId, sequence, fresh) {
      if (keys === undefined) {
        try {
          client = await open();
        } catch (err) {
          throw new EvidenceError('UNAVAILABLE', `cannot reach the ledger for meter keys: ${(err as Error).message}`, undefined, {
            cause: err,
          });
        }
        keys = ledgerMeterKeys(client);
      }
      return keys.keyFor(meterId, sequence, fresh);
    },
    close: () => client?.close(),
  };
}

async function serve(opts: ServeOptions): Promise<void> {
  const dataDir = resolve(opts.data);
  await mkdir(dataDir, { recursive: true });
  const material = await serverMaterial(opts, dataDir);
  const store = await EvidenceStore.open({
    dir: dataDir,
    maxImageBytes: Number(opts.maxImageBytes),
    maxStoreBytes: Number(opts.maxStoreBytes),
  });
  const keys = lazyLedgerKeys(() => openClient(opts, 'CETSPMSP'));
  const server = await startEvidenceServer({
    store,
    meterKeys: keys,
    msps: new MspRegistry(material.msps),
    policy: { writers: list(opts.writers), readers: list(opts.readers), auditors: list(opts.auditors) },
    tls: material.tls,
    host: opts.host,
    port: Number(opts.port),
    tlsClientAuth: opts.tlsClientAuth === true,
  });
  const info: RunInfo = {
    pid: process.pid,
    url: server.url,
    tlsCaCertPath: material.caPath,
    serverName: material.serverName || new URL(server.url).hostname,
    startedAt: new Date().toISOString(),
  };
  await writeFile(join(dataDir, `${RUN_FILE}.tmp`), JSON.stringify(info, null, 2) + '\n');
  await rename(join(dataDir, `${RUN_FILE}.tmp`), join(dataDir, RUN_FILE));
  console.log(`evidence store listening at ${server.url} (TLS name ${info.serverName}, CA ${info.tlsCaCertPath})`);
  console.log(
    `  writers ${opts.writers}; readers ${opts.readers}; auditors ${opts.auditors}; ${store.count} images, ${store.bytesUsed} bytes`,
  );
  const stop = async (): Promise<void> => {
    await server.close();
    keys.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

interface ReadingOptions extends ConnectionOptions, EvidenceTargetOptions {
  meter: string;
  sequence: string;
  out?: string;
  json?: boolean;
}

function sequenceOf(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--sequence must be a non-negative integer, not ${v}`);
  return n;
}

async function get(opts: ReadingOptions): Promise<void> {
  const client = await evidenceClient(opts, 'InmetroMSP');
  const got = await client.get(opts.meter, sequenceOf(opts.sequence));
  if (opts.out !== undefined) await writeFile(opts.out, got.image);
  console.log(
    `${opts.meter} #${opts.sequence}: image ${got.record.imageSha256} (${got.record.imageBytes} bytes), stored ${got.record.storedAt} by ${got.record.submittedBy.mspId}${opts.out !== undefined ? `, written to ${opts.out}` : ''}`,
  );
}

async function verify(opts: ReadingOptions): Promise<void> {
  const sequence = sequenceOf(opts.sequence);
  const store = await evidenceClient(opts, 'InmetroMSP');
  const retrieved = await store.get(opts.meter, sequence);
  const ledger = await openClient(opts, 'InmetroMSP');
  let proof;
  try {
    const record: Record<string, unknown> = await ledger
      .getMeasurement(opts.meter, sequence)
      .then((r) => ({ ...r }))
      .catch((err: unknown) => {
        if (err instanceof ClientError && err.chaincodeCode === 'MEASUREMENT_NOT_FOUND')
          throw new EvidenceError('NOT_FOUND', `the ledger has no measurement ${opts.meter} #${sequence}`);
        throw err;
      });
    const meter = (await ledger.getMeter(opts.meter)) as { keyHistory: { publicKeyPem: string }[] };
    const key = meter.keyHistory[Number(record['meterKeyIndex'] ?? meter.keyHistory.length - 1)];
    if (key === undefined)
      throw new EvidenceError('METER_UNKNOWN', `meter ${opts.meter} has no key ${String(record['meterKeyIndex'])} on the ledger`);
    proof = proveEvidence(retrieved, {
      meterId: opts.meter,
      sequence,
      readingSha256: String(record['readingSha256']),
      ...(typeof record['plateImageSha256'] === 'string' && { plateImageSha256: record['plateImageSha256'] }),
      ...(typeof record['txId'] === 'string' && { txId: record['txId'] }),
      meterPublicKeyPem: key.publicKeyPem,
    });
  } finally {
    ledger.close();
  }
  if (opts.out !== undefined && proof.ok) await writeFile(opts.out, retrieved.image);
  if (opts.json === true) process.stdout.write(JSON.stringify(proof, null, 2) + '\n');
  else {
    console.log(`evidence of ${opts.meter} #${sequence}: image ${proof.imageSha256}`);
    for (const c of proof.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    console.log(proof.ok ? 'VERIFIED: the image is the one the ledger attests, signed by the meter' : 'NOT VERIFIED');
  }
  if (!proof.ok) process.exitCode = 3;
}

async function accessLog(opts: ConnectionOptions & EvidenceTargetOptions & { from: string; limit: string; json?: boolean }): Promise<void> {
  const client = await evidenceClient(opts, 'InmetroMSP');
  const { entries, head } = await client.accessLog(Number(opts.from), Number(opts.limit));
  if (opts.json === true) {
    process.stdout.write(JSON.stringify({ entries, head }, null, 2) + '\n');
    return;
  }
  for (const e of entries)
    console.log(
      `${e.n} ${e.at} ${e.action} ${e.outcome} ${e.caller ? `${e.caller.mspId}/${e.caller.subject}` : '-'}${e.meterId !== undefined ? ` ${e.meterId}#${e.sequence}` : ''}${e.detail !== undefined ? `  ${e.detail}` : ''}`,
    );
  console.log(`head: entry ${head.n}, hash ${head.hash}`);
}

async function logVerify(opts: { data: string; checkpoint?: string; json?: boolean }): Promise<void> {
  let checkpoint: ChainHead | undefined;
  if (opts.checkpoint !== undefined) {
    const m = /^(\d+):([0-9a-f]{64})$/.exec(opts.checkpoint);
    if (m === null) throw new Error('--checkpoint is N:HASH (an access-log head seen before)');
    checkpoint = { n: Number(m[1]), hash: m[2]! };
  }
  const dir = resolve(opts.data);
  const records = await verifyChainFile(join(dir, 'records.log'));
  const access = await verifyChainFile(join(dir, 'access.log'), checkpoint);
  const ok = records.findings.length === 0 && access.findings.length === 0;
  if (opts.json === true) process.stdout.write(JSON.stringify({ records, access, ok }, null, 2) + '\n');
  else {
    for (const [name, v] of [
      ['records.log', records],
      ['access.log', access],
    ] as const) {
      console.log(
        `${name}: ${v.entries} entries, head ${v.head.n}:${v.head.hash}${v.tornTailBytes > 0 ? ` (a torn last line of ${v.tornTailBytes} bytes, cut on the next open)` : ''}`,
      );
      for (const f of v.findings) console.log(`  line ${f.line}: ${f.problem}`);
    }
    console.log(ok ? 'both logs verify' : 'TAMPERED');
  }
  if (!ok) process.exitCode = 3;
}

export function registerEvidenceCommands(program: Command): void {
  const evidence = program
    .command('evidence')
    .description("plate images off-chain: the traffic authority's evidence store, and proof against the ledger");
  withConnectionOptions(
    evidence.command('serve').description('run the evidence store over HTTPS (channel identities, access policy, access log)'),
    { mspId: 'CETSPMSP', user: 'User1' },
  )
    .requiredOption('--data <dir>', 'store directory (images, records.log, access.log)')
    .option('--msp <id=dir...>', "a channel organization's msp directory (with --devnet: the devnet's organizations)")
    .option('--server-cert <file>', "the store's TLS certificate (with --devnet: issued from the traffic authority's TLS CA)")
    .option('--server-key <file>', "the store's TLS private key")
    .option('--writers <msps>', 'organizations that hand images in', 'CETSPMSP')
    .option('--readers <msps>', 'organizations that retrieve images', 'CETSPMSP,InmetroMSP')
    .option('--auditors <msps>', 'organizations that read the access log', 'InmetroMSP')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', '0')
    .option('--max-image-bytes <n>', 'largest image', String(2 * 1024 * 1024))
    .option('--max-store-bytes <n>', 'capacity', String(16 * 1024 ** 3))
    .option('--tls-client-auth', "require a client TLS certificate from a channel MSP's TLS CA")
    .action((opts: ServeOptions) => serve(opts));
  withEvidenceOptions(
    withConnectionOptions(
      evidence.command('get').description("retrieve a reading's plate image (authorized organizations only; recorded)"),
      { mspId: 'InmetroMSP', user: 'User1' },
    ),
  )
    .requiredOption('--meter <id>', 'meter id')
    .requiredOption('--sequence <n>', 'reading sequence')
    .option('--out <file>', 'write the image here')
    .action((opts: ReadingOptions) => get(opts));
  withEvidenceOptions(
    withConnectionOptions(
      evidence
        .command('verify')
        .description("prove a retrieved image against the ledger: on-chain digest, the reading, the meter's signatures (exit 3 if not)"),
      { mspId: 'InmetroMSP', user: 'User1' },
    ),
  )
    .requiredOption('--meter <id>', 'meter id')
    .requiredOption('--sequence <n>', 'reading sequence')
    .option('--out <file>', 'write the image here once verified')
    .option('--json', 'print the proof as JSON')
    .action((opts: ReadingOptions) => verify(opts));
  withEvidenceOptions(
    withConnectionOptions(evidence.command('access-log').description('who accessed what (auditors only)'), {
      mspId: 'InmetroMSP',
      user: 'User1',
    }),
  )
    .option('--from <n>', 'first entry', '1')
    .option('--limit <n>', 'entries', '100')
    .option('--json', 'print JSON')
    .action((opts: ConnectionOptions & EvidenceTargetOptions & { from: string; limit: string; json?: boolean }) => accessLog(opts));
  evidence
    .command('log-verify')
    .description("check the store's hash-chained logs on disk (exit 3 on tampering)")
    .requiredOption('--data <dir>', 'store directory')
    .option('--checkpoint <n:hash>', 'an access-log head recorded earlier: it must still be on the chain')
    .option('--json', 'print JSON')
    .action((opts: { data: string; checkpoint?: string; json?: boolean }) => logVerify(opts));
}
