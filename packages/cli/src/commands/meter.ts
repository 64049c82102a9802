// SPDX-License-Identifier: Apache-2.0
// `metroledger meter register|revoke|rotate-key|list|show`: the meter registry (LR chaincode), as
// the notified body's registrar, through the Fabric Gateway (devnet or a real network).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { openClient, withConnectionOptions, type ConnectionOptions } from './connection';
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
  const missing = [['--id', opts.id], ['--owner', opts.owner], ['--model', opts.model], ['--public-key', opts.publicKey], ['--geometry', opts.geometry], ['--limit', opts.limit], ['--location', opts.location]]
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
    meter.command('register')
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
    meter.command('revoke').description('revoke a meter: its later readings are recorded as rejected (notified body)').argument('<meterId>').requiredOption('--reason <text>', 'why'),
    defaults,
  ).action(async (meterId: string, opts: ConnectionOptions & { reason: string }) => {
    await withClient(opts, async (c) => {
      const { result } = await c.submit('revokeMeter', [meterId, opts.reason]);
      console.log(describeMeter(JSON.parse(utf8.decode(result)) as Record<string, unknown>));
    });
  });

  withConnectionOptions(
    meter.command('rotate-key')
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

  withConnectionOptions(meter.command('show').description('one meter, with its key history').argument('<meterId>'), defaults).action(async (meterId: string, opts: ConnectionOptions) => {
    await withClient(opts, async (c) => console.log(JSON.stringify(JSON.parse(utf8.decode(await c.evaluate('getMeter', [meterId]))), null, 2)));
  });

  withConnectionOptions(meter.command('list').description('every registered meter').option('--json', 'print JSON'), defaults).action(async (opts: ConnectionOptions & { json?: boolean }) => {
    await withClient(opts, async (c) => {
      const meters: Record<string, unknown>[] = [];
      let bookmark = '';
      do {
        const page = JSON.parse(utf8.decode(await c.evaluate('listMeters', ['100', bookmark]))) as { records: Record<string, unknown>[]; bookmark: string };
        meters.push(...page.records);
        bookmark = page.records.length === 0 ? '' : page.bookmark;
      } while (bookmark !== '');
      if (opts.json) console.log(JSON.stringify(meters, null, 2));
      else console.log(meters.length === 0 ? 'no meter registered' : meters.map(describeMeter).join('\n'));
    });
  });
}
