// SPDX-License-Identifier: Apache-2.0
// Explicit private data collections on the devnet, from a Fabric collections_config.json, through
// the unmodified @hyperledger/fabric-gateway client: membership (memberOnlyRead/Write), collection
// endorsement policies, blockToLive across a restart, private range queries; and, on the devnet's
// private data module itself, dissemination to member peers only and a transient store that
// survives a restart between endorsement and commit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCode, type Contract } from '@hyperledger/fabric-gateway';
import type { OrgMaterial } from '@metroledger/identity';
import { Ledger } from '@metroledger/ledger';
import { blockEnvelopes, decodeBlock, parseCollectionsConfig, parseEnvelope, type NsPvtRwSet } from '@metroledger/protocol';
import { DEFAULT_NETWORK, DevnetError, startDevnet, type ChaincodeConfig, type Devnet } from './index.js';
import { readCollectionsConfig } from './chaincodes.js';
import { ChannelCollections, openPrivateData } from './privatedata.js';
import { connectClient, type ClientConnection } from './testing/client.js';

const SECRET = 'plate XYZ9K87 seen at meter SP-0042, image sha256 of a unique photograph';
const EXPIRING = 'short-lived evidence, readable for two blocks';
const utf8 = new TextDecoder();
const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

// Fabric's file format, as `peer lifecycle chaincode approveformyorg --collections-config` reads it.
const COLLECTIONS_JSON = JSON.stringify(
  [
    {
      name: 'cases',
      policy: "OR('LaSIGEMSP.member', 'CETSPMSP.member')",
      requiredPeerCount: 0,
      maxPeerCount: 1,
      blockToLive: 0,
      memberOnlyRead: true,
      memberOnlyWrite: true,
    },
    {
      name: 'short',
      policy: "OR('LaSIGEMSP.member')",
      requiredPeerCount: 0,
      maxPeerCount: 1,
      blockToLive: 2,
      memberOnlyRead: false,
      memberOnlyWrite: false,
    },
    {
      name: 'audited',
      policy: "OR('LaSIGEMSP.member', 'PUCPRMSP.member')",
      requiredPeerCount: 0,
      maxPeerCount: 1,
      blockToLive: 0,
      endorsementPolicy: { signaturePolicy: "OR('PUCPRMSP.peer')" },
    },
    { name: 'wide', policy: "OR('LaSIGEMSP.member')", requiredPeerCount: 1, maxPeerCount: 1, blockToLive: 0 },
  ],
  null,
  2,
);

let dir: string;
let devnet: Devnet | undefined;
let cet: ClientConnection;
let inmetro: ClientConnection;
let asCet: Contract;
let asInmetro: Contract;
let chaincodes: ChaincodeConfig[];

async function start(): Promise<void> {
  devnet = await startDevnet({ dataDir: dir, port: 0, chaincodes, batch: { batchTimeoutMs: 200 } });
  const connect = async (mspId: string): Promise<ClientConnection> => {
    const u = devnet!.users[mspId]![0]!;
    return connectClient({
      endpoint: devnet!.endpoint,
      tlsCaCertPath: devnet!.tlsCaCertPath,
      mspId,
      certPath: u.certPath,
      keyPath: u.keyPath,
    });
  };
  cet = await connect('CETSPMSP');
  inmetro = await connect('InmetroMSP');
  asCet = cet.gateway.getNetwork(devnet.channelId).getContract('pdc');
  asInmetro = inmetro.gateway.getNetwork(devnet.channelId).getContract('pdc');
}

async function stop(): Promise<void> {
  cet.close();
  inmetro.close();
  await devnet?.stop();
  devnet = undefined;
}

async function evaluateOn(contract: Contract, org: string, fn: string, ...args: string[]): Promise<string> {
  return utf8.decode(await contract.evaluate(fn, { arguments: args, endorsingOrganizations: [org] }));
}

/** Submits and waits for the commit: its status code and block number. */
async function submit(
  contract: Contract,
  fn: string,
  args: string[],
  value?: string,
  endorsingOrganizations?: string[],
): Promise<{ code: number; block: number }> {
  const commit = await contract.submitAsync(fn, {
    arguments: args,
    ...(value !== undefined && { transientData: { value } }),
    ...(endorsingOrganizations !== undefined && { endorsingOrganizations }),
  });
  const status = await commit.getStatus();
  return { code: status.code, block: Number(status.blockNumber) };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { message: string; details?: { message: string }[] };
    return [e.message, ...(e.details ?? []).map((d) => d.message)].join(' | ');
  }
  assert.fail('expected a refusal');
}

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
  const base = await mkdtemp(join(tmpdir(), 'metroledger-collections-'));
  dir = join(base, 'devnet');
  const file = join(base, 'collections_config.json');
  await writeFile(file, COLLECTIONS_JSON);
  chaincodes = [
    {
      name: 'pdc',
      version: '1.0',
      module: join(__dirname, 'testing', 'pdc.js'),
      endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
      installedOn: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
      collections: readCollectionsConfig(file, DEFAULT_NETWORK),
    },
  ];
  await start();
});

after(async () => {
  if (devnet !== undefined) await stop();
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('explicit private data collections on the devnet', () => {
  test('memberOnlyWrite / memberOnlyRead: a member organization’s client writes and reads; another’s is refused with Fabric’s error; non-member peers hold no value', async () => {
    assert.equal((await submit(asCet, 'putPrivate', ['cases', 'case-1'], SECRET)).code, StatusCode.VALID);
    assert.equal(await evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'cases', 'case-1'), SECRET);
    assert.match(
      await refusal(evaluateOn(asCet, 'PUCPRMSP', 'getPrivate', 'cases', 'case-1')),
      /private data matching public hash version is not available/,
    );
    assert.match(
      await refusal(evaluateOn(asInmetro, 'LaSIGEMSP', 'getPrivate', 'cases', 'case-1')),
      /tx creator does not have read access permission on privatedata in chaincodeName:pdc collectionName: cases/,
    );
    assert.match(
      await refusal(asInmetro.submit('putPrivate', { arguments: ['cases', 'case-2'], transientData: { value: 'forged' } })),
      /tx creator does not have write access permission on privatedata in chaincodeName:pdc collectionName: cases/,
    );
    // the hash is public: any client, any peer
    assert.equal(await evaluateOn(asInmetro, 'PUCPRMSP', 'getPrivateHash', 'cases', 'case-1'), sha256(SECRET));
    // without memberOnlyRead, a non-member client reads on a member peer
    await submit(asCet, 'putPrivate', ['short', 'open'], 'readable by all clients');
    assert.equal(await evaluateOn(asInmetro, 'LaSIGEMSP', 'getPrivate', 'short', 'open'), 'readable by all clients');
  });

  test('a collection the definition does not name is refused at simulation with Fabric’s error', async () => {
    assert.match(
      await refusal(evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'images', 'k')),
      /collection \[images\] not defined in the collection config for chaincode \[pdc\]/,
    );
  });

  test('a write to a collection with its own endorsement policy is held to it, not to the chaincode’s', async () => {
    assert.equal((await submit(asCet, 'putPrivate', ['audited', 'a1'], 'x', ['PUCPRMSP'])).code, StatusCode.VALID);
    assert.equal((await submit(asCet, 'putPrivate', ['audited', 'a2'], 'y', ['LaSIGEMSP'])).code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
    // a collection without one: the chaincode's policy (AND of both peers)
    assert.equal((await submit(asCet, 'putPrivate', ['short', 's1'], 'z', ['LaSIGEMSP'])).code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
  });

  test('requiredPeerCount: an endorsement that cannot reach that many other member peers fails', async () => {
    assert.match(
      await refusal(asCet.submit('putPrivate', { arguments: ['wide', 'w'], transientData: { value: 'v' } })),
      /required to disseminate to at least 1 peers, but know of only 0 eligible peers/,
    );
  });

  test('a private range query answers what the peer holds, in key order, to a permitted client', async () => {
    for (const k of ['case-3', 'case-4']) await submit(asCet, 'putPrivate', ['cases', k], `value of ${k}`);
    assert.deepEqual(JSON.parse(await evaluateOn(asCet, 'LaSIGEMSP', 'rangePrivate', 'cases', 'case-', 'case-4')), ['case-1', 'case-3']);
    assert.deepEqual(
      JSON.parse(await evaluateOn(asCet, 'PUCPRMSP', 'rangePrivate', 'cases', '', '')),
      [],
      'a non-member peer holds nothing',
    );
    assert.match(await refusal(evaluateOn(asInmetro, 'LaSIGEMSP', 'rangePrivate', 'cases', '', '')), /does not have read access/);
  });

  test('blockToLive 2: readable through block b+2, purged (value and hash) when block b+3 commits, across a restart; the block keeps the hashes', async () => {
    const { code, block: b } = await submit(asCet, 'putPrivate', ['short', 'expiring'], EXPIRING);
    assert.equal(code, StatusCode.VALID);
    const filler = async (): Promise<number> =>
      (await submit(asCet, 'putPrivate', ['_implicit_org_LaSIGEMSP', 'filler'], `f${Math.random()}`)).block;
    assert.equal(await filler(), b + 1);
    await stop();
    await start();
    assert.equal(await filler(), b + 2);
    assert.equal(await evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'short', 'expiring'), EXPIRING, 'readable at block b+2');
    assert.equal(await evaluateOn(asCet, 'PUCPRMSP', 'getPrivateHash', 'short', 'expiring'), sha256(EXPIRING));
    assert.equal(await filler(), b + 3);
    assert.equal(await evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'short', 'expiring'), '', 'purged at block b+3');
    assert.equal(await evaluateOn(asCet, 'PUCPRMSP', 'getPrivateHash', 'short', 'expiring'), '', 'its hash too, on every peer');
    assert.deepEqual(
      await devnet!
        .chaincodes()
        .find((c) => c.name === 'pdc')
        ?.collections?.map((c) => c.name),
      ['cases', 'short', 'audited', 'wide'],
    );

    await stop();
    const ledger = await Ledger.open(join(dir, 'ledger'));
    let hashes = 0;
    try {
      const bytes = await ledger.getBlock(b);
      for (const env of blockEnvelopes(decodeBlock(bytes))) {
        for (const rw of parseEnvelope(env).rwsets) {
          for (const c of rw.collections ?? [])
            for (const w of c.writes)
              if (c.collection === 'short' && Buffer.from(w.valueHash).toString('hex') === sha256(EXPIRING)) hashes++;
        }
      }
    } finally {
      await ledger.close();
    }
    assert.equal(hashes, 1, 'block b still carries the write’s hashes');
    // no private value in any block, state, private store of a non-member or transient store
    for (const value of [SECRET, EXPIRING, 'value of case-3']) {
      const files = [
        ...(await filesUnder(join(dir, 'ledger', 'chains'))),
        ...(await filesUnder(join(dir, 'ledger', 'state'))),
        ...(await filesUnder(join(dir, 'ledger', 'pvtdata', 'peer0.pucpr.example.com'))),
        ...(await filesUnder(join(dir, 'ledger', 'pvtdata', 'peer0.inmetro.example.com'))),
      ];
      for (const file of files) assert.equal((await readFile(file)).indexOf(Buffer.from(value)), -1, `${file} holds a private value`);
    }
    await start();
  });

  test('purgePrivateData (Fabric 2.5): value and hash go from every peer; a non-member client may not purge', async () => {
    await submit(asCet, 'putPrivate', ['cases', 'to-purge'], 'first version');
    await submit(asCet, 'putPrivate', ['cases', 'to-purge'], 'second version');
    assert.match(await refusal(asInmetro.submit('purgePrivate', { arguments: ['cases', 'to-purge'] })), /does not have write access/);
    assert.equal((await submit(asCet, 'purgePrivate', ['cases', 'to-purge'])).code, StatusCode.VALID);
    assert.equal(await evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'cases', 'to-purge'), '');
    assert.equal(await evaluateOn(asCet, 'PUCPRMSP', 'getPrivateHash', 'cases', 'to-purge'), '');
    assert.equal(await evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'cases', 'case-1'), SECRET, 'other keys stay');
  });

  test('a devnet restarted between the endorsement and the commit still commits the private data (the transient stores are on disk)', async () => {
    const endorsed = await asCet
      .newProposal('putPrivate', { arguments: ['cases', 'across-restart'], transientData: { value: 'endorsed before the restart' } })
      .endorse();
    const bytes = endorsed.getBytes();
    await stop();
    await start();
    const commit = await cet.gateway.newTransaction(bytes).submit();
    assert.equal((await commit.getStatus()).code, StatusCode.VALID);
    assert.equal(await evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'cases', 'across-restart'), 'endorsed before the restart');
  });

  test('an upgrade that drops a collection or changes its blockToLive is refused (Fabric’s lifecycle)', async () => {
    const pdc = chaincodes[0]!;
    const changed = parseCollectionsConfig(pdc.collections!.map((c) => (c.name === 'short' ? { ...c, blockToLive: 5 } : c)));
    await assert.rejects(
      devnet!.deployChaincode({ ...pdc, collections: changed }),
      (e: unknown) =>
        e instanceof DevnetError && e.code === 'BAD_CONFIG' && /BlockToLive in an existing collection \[short\] modified/.test(e.message),
    );
    await assert.rejects(devnet!.deployChaincode({ ...pdc, collections: [] }), /existing collection \[cases\] missing/);
    assert.equal(await evaluateOn(asCet, 'LaSIGEMSP', 'getPrivate', 'cases', 'case-1'), SECRET, 'the definition in force is unchanged');
  });

  test('a bad collections config file is BAD_CONFIG with the reason, before anything runs', async () => {
    const bad = join(dir, '..', 'bad.json');
    for (const [text, reason] of [
      ['not json', /could not parse the collection configuration/],
      [JSON.stringify([{ name: 'x', policy: "OR('NobodyMSP.member')" }]), /'NobodyMSP' is not part of the channel/],
      [
        JSON.stringify([{ name: 'x', policy: "OR('LaSIGEMSP.member')", requiredPeerCount: 3, maxPeerCount: 1 }]),
        /maximum peer count \(1\) cannot be less than the required peer count \(3\)/,
      ],
    ] as const) {
      await writeFile(bad, text);
      assert.throws(
        () => readCollectionsConfig(bad, DEFAULT_NETWORK),
        (e: unknown) =>
          e instanceof DevnetError && e.code === 'BAD_CONFIG' && e.details?.['code'] === 'BAD_COLLECTION_CONFIG' && reason.test(e.message),
      );
    }
    assert.throws(
      () => readCollectionsConfig(join(dir, '..', 'missing.json'), DEFAULT_NETWORK),
      (e: unknown) => e instanceof DevnetError && /cannot be read/.test(e.message),
    );
  });
});

describe('dissemination and the transient store', () => {
  const org = (mspId: string, ...peers: string[]): OrgMaterial =>
    ({ spec: { mspId }, peers: peers.map((fqdn) => ({ fqdn })) }) as unknown as OrgMaterial;
  const orgs = [org('AMSP', 'a0', 'a1', 'a2'), org('BMSP', 'b0')];
  const data = (collection: string, value: string): NsPvtRwSet[] => [
    { namespace: 'cc', collections: [{ collection, writes: [{ key: 'k', isDelete: false, value: Buffer.from(value) }] }] },
  ];

  test('an endorser pushes a collection’s writes to at most maxPeerCount member peers, never to a non-member; too few members fails; the copies survive a restart and go at commit', async () => {
    const d = await mkdtemp(join(tmpdir(), 'metroledger-dissemination-'));
    try {
      const collections = new ChannelCollections(['AMSP', 'BMSP'], () => false);
      collections.define(
        'cc',
        parseCollectionsConfig([
          { name: 'two', policy: "OR('AMSP.member')", requiredPeerCount: 1, maxPeerCount: 2 },
          { name: 'many', policy: "OR('AMSP.member')", requiredPeerCount: 3, maxPeerCount: 3 },
        ]),
      );
      let pd = await openPrivateData(d, orgs, () => 7, collections);
      await pd.endorser('b0').distribute('tx1', data('two', 'v1'));
      const held = (peer: string): boolean => pd.transient(peer)!.get('tx1') !== undefined;
      assert.deepEqual(
        ['b0', 'a0', 'a1', 'a2'].map(held),
        [true, true, true, false],
        'the endorser (a non-member may endorse) and two of the three member peers',
      );
      await assert.rejects(
        Promise.resolve(pd.endorser('a0').distribute('tx2', data('many', 'v2'))),
        /required to disseminate to at least 3 peers, but know of only 2 eligible peers/,
      );
      await pd.close();

      pd = await openPrivateData(d, orgs, () => 8, collections);
      assert.equal(
        Buffer.from((await pd.committer.fetch('tx1'))![0]!.collections[0]!.writes[0]!.value).toString(),
        'v1',
        'kept across a restart before the commit',
      );
      assert.deepEqual(
        pd.committer.peers.map((p) => p.isMember('cc', 'two')),
        [true, true, true, false],
      );
      await pd.committer.committed!(['tx1'], 9);
      assert.equal(await pd.committer.fetch('tx1'), undefined, 'purged after the commit');
      // an endorsement never committed goes once the retention (blocks since it was endorsed) has passed
      await pd.close();
      pd = await openPrivateData(d, orgs, () => 10, collections, { transientRetention: 5 });
      await pd.endorser('a0').distribute('tx3', data('two', 'v3'));
      await pd.committer.committed!([], 15);
      assert.ok(await pd.committer.fetch('tx3'));
      await pd.committer.committed!([], 16);
      assert.equal(await pd.committer.fetch('tx3'), undefined);
      await pd.close();
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
