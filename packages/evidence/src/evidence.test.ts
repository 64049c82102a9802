// SPDX-License-Identifier: Apache-2.0
// The evidence store over HTTPS with channel identities: what it keeps, what it refuses (each
// refusal typed, and recorded in the access log), and that its logs show tampering.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOrganization, issueTlsCertificate, MspRegistry, type OrgMaterial } from '@metroledger/identity';
import { encodeSignedReading } from '@metroledger/lr';
import { Meter } from '@metroledger/meter';
import {
  EvidenceClient,
  EvidenceError,
  EvidenceStore,
  proveEvidence,
  signPlateImage,
  startEvidenceServer,
  staticMeterKeys,
  verifyChainFile,
  type EvidenceErrorCode,
  type EvidenceServer,
} from './index';
import { signRequest } from './auth';

const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 };
const MAX_IMAGE = 64 * 1024;
const MAX_STORE = 300 * 1024;

let dir: string;
let orgs: Record<'cetsp' | 'inmetro' | 'lasige' | 'outsider', OrgMaterial>;
let tlsCaPem: string;
let store: EvidenceStore;
let server: EvidenceServer;
let meterKeyPem: string;
let meter: Meter;

function clientOf(org: OrgMaterial, user = 'User1'): EvidenceClient {
  const n = org.node(user);
  return new EvidenceClient({
    url: server.url,
    tlsCaPem,
    serverName: 'evidence.cetsp.example.com',
    mspId: org.spec.mspId,
    certificatePem: n.sign.certPem,
    privateKeyPem: n.sign.keyPem,
  });
}

/** A reading of `meter` with a plate image, as a meter hands it over. */
function capture(m: Meter, image: Uint8Array | undefined, key = meterKeyPem) {
  const signed = m.capture({
    loopA: Int16Array.from([0, 40, 80, 40, 0]),
    loopB: Int16Array.from([0, 0, 40, 80, 40]),
    captureTimeMs: 1_700_000_000_000 + m.sequence,
    ...(image !== undefined && { plateImageSha256: createHash('sha256').update(image).digest() }),
  });
  const sequence = m.sequence;
  return {
    sequence,
    signedReading: encodeSignedReading(signed),
    image: image ?? Buffer.alloc(0),
    imageSignature: image === undefined ? new Uint8Array(8) : signPlateImage(createPrivateKey(key), m.meterId, sequence, image),
  };
}

const image = (n: number, size = 4096): Buffer => Buffer.alloc(size, n);

async function refused(p: Promise<unknown>, code: EvidenceErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof EvidenceError, `expected an EvidenceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-evidence-'));
  const [cetsp, inmetro, lasige, outsider] = await Promise.all([
    generateOrganization({ name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', users: ['User1'] }),
    generateOrganization({
      name: 'Inmetro',
      mspId: 'InmetroMSP',
      domain: 'inmetro.example.com',
      kind: 'peer',
      peers: ['peer0'],
      users: ['User1'],
    }),
    generateOrganization({
      name: 'LaSIGE',
      mspId: 'LaSIGEMSP',
      domain: 'lasige.example.com',
      kind: 'peer',
      peers: ['peer0'],
      users: ['User1'],
    }),
    // same MSP id as the traffic authority, another CA: not on the channel
    generateOrganization({ name: 'Impostor', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', users: ['User1'] }),
  ]);
  orgs = { cetsp: cetsp!, inmetro: inmetro!, lasige: lasige!, outsider: outsider! };
  const tls = await issueTlsCertificate(orgs.cetsp, { commonName: 'evidence.cetsp.example.com', sans: ['localhost', '127.0.0.1'] });
  tlsCaPem = orgs.cetsp.tlsCa.certPem;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  meterKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  meter = Meter.create({ meterId: 'SP-0001', geometry: GEOMETRY, privateKeyPem: meterKeyPem });
  store = await EvidenceStore.open({ dir, maxImageBytes: MAX_IMAGE, maxStoreBytes: MAX_STORE });
  server = await startEvidenceServer({
    store,
    meterKeys: staticMeterKeys({ 'SP-0001': publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
    msps: new MspRegistry([orgs.cetsp.mspConfig(), orgs.inmetro.mspConfig(), orgs.lasige.mspConfig()]),
    policy: { writers: ['CETSPMSP'], readers: ['CETSPMSP', 'InmetroMSP'], auditors: ['InmetroMSP'] },
    tls,
  });
});

after(async () => {
  await server?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the evidence path', () => {
  let first: ReturnType<typeof capture>;

  test('the traffic authority hands an image in; the notified body retrieves it and proves it against the reading', async () => {
    first = capture(meter, image(1));
    const put = await clientOf(orgs.cetsp).put(first);
    assert.equal(put.alreadyStored, false);
    // a meter's retry after a lost answer: the same image for the same reading is no error
    assert.equal((await clientOf(orgs.cetsp).put(first)).alreadyStored, true);
    const got = await clientOf(orgs.inmetro).get('SP-0001', first.sequence);
    assert.deepEqual(got.image, image(1));
    const reading = Buffer.from(got.record.signedReading, 'base64');
    const readingBytes = reading.subarray(9, 9 + reading.readUInt32BE(5));
    const proof = proveEvidence(got, {
      meterId: 'SP-0001',
      sequence: first.sequence,
      readingSha256: createHash('sha256').update(readingBytes).digest('hex'),
      plateImageSha256: createHash('sha256').update(image(1)).digest('hex'),
      meterPublicKeyPem: meter.publicKeyPem,
    });
    assert.ok(proof.ok, JSON.stringify(proof.checks));
    // the same proof against another on-chain digest fails on that check only
    const wrong = proveEvidence(got, {
      meterId: 'SP-0001',
      sequence: first.sequence,
      readingSha256: 'a'.repeat(64),
      plateImageSha256: 'b'.repeat(64),
      meterPublicKeyPem: meter.publicKeyPem,
    });
    assert.deepEqual(
      wrong.checks.filter((c) => !c.ok).map((c) => c.name),
      ['image matches the on-chain digest', 'reading is the one on the ledger'],
    );
  });

  test('retrieval only by authorized organizations in client or admin roles', async () => {
    await refused(clientOf(orgs.lasige).get('SP-0001', first.sequence), 'FORBIDDEN');
    await refused(clientOf(orgs.inmetro, 'peer0').get('SP-0001', first.sequence), 'FORBIDDEN');
    await refused(clientOf(orgs.outsider).get('SP-0001', first.sequence), 'UNAUTHENTICATED');
    // handing in is the meter owner's: the notified body reads, it does not write
    await refused(clientOf(orgs.inmetro).put(capture(meter, image(2))), 'FORBIDDEN');
    await refused(clientOf(orgs.cetsp).get('SP-0001', 999), 'NOT_FOUND');
  });

  test('unsigned, altered, replayed and stale requests are refused', async () => {
    const raw = (path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; code: string }> =>
      new Promise((resolve, reject) => {
        const req = request(
          new URL(path, server.url),
          {
            method: body === '' ? 'GET' : 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            ca: tlsCaPem,
            servername: 'evidence.cetsp.example.com',
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, code: (JSON.parse(text) as { code: string }).code }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const path = `/v1/evidence/SP-0001/${first.sequence}`;
    const user = orgs.inmetro.signingIdentity('User1');
    assert.deepEqual(await raw(path, {}), { status: 401, code: 'UNAUTHENTICATED' });
    const headers = signRequest(user, 'GET', path, Buffer.alloc(0));
    assert.equal((await raw(path, headers)).status, 200);
    assert.deepEqual(await raw(path, headers), { status: 401, code: 'REPLAYED_REQUEST' });
    assert.deepEqual(await raw(path, signRequest(user, 'GET', path, Buffer.alloc(0), Date.now() - 3_600_000)), {
      status: 401,
      code: 'STALE_REQUEST',
    });
    // signed for one reading, sent for another
    assert.deepEqual(await raw(`/v1/evidence/SP-0001/${first.sequence + 1}`, signRequest(user, 'GET', path, Buffer.alloc(0))), {
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    const cetsp = orgs.cetsp.signingIdentity('User1');
    const body = JSON.stringify({ signedReading: '', image: '', imageSignature: '' });
    assert.deepEqual(
      await raw('/v1/evidence', signRequest(cetsp, 'POST', '/v1/evidence', Buffer.from(body)), body.replace('""', '"AAAA"')),
      { status: 401, code: 'UNAUTHENTICATED' },
    );
  });

  test('wrong digest, unknown meter, foreign signatures and a reading without a plate are refused', async () => {
    const c = clientOf(orgs.cetsp);
    const r = capture(meter, image(3));
    await refused(c.put({ ...r, image: image(4) }), 'WRONG_DIGEST');
    // an image signature the meter made for another reading
    const other = capture(meter, image(5));
    await refused(c.put({ ...r, imageSignature: other.imageSignature }), 'BAD_IMAGE_SIGNATURE');
    await refused(
      c.put({ ...other, imageSignature: signPlateImage(createPrivateKey(meterKeyPem), 'SP-0001', r.sequence, image(5)) }),
      'BAD_IMAGE_SIGNATURE',
    );
    // a reading signed by another key under the meter's id
    const forgerKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const forger = Meter.create({ meterId: 'SP-0001', geometry: GEOMETRY, privateKeyPem: forgerKey, lastSequence: 500 });
    await refused(c.put(capture(forger, image(6), forgerKey)), 'BAD_READING_SIGNATURE');
    const unknown = Meter.create({ meterId: 'SP-9999', geometry: GEOMETRY, privateKeyPem: meterKeyPem });
    await refused(c.put(capture(unknown, image(7))), 'METER_UNKNOWN');
    await refused(c.put({ ...capture(meter, undefined), image: image(8) }), 'NO_PLATE_DIGEST');
    await refused(c.put({ ...r, signedReading: Buffer.from('not a reading') }), 'MALFORMED_READING');
    await c.put(r); // the genuine submission is still accepted
  });

  test('a replayed image (already the evidence of another reading), or another image for a reading, is refused', async () => {
    const c = clientOf(orgs.cetsp);
    // the meter signs a later reading with the very image already stored for the first one
    await refused(c.put(capture(meter, image(1))), 'REPLAYED_IMAGE');
    const again = { ...first, image: image(9) };
    await refused(c.put(again), 'WRONG_DIGEST');
  });

  test('oversized images and a full store are refused', async () => {
    const c = clientOf(orgs.cetsp);
    await refused(c.put(capture(meter, image(10, MAX_IMAGE + 1))), 'IMAGE_TOO_LARGE');
    // a request over the body limit is refused by its size, before it is parsed
    await refused(c.put(capture(meter, image(11, 4 * MAX_IMAGE))), 'IMAGE_TOO_LARGE');
    let n = 20;
    for (;;) {
      try {
        await c.put(capture(meter, image(n++, 60 * 1024)));
      } catch (err) {
        assert.ok(err instanceof EvidenceError && err.code === 'STORE_FULL', String(err));
        break;
      }
      assert.ok(n < 40, 'the store never filled');
    }
    assert.ok(store.bytesUsed <= MAX_STORE);
  });

  test('every access, refusals included, is in the access log, which only auditors read and which shows tampering', async () => {
    await refused(clientOf(orgs.cetsp).accessLog(), 'FORBIDDEN');
    const { entries, head } = await clientOf(orgs.inmetro).accessLog(1, 1000);
    const outcomes = new Set(entries.map((e) => e.outcome));
    for (const code of [
      'OK',
      'FORBIDDEN',
      'UNAUTHENTICATED',
      'REPLAYED_REQUEST',
      'STALE_REQUEST',
      'WRONG_DIGEST',
      'REPLAYED_IMAGE',
      'BAD_IMAGE_SIGNATURE',
      'IMAGE_TOO_LARGE',
      'STORE_FULL',
      'NOT_FOUND',
    ]) {
      assert.ok(outcomes.has(code), `no ${code} in the access log`);
    }
    const retrieval = entries.find((e) => e.action === 'get' && e.outcome === 'OK' && e.caller?.mspId === 'InmetroMSP');
    assert.equal(retrieval?.imageSha256, createHash('sha256').update(image(1)).digest('hex'));
    const denied = entries.find((e) => e.outcome === 'FORBIDDEN' && e.caller?.mspId === 'LaSIGEMSP');
    assert.equal(denied?.meterId, 'SP-0001');
    const clean = await verifyChainFile(join(dir, 'access.log'), { n: head.n, hash: head.hash });
    assert.deepEqual(clean.findings, []);

    // a copy of the log with one line changed, and one cut after the checkpoint
    const text = await readFile(join(dir, 'access.log'), 'utf8');
    const lines = text.split('\n');
    const edited = lines.map((l, i) => (i === 3 ? l.replace('"FORBIDDEN"', '"OK"').replace('"UNAUTHENTICATED"', '"OK"') : l)).join('\n');
    const copy = join(dir, 'access-copy.log');
    await writeFile(copy, edited);
    const tampered = await verifyChainFile(copy);
    assert.ok(
      tampered.findings.some((f) => f.line === 4),
      JSON.stringify(tampered.findings),
    );
    await writeFile(copy, lines.slice(0, 5).join('\n') + '\n');
    const cut = await verifyChainFile(copy, { n: head.n, hash: head.hash });
    assert.ok(cut.findings.some((f) => /removed/.test(f.problem)));
  });
});

describe('the store on disk', () => {
  test('survives a restart, removes an unacknowledged image, and refuses to open a tampered log', async () => {
    const d = await mkdtemp(join(tmpdir(), 'metroledger-evidence-disk-'));
    try {
      let s = await EvidenceStore.open({ dir: d });
      const by = { mspId: 'CETSPMSP', subject: 'User1@cetsp.example.com', certSha256: '0'.repeat(64) };
      const sha = createHash('sha256').update(image(1)).digest('hex');
      await s.put(
        {
          meterId: 'M',
          sequence: 1,
          imageSha256: sha,
          imageBytes: 4096,
          readingSha256: 'r',
          signedReading: '',
          imageSignature: '',
          submittedBy: by,
        },
        image(1),
      );
      await s.logAccess({ action: 'get', outcome: 'OK' });
      await s.close();
      // an image written, its record not (a crash between the two)
      const orphan = createHash('sha256').update(image(2)).digest('hex');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(d, 'objects', orphan.slice(0, 2)), { recursive: true });
      await writeFile(join(d, 'objects', orphan.slice(0, 2), orphan), image(2));
      // and a torn last line in the access log
      await writeFile(join(d, 'access.log'), (await readFile(join(d, 'access.log'), 'utf8')) + '{"at":"2025');
      s = await EvidenceStore.open({ dir: d });
      assert.deepEqual(await s.image(s.byReading('M', 1)!), image(1));
      assert.equal(s.byImage(orphan), undefined);
      await assert.rejects(readFile(join(d, 'objects', orphan.slice(0, 2), orphan)), /ENOENT/);
      assert.equal(s.heads.access.n, 1, 'the torn line was cut off');
      await s.close();
      const log = await readFile(join(d, 'records.log'), 'utf8');
      await writeFile(join(d, 'records.log'), log.replace('"sequence":1', '"sequence":2'));
      await assert.rejects(EvidenceStore.open({ dir: d }), (err: unknown) => err instanceof EvidenceError && err.code === 'LOG_TAMPERED');
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
