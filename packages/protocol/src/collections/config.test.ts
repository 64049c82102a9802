// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCollectionsUpgrade,
  decodeCollectionConfigPackage,
  encodeCollectionConfigPackage,
  memberOrgsOf,
  parseCollectionsConfig,
} from './config.js';
import { parsePolicy } from '@metroledger/policy';

const ORGS = ['CETSPMSP', 'InmetroMSP', 'LaSIGEMSP'];

// The shape of Fabric's samples (asset-transfer-private-data/chaincode-go/collections_config.json).
const SAMPLE = JSON.stringify([
  {
    name: 'images',
    policy: "OR('CETSPMSP.member', 'InmetroMSP.member')",
    requiredPeerCount: 0,
    maxPeerCount: 3,
    blockToLive: 1000000,
    memberOnlyRead: true,
    memberOnlyWrite: true,
  },
  {
    name: 'cetOnly',
    policy: "OR('CETSPMSP.member')",
    requiredPeerCount: 0,
    maxPeerCount: 1,
    blockToLive: 3,
    memberOnlyRead: true,
    memberOnlyWrite: false,
    endorsementPolicy: { signaturePolicy: "OR('CETSPMSP.peer')" },
  },
]);

test('a Fabric collections_config.json parses, with its member organizations and defaults', () => {
  const [images, cet] = parseCollectionsConfig(SAMPLE, ORGS);
  assert.equal(images!.name, 'images');
  assert.deepEqual(memberOrgsOf(parsePolicy(images!.policy)), ['CETSPMSP', 'InmetroMSP']);
  assert.equal(images!.blockToLive, 1000000);
  assert.equal(images!.endorsementPolicy, undefined);
  assert.deepEqual(cet!.endorsementPolicy, { signaturePolicy: "AND('CETSPMSP.peer')" }); // as formatPolicy writes a 1-of-1
  const [d] = parseCollectionsConfig([{ name: 'd', policy: "OR('CETSPMSP.member')" }]);
  assert.deepEqual(
    { r: d!.requiredPeerCount, m: d!.maxPeerCount, btl: d!.blockToLive, mor: d!.memberOnlyRead, mow: d!.memberOnlyWrite },
    { r: 0, m: 1, btl: 0, mor: false, mow: false },
  );
});

test('the CollectionConfigPackage round-trips through Fabric protobuf', () => {
  const configs = parseCollectionsConfig(SAMPLE, ORGS);
  assert.deepEqual(decodeCollectionConfigPackage(encodeCollectionConfigPackage(configs)), configs);
  const ref = parseCollectionsConfig([
    { name: 'r', policy: "OR('CETSPMSP.member')", endorsementPolicy: { channelConfigPolicy: '/Channel/Application/Endorsement' } },
  ]);
  assert.deepEqual(decodeCollectionConfigPackage(encodeCollectionConfigPackage(ref)), ref);
});

test('every configuration Fabric refuses is BAD_COLLECTION_CONFIG, with the reason', () => {
  const refused = (input: unknown, pattern: RegExp): void =>
    assert.throws(
      () => parseCollectionsConfig(typeof input === 'string' ? input : JSON.stringify(input), ORGS),
      (e: { code?: string; message: string }) => e.code === 'BAD_COLLECTION_CONFIG' && pattern.test(e.message),
      String(pattern),
    );
  const ok = { name: 'c', policy: "OR('CETSPMSP.member')" };
  refused('[{"name": ', /could not parse/);
  refused({ name: 'c' }, /JSON array/);
  refused([{ ...ok, name: '' }], /empty collection name/);
  refused([{ ...ok, name: '_implicit_org_CETSPMSP' }], /not allowed/);
  refused([ok, ok], /found duplicate/);
  refused([{ ...ok, policy: "OR('CETSPMSP.member'" }], /invalid policy/);
  refused([{ ...ok, policy: "AND('CETSPMSP.member', 'InmetroMSP.member')" }], /not an OR concatenation/);
  refused([{ ...ok, policy: "OR('NobodyMSP.member')" }], /'NobodyMSP' is not part of the channel/);
  refused([{ ...ok, requiredPeerCount: 2, maxPeerCount: 1 }], /maximum peer count \(1\) cannot be less than the required peer count \(2\)/);
  refused([{ ...ok, requiredPeerCount: -1, maxPeerCount: -1 }], /requiredPeerCount \(-1\) cannot be less than zero/);
  refused([{ ...ok, blockToLive: -3 }], /blockToLive must be an unsigned integer/);
  refused([{ ...ok, blockToLive: '3' }], /blockToLive must be an unsigned integer/);
  refused([{ ...ok, memberOnlyRead: 'yes' }], /memberOnlyRead must be true or false/);
  refused(
    [{ ...ok, endorsementPolicy: { signaturePolicy: "OR('CETSPMSP.peer')", channelConfigPolicy: '/Channel/Application/Endorsement' } }],
    /cannot specify both/,
  );
  refused([{ ...ok, endorsementPolicy: { signaturePolicy: 'OR(' } }], /invalid endorsement policy/);
});

test('an upgrade keeps every collection and its blockToLive', () => {
  const [a] = parseCollectionsConfig([{ name: 'a', policy: "OR('CETSPMSP.member')", blockToLive: 5 }]);
  assert.doesNotThrow(() => checkCollectionsUpgrade([a!], [a!, { ...a!, name: 'b' }]));
  assert.throws(() => checkCollectionsUpgrade([a!], [{ ...a!, blockToLive: 6 }]), /BlockToLive in an existing collection \[a\] modified/);
  assert.throws(() => checkCollectionsUpgrade([a!], []), /existing collection \[a\] missing/);
});
