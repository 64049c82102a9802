// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { common } from '@hyperledger/fabric-protos';
import { configPolicyGroup, parseEndorsementPolicy, parseImplicitMeta } from './channel.js';
import { toSignaturePolicyEnvelope } from './envelope.js';
import { evaluatePolicy, type PolicySigner } from './evaluate.js';
import { PolicyError } from './errors.js';
import { parsePolicy } from './policy.js';

function signature(text: string): common.ConfigPolicy {
  const p = new common.Policy();
  p.setType(common.Policy.PolicyType.SIGNATURE);
  p.setValue(toSignaturePolicyEnvelope(parsePolicy(text)));
  const cp = new common.ConfigPolicy();
  cp.setPolicy(p);
  return cp;
}

function implicitMeta(rule: 'ANY' | 'ALL' | 'MAJORITY', subPolicy: string): common.ConfigPolicy {
  const im = new common.ImplicitMetaPolicy();
  im.setRule(common.ImplicitMetaPolicy.Rule[rule]);
  im.setSubPolicy(subPolicy);
  const p = new common.Policy();
  p.setType(common.Policy.PolicyType.IMPLICIT_META);
  p.setValue(im.serializeBinary());
  const cp = new common.ConfigPolicy();
  cp.setPolicy(p);
  return cp;
}

/** configtxgen's test-network layout: each org's Endorsement is OR('<msp>.peer'); `withoutEndorsement` orgs have none. */
function channelGroup(orgs: readonly string[], withoutEndorsement: readonly string[] = []): common.ConfigGroup {
  const application = new common.ConfigGroup();
  for (const msp of [...orgs, ...withoutEndorsement]) {
    const g = new common.ConfigGroup();
    g.getPoliciesMap().set('Readers', signature(`OR('${msp}.member')`));
    g.getPoliciesMap().set('Admins', signature(`OR('${msp}.admin')`));
    if (orgs.includes(msp)) g.getPoliciesMap().set('Endorsement', signature(`OR('${msp}.peer')`));
    application.getGroupsMap().set(msp, g);
  }
  application.getPoliciesMap().set('Endorsement', implicitMeta('MAJORITY', 'Endorsement'));
  application.getPoliciesMap().set('Readers', implicitMeta('ANY', 'Readers'));
  application.getPoliciesMap().set('Admins', implicitMeta('MAJORITY', 'Admins'));
  const channel = new common.ConfigGroup();
  channel.getGroupsMap().set('Application', application);
  channel.getPoliciesMap().set('Readers', implicitMeta('ANY', 'Readers'));
  return channel;
}

const peer = (mspId: string): PolicySigner => ({ mspId, ous: ['peer'], certPem: `${mspId}-peer` });
const client = (mspId: string): PolicySigner => ({ mspId, ous: ['client'], certPem: `${mspId}-client` });

test("Fabric's default /Channel/Application/Endorsement (MAJORITY Endorsement) needs peers of a majority of the organizations", () => {
  const channel = configPolicyGroup(channelGroup(['Org1MSP', 'Org2MSP', 'Org3MSP']));
  for (const text of ['/Channel/Application/Endorsement', 'MAJORITY Endorsement']) {
    const policy = parseEndorsementPolicy(text, channel);
    assert.equal(evaluatePolicy(policy, [peer('Org1MSP'), peer('Org2MSP')]), true, text);
    assert.equal(evaluatePolicy(policy, [peer('Org3MSP'), peer('Org1MSP')]), true, text);
    assert.equal(evaluatePolicy(policy, [peer('Org1MSP')]), false, text);
    assert.equal(evaluatePolicy(policy, [peer('Org1MSP'), peer('Org1MSP')]), false, `${text}: one organization twice`);
    assert.equal(evaluatePolicy(policy, [peer('Org1MSP'), client('Org2MSP')]), false, `${text}: a client is no peer`);
  }
});

test('ANY and ALL rules, and a reference into one organization', () => {
  const channel = configPolicyGroup(channelGroup(['Org1MSP', 'Org2MSP', 'Org3MSP']));
  const any = parseEndorsementPolicy('ANY Endorsement', channel);
  assert.equal(evaluatePolicy(any, [peer('Org2MSP')]), true);
  assert.equal(evaluatePolicy(any, [client('Org2MSP')]), false);
  const all = parseEndorsementPolicy('ALL Endorsement', channel);
  assert.equal(evaluatePolicy(all, [peer('Org1MSP'), peer('Org2MSP')]), false);
  assert.equal(evaluatePolicy(all, [peer('Org1MSP'), peer('Org2MSP'), peer('Org3MSP')]), true);
  assert.deepEqual(parseEndorsementPolicy('/Channel/Application/Org2MSP/Endorsement', channel), parsePolicy("OR('Org2MSP.peer')"));
  // Readers at the channel level: ANY over Application, itself ANY over the organizations' Readers
  const readers = parseEndorsementPolicy('/Channel/Readers', channel);
  assert.equal(evaluatePolicy(readers, [client('Org3MSP')]), true);
  assert.equal(evaluatePolicy(readers, [client('OtherMSP')]), false);
});

test('an organization without the sub-policy counts toward the majority but never satisfies it (as Fabric evaluates it)', () => {
  // four organizations, one of them (a meter owner without peers) with no Endorsement policy: 3 of 4
  const channel = configPolicyGroup(channelGroup(['Org1MSP', 'Org2MSP', 'Org3MSP'], ['OwnerMSP']));
  const policy = parseEndorsementPolicy('MAJORITY Endorsement', channel);
  assert.equal(evaluatePolicy(policy, [peer('Org1MSP'), peer('Org2MSP')]), false);
  assert.equal(evaluatePolicy(policy, [peer('Org1MSP'), peer('Org2MSP'), peer('Org3MSP')]), true);
});

test('signature syntax passes through unchanged, with or without a channel', () => {
  const text = "AND('Org1MSP.peer', OR('Org2MSP.peer', 'Org3MSP.peer'))";
  assert.deepEqual(parseEndorsementPolicy(text), parsePolicy(text));
  assert.deepEqual(parseEndorsementPolicy(text, configPolicyGroup(channelGroup(['Org1MSP']))), parsePolicy(text));
});

test('references and rules that cannot be resolved are typed errors', () => {
  const channel = configPolicyGroup(channelGroup(['Org1MSP', 'Org2MSP']));
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof PolicyError);
      return err.code;
    }
    return 'NO_ERROR';
  };
  assert.equal(
    code(() => parseEndorsementPolicy('/Channel/Application/Endorsement')),
    'UNKNOWN_REFERENCE',
  ); // no channel given
  assert.equal(
    code(() => parseEndorsementPolicy('/Channel/Application/Nope', channel)),
    'UNKNOWN_REFERENCE',
  );
  assert.equal(
    code(() => parseEndorsementPolicy('/Channel/Orderer/BlockValidation', channel)),
    'UNKNOWN_REFERENCE',
  );
  assert.equal(
    code(() => parseEndorsementPolicy('Channel/Application/Endorsement', channel)),
    'SYNTAX',
  );
  assert.equal(
    code(() => parseEndorsementPolicy('MAJORITY', channel)),
    'SYNTAX',
  );
  assert.equal(
    code(() => parseImplicitMeta('MOST Endorsement')),
    'SYNTAX',
  );
  assert.equal(
    code(() => parseImplicitMeta('MAJORITY  Endorsement')),
    'SYNTAX',
  );
  // a rule over a sub-policy no organization has can never be satisfied
  const none = parseEndorsementPolicy('MAJORITY Nothing', channel);
  assert.equal(evaluatePolicy(none, [peer('Org1MSP'), peer('Org2MSP')]), false);
});
