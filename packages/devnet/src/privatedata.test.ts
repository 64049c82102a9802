// SPDX-License-Identifier: Apache-2.0
// Private data collections end to end, through the unmodified @hyperledger/fabric-gateway client:
// implicit per-organization collections, values only on the member organization's peers, only
// hashes in blocks, MVCC on key hashes, and a restart that keeps the private store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCode, type Contract } from '@hyperledger/fabric-gateway';
import { Ledger, PrivateStore } from '@metroledger/ledger';
import { blockEnvelopes, decodeBlock, parseEnvelope } from '@metroledger/protocol';
import { startDevnet, type ChaincodeConfig, type Devnet } from './index.js';
import { ChannelCollections } from './privatedata.js';
import { connectDevnetUser, refusal, type ClientConnection } from './testing/client.js';

const LASIGE = '_implicit_org_LaSIGEMSP';
const SECRET = 'plate ABC1D23, image s3://evidence/2026/12/04/000123.jpg';
const utf8 = new TextDecoder();
const PDC: ChaincodeConfig[] = [
  {
    name: 'pdc',
    version: '1.0',
    module: join(__dirname, 'testing', 'pdc.js'),
    endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    installedOn: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
  },
];

let dir: string;
let devnet: Devnet | undefined;
let conn: ClientConnection;
let pdc: Contract;

async function start(): Promise<void> {
  devnet = await startDevnet({ dataDir: dir, port: 0, chaincodes: PDC, batch: { batchTimeoutMs: 200 } });
  conn = await connectDevnetUser(devnet, 'CETSPMSP');
  pdc = conn.gateway.getNetwork(devnet.channelId).getContract('pdc');
}

async function stop(): Promise<void> {
  conn.close();
  await devnet?.stop();
  devnet = undefined;
}

function put(key: string, value: string): Promise<Uint8Array> {
  return pdc.submit('putPrivate', { arguments: [LASIGE, key], transientData: { value } });
}

async function evaluateOn(org: string, fn: string, ...args: string[]): Promise<string> {
  return utf8.decode(await pdc.evaluate(fn, { arguments: args, endorsingOrganizations: [org] }));
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

async function filesUnder(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metroledger-pdc-'));
  await start();
});

after(async () => {
  if (devnet !== undefined) await stop();
  await rm(dir, { recursive: true, force: true });
});

describe('private data collections on the devnet', () => {
  test('a member peer reads the value; a non-member peer refuses with a typed error and answers the hash', async () => {
    await put('plate-1', SECRET);
    assert.equal(await evaluateOn('LaSIGEMSP', 'getPrivate', LASIGE, 'plate-1'), SECRET);
    for (const org of ['PUCPRMSP', 'InmetroMSP']) {
      assert.match(
        await refusal(evaluateOn(org, 'getPrivate', LASIGE, 'plate-1')),
        /private data matching public hash version is not available/,
      );
      assert.equal(await evaluateOn(org, 'getPrivateHash', LASIGE, 'plate-1'), sha256(SECRET));
    }
    // an absent key: no value, no hash, anywhere
    assert.equal(await evaluateOn('PUCPRMSP', 'getPrivate', LASIGE, 'nothing'), '');
    assert.equal(await evaluateOn('PUCPRMSP', 'getPrivateHash', LASIGE, 'nothing'), '');
  });

  test('a write to an implicit collection only is held to its organization’s Endorsement policy, not the chaincode’s (Fabric’s CollectionValidationInfo)', async () => {
    const byOwner = await pdc.submitAsync('putPrivate', {
      arguments: [LASIGE, 'owner-only'],
      transientData: { value: 'x' },
      endorsingOrganizations: ['LaSIGEMSP'],
    });
    assert.equal((await byOwner.getStatus()).code, StatusCode.VALID);
    const byOther = await pdc.submitAsync('putPrivate', {
      arguments: [LASIGE, 'other-only'],
      transientData: { value: 'y' },
      endorsingOrganizations: ['PUCPRMSP'],
    });
    assert.equal((await byOther.getStatus()).code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
  });

  test('a write to a collection the chaincode does not have can never be valid, whoever endorsed it', async () => {
    const collections = new ChannelCollections(['LaSIGEMSP'], () => false);
    for (const collection of ['images', '_implicit_org_NoSuchMSP'])
      assert.deepEqual(collections.collectionPolicy('pdc', collection), { kind: 'outOf', n: 1, rules: [] });
  });

  test('a collection the chaincode does not have is refused', async () => {
    assert.match(await refusal(evaluateOn('LaSIGEMSP', 'getPrivate', 'secrets', 'k')), /collection \[secrets\] not defined/);
    assert.match(await refusal(evaluateOn('LaSIGEMSP', 'getPrivate', '_implicit_org_NoSuchMSP', 'k')), /not defined/);
  });

  test('a second write of the same key hash in one block is an MVCC conflict; a delete removes value and hash', async () => {
    await put('counter', 'v1');
    const first = await pdc.submitAsync('replacePrivate', { arguments: [LASIGE, 'counter', sha256('v1')], transientData: { value: 'v2' } });
    const second = await pdc.submitAsync('replacePrivate', {
      arguments: [LASIGE, 'counter', sha256('v1')],
      transientData: { value: 'v3' },
    });
    const codes = [(await first.getStatus()).code, (await second.getStatus()).code];
    assert.deepEqual(codes, [StatusCode.VALID, StatusCode.MVCC_READ_CONFLICT]);
    assert.equal(await evaluateOn('LaSIGEMSP', 'getPrivate', LASIGE, 'counter'), 'v2');

    await pdc.submit('deletePrivate', { arguments: [LASIGE, 'counter'] });
    assert.equal(await evaluateOn('LaSIGEMSP', 'getPrivate', LASIGE, 'counter'), '');
    assert.equal(await evaluateOn('PUCPRMSP', 'getPrivateHash', LASIGE, 'counter'), '');
  });

  test('blocks carry only SHA-256 hashes of the private key and value, never the value; only the member peer stores it; a restart keeps it', async () => {
    await stop();
    // No block file (nor the shared state) holds the value, in any encoding a reader would find.
    const secret = Buffer.from(SECRET);
    for (const file of [...(await filesUnder(join(dir, 'ledger', 'chains'))), ...(await filesUnder(join(dir, 'ledger', 'state')))]) {
      assert.equal((await readFile(file)).indexOf(secret), -1, `${file} holds the private value`);
    }
    // The block's hashed write is Fabric's: SHA-256 of the key's UTF-8 bytes and of the value.
    const ledger = await Ledger.open(join(dir, 'ledger'));
    let found = 0;
    try {
      for await (const bytes of ledger.blocks()) {
        for (const env of blockEnvelopes(decodeBlock(bytes))) {
          let tx;
          try {
            tx = parseEnvelope(env);
          } catch {
            continue; // the genesis config transaction
          }
          for (const rw of tx.rwsets) {
            for (const c of rw.collections ?? []) {
              for (const w of c.writes) {
                if (Buffer.from(w.keyHash).toString('hex') !== sha256('plate-1')) continue;
                assert.equal(c.collection, LASIGE);
                assert.equal(Buffer.from(w.valueHash).toString('hex'), sha256(SECRET));
                found++;
              }
            }
          }
        }
      }
    } finally {
      await ledger.close();
    }
    assert.equal(found, 1);
    for (const [peer, expected] of [
      ['peer0.lasige.example.com', SECRET],
      ['peer0.pucpr.example.com', undefined],
      ['peer0.inmetro.example.com', undefined],
    ] as const) {
      const store = await PrivateStore.open(join(dir, 'ledger', 'pvtdata', peer));
      try {
        const v = await store.get('pdc', LASIGE, 'plate-1');
        assert.equal(v === undefined ? undefined : Buffer.from(v.value).toString(), expected, peer);
      } finally {
        await store.close();
      }
    }

    await start();
    assert.equal(await evaluateOn('LaSIGEMSP', 'getPrivate', LASIGE, 'plate-1'), SECRET);
    await put('plate-2', 'after restart');
    assert.equal(await evaluateOn('LaSIGEMSP', 'getPrivate', LASIGE, 'plate-2'), 'after restart');
  });
});
