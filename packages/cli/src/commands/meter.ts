// SPDX-License-Identifier: Apache-2.0
// `metroledger meter register|revoke|rotate-key|list|show`: the meter registry (LR chaincode), as
// the notified body's registrar, through the Fabric Gateway (devnet or a real network).
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openClient, withConnectionOptions, type ConnectionOptions } from './connection';
import { CliError } from './errors';
import { registerModelCommand } from './governance';

interface RegisterOptions extends ConnectionOptions {
  file?: string;
  id?: string;
  owner?: string;
  model?: string;
  publicKey?: string;
  geometry?: string;
  limit?: string;
  location?: string;
  lat?: string;
  lon?: string;
}

function number(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number, not ${String(v)}`);
  return n;
}

async function registration(opts: RegisterOptions): Promise<Record<string, unknown>> {
  if (opts.file !== undefined) return JSON.parse(await readFile(opts.file, 'utf8')) as Record<string, unknown>;
  const missing = [
    ['--id', opts.id],
    ['--owner', opts.owner],
    ['--model', opts.model],
    ['--public-key', opts.publicKey],
    ['--geometry', opts.geometry],
    ['--limit', opts.limit],
    ['--location', opts.location],
  ]
    .filter(([, v]) => v === undefined)
    .map(([n]) => n);
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')} (or give --file with the registration JSON)`);
  const g = opts.geometry!.split(',').map((x, i) => number(x, `--geometry part ${i + 1}`));
  if (g.length !== 3) throw new Error('--geometry is loopSpacingM,loopLengthM,sampleRateHz (e.g. 3,1.5,10000)');
  return {
    meterId: opts.id,
    ownerMspId: opts.owner,
    publicKeyPem: await readFile(opts.publicKey!, 'utf8'),
    geometry: { loopSpacingM: g[0], loopLengthM: g[1], sampleRateHz: g[2] },
    location: { text: opts.location, lat: number(opts.lat ?? '0', '--lat'), lon: number(opts.lon ?? '0', '--lon') },
    speedLimitKmh: number(opts.limit, '--limit'),
    model: opts.model,
  };
}

function describeMeter(m: Record<string, unknown>): string {
  const keys = (m['keyHistory'] as { validFromSequence: number; reason: string }[] | undefined) ?? [];
  const loc = m['location'] as { text?: string } | undefined;
  return `${String(m['meterId'])}  ${String(m['status'])}  model ${String(m['model'])}  owner ${String(m['ownerMspId'])}  limit ${String(m['speedLimitKmh'])} km/h  ${loc?.text ?? ''}  keys ${keys.length}${m['revocation'] ? `  revoked: ${JSON.stringify(m['revocation'])}` : ''}`;
}

/** A public key's fingerprint: SHA-256 of its DER SubjectPublicKeyInfo, the first 16 bytes in hex. */
function keyFingerprint(pem: string): string {
  try {
    return createHash('sha256')
      .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
      .digest('hex')
      .slice(0, 32);
  } catch {
    return '(unreadable key)';
  }
}

/** One meter for a person: its registration, status and key history, one fact a line. */
function describeMeterInFull(m: Record<string, unknown>): string {
  const g = m['geometry'] as { loopSpacingM?: number; loopLengthM?: number; sampleRateHz?: number } | undefined;
  const loc = m['location'] as { text?: string; lat?: number; lon?: number } | undefined;
  const keys =
    (m['keyHistory'] as
      { publicKeyPem: string; validFromSequence: number; validFrom: string; reason: string; validFromTxId: string }[] | undefined) ?? [];
  const rev = m['revocation'] as { reason: string; at: string; txId: string } | undefined;
  const lines = [
    `meter          ${String(m['meterId'])}`,
    `status         ${String(m['status'])}${rev !== undefined ? ` since ${rev.at}: ${rev.reason} (tx ${rev.txId})` : ''}`,
    `model          ${String(m['model'])}`,
    `owner          ${String(m['ownerMspId'])}`,
    `speed limit    ${String(m['speedLimitKmh'])} km/h`,
    `location       ${loc?.text ?? ''}${loc?.lat !== undefined ? ` (${loc.lat}, ${loc.lon})` : ''}`,
    `loops          ${g?.loopSpacingM ?? '?'} m apart, ${g?.loopLengthM ?? '?'} m long, sampled at ${g?.sampleRateHz ?? '?'} Hz`,
    `registered     ${String(m['registeredAt'])} (tx ${String(m['registeredTxId'])})`,
    `keys           ${keys.length} (fingerprint: SHA-256 of the public key, first 16 bytes)`,
    ...keys.map(
      (k, i) =>
        `  ${i === keys.length - 1 ? 'current' : `#${i}     `} ${keyFingerprint(k.publicKeyPem)}  from sequence ${k.validFromSequence}, ${k.validFrom}: ${k.reason}`,
    ),
  ];
  return lines.join('\n');
}

async function withClient<T>(opts: ConnectionOptions, fn: (c: Awaited<ReturnType<typeof openClient>>) => Promise<T>): Promise<T> {
  const client = await openClient(opts, 'InmetroMSP');
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

const utf8 = new TextDecoder();

export function registerMeterCommands(program: Command): void {
  const meter = program.command('meter').description('the meter registry (LR chaincode): register, revoke, rotate keys, list');
  const defaults = { mspId: 'InmetroMSP', user: 'User1' };
  registerModelCommand(meter);

  withConnectionOptions(
    meter
      .command('register')
      .description('register a meter of a type-approved model (notified body)')
      .option('--file <json>', 'registration JSON (meterId, ownerMspId, publicKeyPem, geometry, location, speedLimitKmh, model)')
      .option('--id <meterId>', 'meter id')
      .option('--owner <mspId>', 'owner organization (a registered METER_OWNER)')
      .option('--model <model>', 'type-approved meter model')
      .option('--public-key <file>', "the meter's public key (PEM)")
      .option('--geometry <s,l,hz>', 'loop spacing (m), loop length (m), sample rate (Hz)')
      .option('--limit <kmh>', 'speed limit (km/h)')
      .option('--location <text>', 'where it stands')
      .option('--lat <deg>', 'latitude')
      .option('--lon <deg>', 'longitude'),
    defaults,
  ).action(async (opts: RegisterOptions) => {
    const reg = await registration(opts);
    await withClient(opts, async (c) => {
      const { result } = await c.submit('registerMeter', [JSON.stringify(reg)]);
      console.log(describeMeter(JSON.parse(utf8.decode(result)) as Record<string, unknown>));
    });
  });

  withConnectionOptions(
    meter
      .command('revoke')
      .description('revoke a meter: its later readings are recorded as rejected (notified body)')
      .argument('<meterId>')
      .requiredOption('--reason <text>', 'why'),
    defaults,
  ).action(async (meterId: string, opts: ConnectionOptions & { reason: string }) => {
    await withClient(opts, async (c) => {
      const { result } = await c.submit('revokeMeter', [meterId, opts.reason]);
      console.log(describeMeter(JSON.parse(utf8.decode(result)) as Record<string, unknown>));
    });
  });

  withConnectionOptions(
    meter
      .command('rotate-key')
      .description("replace a meter's key from its next sequence on (notified body)")
      .argument('<meterId>')
      .requiredOption('--public-key <file>', 'the new public key (PEM)')
      .requiredOption('--reason <text>', 'why'),
    defaults,
  ).action(async (meterId: string, opts: ConnectionOptions & { publicKey: string; reason: string }) => {
    const pem = await readFile(opts.publicKey, 'utf8');
    await withClient(opts, async (c) => {
      const { result } = await c.submit('rotateMeterKey', [meterId, pem, opts.reason]);
      console.log(describeMeter(JSON.parse(utf8.decode(result)) as Record<string, unknown>));
    });
  });

  withConnectionOptions(
    meter
      .command('show')
      .description('one meter, with its key history')
      .argument('<meterId>')
      .option('--json', 'print JSON (with the public keys)'),
    defaults,
  ).action(async (meterId: string, opts: ConnectionOptions & { json?: boolean }) => {
    await withClient(opts, async (c) => {
      const m = JSON.parse(utf8.decode(await c.evaluate('getMeter', [meterId]))) as Record<string, unknown>;
      console.log(opts.json === true ? JSON.stringify(m, null, 2) : describeMeterInFull(m));
    });
  });

  meter
    .command('keygen')
    .description(
      "make a meter's signing key pair (ECDSA P-256): the private key stays in the meter's signing chip, the public key is registered with `meter register --public-key`",
    )
    .option('--out <dir>', 'directory to write <name>.key and <name>.pub.pem to', '.')
    .option('--name <name>', 'file name stem, e.g. the meter id', 'meter')
    .action(async (opts: { out: string; name: string }) => {
      if (!/^[A-Za-z0-9._-]+$/.test(opts.name))
        throw new CliError('BAD_OPTION', `--name ${JSON.stringify(opts.name)}: letters, digits, '.', '_' and '-' only`);
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const keyFile = join(opts.out, `${opts.name}.key`);
      const pubFile = join(opts.out, `${opts.name}.pub.pem`);
      const write = (file: string, text: string, mode: number): Promise<void> =>
        writeFile(file, text, { flag: 'wx', mode }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST')
            throw new CliError('FILE_EXISTS', `${file} exists: a key is never overwritten (choose another --name or --out)`);
          throw err;
        });
      await write(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await write(pubFile, pem, 0o644);
      console.log(`private key  ${keyFile} (PKCS#8 PEM, mode 600: it belongs in the meter's signing chip)`);
      console.log(`public key   ${pubFile} (fingerprint ${keyFingerprint(pem)})`);
      console.log(
        `register it: metroledger meter register --id ${opts.name} --public-key ${pubFile} --owner CETSPMSP --model ML-1 --geometry 3,1.5,10000 --limit 60 --location '…'`,
      );
    });

  withConnectionOptions(meter.command('list').description('every registered meter').option('--json', 'print JSON'), defaults).action(
    async (opts: ConnectionOptions & { json?: boolean }) => {
      await withClient(opts, async (c) => {
        const meters: Record<string, unknown>[] = [];
        let bookmark = '';
        do {
          const page = JSON.parse(utf8.decode(await c.evaluate('listMeters', ['100', bookmark]))) as {
            records: Record<string, unknown>[];
            bookmark: string;
          };
          meters.push(...page.records);
          bookmark = page.records.length === 0 ? '' : page.bookmark;
        } while (bookmark !== '');
        if (opts.json) console.log(JSON.stringify(meters, null, 2));
        else console.log(meters.length === 0 ? 'no meter registered' : meters.map(describeMeter).join('\n'));
      });
    },
  );
}
