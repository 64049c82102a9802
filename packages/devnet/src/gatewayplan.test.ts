// SPDX-License-Identifier: Apache-2.0
// The devnet's gateway plans endorsements from what the simulation touched, as Fabric's gateway
// plans from the first endorsement's chaincode interest: a write to a collection with its own
// endorsement policy is endorsed under that policy, without the client naming endorsers; a
// transaction that writes no collection keeps the chaincode's plan. Through the unmodified
// @hyperledger/fabric-gateway client over gRPC and TLS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCode, type Contract } from '@hyperledger/fabric-gateway';
import { gateway, msp } from '@hyperledger/fabric-protos';
import { parseEnvelope } from '@metroledger/protocol';
import { DEFAULT_NETWORK, startDevnet, type Devnet } from './index.js';
import { readCollectionsConfig } from './chaincodes.js';
import { connectDevnetUser, refusal, type ClientConnection } from './testing/client.js';

// The chaincode's policy is met by the gateway's own organization (LaSIGE) alone; each collection
// below needs an organization that plan would not pick.
const CHAINCODE_POLICY = "OR('LaSIGEMSP.peer','PUCPRMSP.peer')";
const COLLECTIONS_JSON = JSON.stringify([
  {
    name: 'inspected',
    policy: "OR('InmetroMSP.member', 'LaSIGEMSP.member')",
    requiredPeerCount: 0,
    maxPeerCount: 1,
    blockToLive: 0,
    endorsementPolicy: { signaturePolicy: "OR('InmetroMSP.peer')" },
  },
  {
    // Inmetro could endorse by the policy but is no member: private values go to PUCPR.
    name: 'held',
    policy: "OR('LaSIGEMSP.member', 'PUCPRMSP.member')",
    requiredPeerCount: 0,
    maxPeerCount: 1,
    blockToLive: 0,
    endorsementPolicy: { signaturePolicy: "OR('InmetroMSP.peer', 'PUCPRMSP.peer')" },
  },
  {
    // only PUCPR may endorse a write, and it holds none of the data
    name: 'foreign',
    policy: "OR('LaSIGEMSP.member')",
    requiredPeerCount: 0,
    maxPeerCount: 1,
    blockToLive: 0,
    endorsementPolicy: { signaturePolicy: "OR('PUCPRMSP.peer')" },
  },
  { name: 'notes', policy: "OR('LaSIGEMSP.member')", requiredPeerCount: 0, maxPeerCount: 1, blockToLive: 0 },
  {
    // CETSP runs no peer
    name: 'unendorsable',
    policy: "OR('LaSIGEMSP.member')",
    requiredPeerCount: 0,
    maxPeerCount: 1,
    blockToLive: 0,
    endorsementPolicy: { signaturePolicy: "OR('CETSPMSP.peer')" },
  },
]);

let base: string;
let devnet: Devnet;
let conn: ClientConnection;
let pdc: Contract;

/** Endorses through the gateway's own plan, then submits: the endorsing organizations and the commit's status. */
async function endorseAndCommit(fn: string, args: string[], value?: string): Promise<{ endorsers: string[]; code: number }> {
  const proposal = pdc.newProposal(fn, { arguments: args, ...(value !== undefined && { transientData: { value } }) });
  const tx = await proposal.endorse();
  const envelope = gateway.PreparedTransaction.deserializeBinary(tx.getBytes()).getEnvelope()!.serializeBinary();
  const endorsers = parseEnvelope(envelope).endorsements.map((e) => msp.SerializedIdentity.deserializeBinary(e.endorser).getMspid());
  const status = await (await tx.submit()).getStatus();
  return { endorsers: endorsers.sort(), code: status.code };
}

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'metroledger-gwplan-'));
  const file = join(base, 'collections_config.json');
  await writeFile(file, COLLECTIONS_JSON);
  devnet = await startDevnet({
    dataDir: join(base, 'devnet'),
    port: 0,
    batch: { batchTimeoutMs: 100 },
    chaincodes: [
      {
        name: 'pdc',
        version: '1.0',
        module: join(__dirname, 'testing', 'pdc.js'),
        endorsementPolicy: CHAINCODE_POLICY,
        installedOn: ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP'],
        collections: readCollectionsConfig(file, DEFAULT_NETWORK),
      },
    ],
  });
  conn = await connectDevnetUser(devnet, 'CETSPMSP');
  pdc = conn.gateway.getNetwork(devnet.channelId).getContract('pdc');
});

after(async () => {
  conn?.close();
  await devnet?.stop();
  await rm(base, { recursive: true, force: true });
});

describe('the gateway plans endorsements for the policies a transaction needs', () => {
  test('a write to a collection with its own endorsement policy is endorsed under it and committed VALID, the client naming no endorser', async () => {
    assert.deepEqual(await endorseAndCommit('putPrivate', ['inspected', 'case-1'], 'reviewed by the notified body'), {
      endorsers: ['InmetroMSP'],
      code: StatusCode.VALID,
    });
  });

  test('a write to such a collection and to public keys needs both policies: the chaincode’s organization and the collection’s', async () => {
    assert.deepEqual(await endorseAndCommit('putBoth', ['inspected', 'case-2'], 'both'), {
      endorsers: ['InmetroMSP', 'LaSIGEMSP'],
      code: StatusCode.VALID,
    });
  });

  test('an implicit collection is held to its organization’s policy: that organization endorses', async () => {
    assert.deepEqual(await endorseAndCommit('putPrivate', ['_implicit_org_PUCPRMSP', 'k'], 'v'), {
      endorsers: ['PUCPRMSP'],
      code: StatusCode.VALID,
    });
  });

  test('a public write, or a write to a collection without its own policy, keeps the chaincode’s plan', async () => {
    assert.deepEqual(await endorseAndCommit('putPublic', ['public-1', 'v']), { endorsers: ['LaSIGEMSP'], code: StatusCode.VALID });
    assert.deepEqual(await endorseAndCommit('putPrivate', ['notes', 'n-1'], 'v'), { endorsers: ['LaSIGEMSP'], code: StatusCode.VALID });
  });

  test('private values in the transient map and a collection read go to member organizations only', async () => {
    // Inmetro satisfies the collection's policy and comes first, but is no member
    assert.deepEqual(await endorseAndCommit('putPrivate', ['held', 'from'], 'only members hold this'), {
      endorsers: ['PUCPRMSP'],
      code: StatusCode.VALID,
    });
    assert.deepEqual(await endorseAndCommit('copyPrivate', ['held', 'from', 'to']), { endorsers: ['PUCPRMSP'], code: StatusCode.VALID });
  });

  test('transient data that only a non-member could endorse is refused with Fabric’s reason, instead of reaching a non-member', async () => {
    assert.match(
      await refusal(pdc.submit('putPrivate', { arguments: ['foreign', 'f'], transientData: { value: 'v1' } })),
      /requires endorsement from organisation\(s\) that are not in the distribution policy of the private data collection\(s\): \[foreign\]; retry specifying trusted endorsing organizations to protect transient data/,
    );
  });

  test('a read of a hash needs no membership: without a member to complete the plan, a non-member endorses; one asked for a value refuses, with its reason', async () => {
    const named = await pdc.submitAsync('putPrivate', {
      arguments: ['foreign', 'f'],
      transientData: { value: 'v1' },
      endorsingOrganizations: ['PUCPRMSP'],
    });
    assert.equal((await named.getStatus()).code, StatusCode.VALID);
    assert.deepEqual(await endorseAndCommit('copyHash', ['foreign', 'f', 'g']), { endorsers: ['PUCPRMSP'], code: StatusCode.VALID });
    assert.match(
      await refusal(pdc.submit('copyPrivate', { arguments: ['foreign', 'f', 'h'] })),
      /failed to collect enough transaction endorsements.*private data matching public hash version is not available/,
    );
  });

  test('endorsers the client names still win, as on Fabric: the collection’s policy then fails at commit', async () => {
    const commit = await pdc.submitAsync('putPrivate', {
      arguments: ['inspected', 'case-3'],
      transientData: { value: 'x' },
      endorsingOrganizations: ['LaSIGEMSP'],
    });
    assert.equal((await commit.getStatus()).code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
  });

  test('a collection policy that no peer of the channel can satisfy is refused at endorsement with the reason', async () => {
    assert.match(
      await refusal(pdc.submit('putPrivate', { arguments: ['unendorsable', 'k'], transientData: { value: 'x' } })),
      /no combination of peers can be derived which satisfy the endorsement policies of chaincode pdc and of its collection\(s\) unendorsable/,
    );
  });
});
