// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { common, msp } from '@hyperledger/fabric-protos';
import { fromSignaturePolicyEnvelope, toSignaturePolicyEnvelope } from './envelope.js';
import { evaluatePolicy, type PolicySigner } from './evaluate.js';
import { formatPolicy, parsePolicy, type Policy } from './policy.js';

const sb = (mspId: string, role: 'member' | 'admin' | 'client' | 'peer' | 'orderer' = 'member'): Policy => ({
  kind: 'signedBy',
  principal: { mspId, role },
});

test('parsePolicy accepts Fabric syntax: gates in three casings, quotes, whitespace, nesting', () => {
  const cases: [string, Policy][] = [
    ["AND('A.member', 'B.peer')", { kind: 'outOf', n: 2, rules: [sb('A'), sb('B', 'peer')] }],
    ['or("A.admin","B.client")', { kind: 'outOf', n: 1, rules: [sb('A', 'admin'), sb('B', 'client')] }],
    ["OUTOF(2, 'A.peer', 'B.peer', 'C.peer')", { kind: 'outOf', n: 2, rules: [sb('A', 'peer'), sb('B', 'peer'), sb('C', 'peer')] }],
    ["OutOf('1', 'A.member', 'B.member')", { kind: 'outOf', n: 1, rules: [sb('A'), sb('B')] }],
    [
      " \n Or( 'A.member' ,\tAnd('B.member', 'C.orderer') ) ",
      { kind: 'outOf', n: 1, rules: [sb('A'), { kind: 'outOf', n: 2, rules: [sb('B'), sb('C', 'orderer')] }] },
    ],
    [
      "OR('MSP.WITH.DOTS.member', 'MSP-WITH-DASHES.peer')",
      { kind: 'outOf', n: 1, rules: [sb('MSP.WITH.DOTS'), sb('MSP-WITH-DASHES', 'peer')] },
    ],
    ["OutOf(0, 'A.member')", { kind: 'outOf', n: 0, rules: [sb('A')] }],
    ["OutOf(3, 'A.member', 'B.member')", { kind: 'outOf', n: 3, rules: [sb('A'), sb('B')] }], // n = count + 1: never satisfied
    ["'LaSIGEMSP.peer'", sb('LaSIGEMSP', 'peer')],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parsePolicy(text), expected, text);
});

test('parsePolicy reports syntax errors with their position', () => {
  const cases: [string, number][] = [
    ['', 0],
    ["AND('A.member'", 14],
    ["AND('A.member',)", 15],
    ["AND('A.member' 'B.member')", 15],
    ["AND('A.foo')", 4],
    ["AND('Amember')", 4],
    ["Xor('A.member')", 0],
    ["Outof(1, 'A.member')", 0], // Fabric registers OutOf, outof, OUTOF only
    ["OR('A.member', Bmember)", 15],
    ["AND('A.member') AND('B.member')", 16],
    ["AND('A.member)", 4],
    ['OutOf(1)', 7],
    ["OutOf('x', 'A.member')", 6],
    ['AND()', 4],
    ["AND('A.member'; 'B.member')", 14],
  ];
  for (const [text, position] of cases) {
    assert.throws(
      () => parsePolicy(text),
      (e: unknown) => {
        const err = e as { name: string; code: string; details?: { position?: number }; message: string };
        assert.equal(err.name, 'PolicyError', text);
        assert.equal(err.code, 'SYNTAX', `${text}: ${err.message}`);
        assert.equal(err.details?.position, position, `${text}: ${err.message}`);
        assert.match(err.message, /at position \d+/);
        return true;
      },
    );
  }
});

test('parsePolicy rejects OutOf counts outside 0..count+1 as INVALID, as Fabric does', () => {
  for (const text of ["OutOf(-1, 'A.member', 'B.member')", "OutOf(4, 'A.member', 'B.member')", "OutOf(1.5, 'A.member')"]) {
    assert.throws(() => parsePolicy(text), { name: 'PolicyError', code: 'INVALID' }, text);
  }
});

test('formatPolicy writes canonical text that parses back to the same policy', () => {
  for (const text of [
    "AND('A.member', 'B.peer')",
    "OR('A.member', AND('B.member', 'C.member'))",
    "OutOf(2, 'A.peer', 'B.peer', OR('C.admin', 'D.client'))",
    "'A.orderer'",
  ]) {
    const p = parsePolicy(text);
    assert.equal(formatPolicy(p), text);
    assert.deepEqual(parsePolicy(formatPolicy(p)), p);
  }
  assert.equal(formatPolicy(parsePolicy('or("A.member")')), "AND('A.member')");
});

interface Signer extends PolicySigner {
  readonly name: string;
}
const signer = (name: string, mspId: string, ou: string): Signer => ({ name, mspId, ous: [ou], certPem: `cert of ${name}` });
const aPeer = signer('aPeer', 'A', 'peer');
const aPeer2 = signer('aPeer2', 'A', 'peer');
const aAdmin = signer('aAdmin', 'A', 'admin');
const aClient = signer('aClient', 'A', 'client');
const bPeer = signer('bPeer', 'B', 'peer');
const cPeer = signer('cPeer', 'C', 'peer');
const xPeer = signer('xPeer', 'X', 'peer'); // an MSP the policy does not name

test('evaluatePolicy follows Fabric semantics on AND, OR, OutOf, nesting, roles and identity reuse', () => {
  const table: [string, Signer[], boolean][] = [
    ["AND('A.peer', 'B.peer')", [aPeer, bPeer], true],
    ["AND('A.peer', 'B.peer')", [bPeer, aPeer], true],
    ["AND('A.peer', 'B.peer')", [aPeer], false],
    ["AND('A.peer', 'B.peer')", [aPeer, xPeer], false],
    ["AND('A.peer', 'B.peer')", [], false],
    ["OR('A.peer', 'B.peer')", [bPeer], true],
    ["OR('A.peer', 'B.peer')", [xPeer, cPeer], false],
    ["OutOf(2, 'A.peer', 'B.peer', 'C.peer')", [cPeer, aPeer], true],
    ["OutOf(2, 'A.peer', 'B.peer', 'C.peer')", [cPeer, xPeer], false],
    ["OutOf(0, 'A.peer')", [], true],
    ["OutOf(2, 'A.peer')", [aPeer, aPeer2], false], // n = count + 1 never holds
    // roles: a client is no peer, but every valid identity is a member
    ["AND('A.peer')", [aClient], false],
    ["AND('A.member')", [aClient], true],
    ["AND('A.admin')", [aPeer], false],
    ["AND('A.admin')", [aAdmin], true],
    // one signature satisfies at most one principal
    ["AND('A.member', 'A.member')", [aPeer], false],
    ["AND('A.member', 'A.member')", [aPeer, aPeer2], true],
    ["AND('A.peer', 'A.member')", [aPeer, aClient], true],
    // duplicates of the same certificate count once
    ["AND('A.member', 'A.member')", [aPeer, aPeer], false],
    ["AND('A.member', 'A.member')", [aPeer, { ...aPeer }], false],
    // nesting
    ["OR('X.peer', AND('A.peer', 'B.peer'))", [aPeer, bPeer], true],
    ["AND('A.peer', OR('B.peer', 'C.peer'))", [aPeer, cPeer], true],
    ["AND('A.peer', OR('A.peer', 'C.peer'))", [aPeer], false],
  ];
  for (const [text, signers, expected] of table) {
    assert.equal(evaluatePolicy(parsePolicy(text), signers), expected, `${text} with [${signers.map((s) => s.name).join(', ')}]`);
  }
});

test('evaluatePolicy is greedy in rule order, exactly like Fabric cauthdsl', () => {
  // The first rule takes aPeer for A.member, leaving only aClient for A.peer: Fabric says no,
  // although a different assignment (aClient→member, aPeer→peer) would satisfy the policy.
  assert.equal(evaluatePolicy(parsePolicy("AND('A.member', 'A.peer')"), [aPeer, aClient]), false);
  assert.equal(evaluatePolicy(parsePolicy("AND('A.peer', 'A.member')"), [aPeer, aClient]), true);
  // A failing sub-rule does not consume signers: OR's failed AND leaves aPeer for the next rule.
  assert.equal(evaluatePolicy(parsePolicy("AND(AND('A.peer', 'B.peer'), 'A.peer')"), [aPeer]), false);
  assert.equal(evaluatePolicy(parsePolicy("OutOf(1, AND('A.peer', 'B.peer'), 'A.peer')"), [aPeer]), true);
  // Satisfied sub-rules keep consuming after the threshold is reached (no short-circuit).
  assert.equal(evaluatePolicy(parsePolicy("AND(OR('A.peer', 'A.member'), 'A.member')"), [aPeer]), false);
  assert.equal(evaluatePolicy(parsePolicy("AND(OutOf(1, 'A.peer', 'A.member'), 'A.member')"), [aPeer, aPeer2]), false);
});

test('evaluatePolicy uses an injected principal check', () => {
  const calls: string[] = [];
  const check = (s: Signer, p: { mspId: string; role: string }): boolean => {
    calls.push(`${s.name}:${p.mspId}.${p.role}`);
    return s.name === 'xPeer';
  };
  assert.equal(evaluatePolicy(parsePolicy("AND('A.peer')"), [aPeer, xPeer], check), true);
  assert.deepEqual(calls, ['aPeer:A.peer', 'xPeer:A.peer']);
});

function decodeRole(principal: msp.MSPPrincipal): string {
  assert.equal(principal.getPrincipalClassification(), msp.MSPPrincipal.Classification.ROLE);
  const role = msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8());
  const names = ['member', 'admin', 'client', 'peer', 'orderer'];
  return `${role.getMspIdentifier()}.${names[role.getRole()]}`;
}

function ruleTree(rule: common.SignaturePolicy): unknown {
  if (rule.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) return rule.getSignedBy();
  const n = rule.getNOutOf()!;
  return { n: n.getN(), rules: n.getRulesList().map(ruleTree) };
}

test('toSignaturePolicyEnvelope numbers principals as Fabric policydsl does (golden, from Fabric policyparser_test)', () => {
  const golden: [string, unknown, string[]][] = [
    ["OutOf(1, 'A.member', 'B.member')", { n: 1, rules: [0, 1] }, ['A.member', 'B.member']],
    ["AND('A.client', 'B.peer')", { n: 2, rules: [0, 1] }, ['A.client', 'B.peer']],
    // nested gates are numbered before the gate's own principals (TestComplex1)
    ["OR('A.member', AND('B.member', 'C.member'))", { n: 1, rules: [2, { n: 2, rules: [0, 1] }] }, ['B.member', 'C.member', 'A.member']],
    // TestComplex2
    [
      "OR(AND('A.member', 'B.member'), OR('C.admin', 'D.member'))",
      {
        n: 1,
        rules: [
          { n: 2, rules: [0, 1] },
          { n: 1, rules: [2, 3] },
        ],
      },
      ['A.member', 'B.member', 'C.admin', 'D.member'],
    ],
    // no deduplication of repeated principals
    ["OR('A.peer', 'A.peer')", { n: 1, rules: [0, 1] }, ['A.peer', 'A.peer']],
    ["OR('A.peer', 'B.admin', 'C.orderer', 'D.client')", { n: 1, rules: [0, 1, 2, 3] }, ['A.peer', 'B.admin', 'C.orderer', 'D.client']],
  ];
  for (const [text, tree, identities] of golden) {
    const env = common.SignaturePolicyEnvelope.deserializeBinary(toSignaturePolicyEnvelope(parsePolicy(text)));
    assert.equal(env.getVersion(), 0);
    assert.deepEqual(ruleTree(env.getRule()!), tree, text);
    assert.deepEqual(env.getIdentitiesList().map(decodeRole), identities, text);
  }
});

test('fromSignaturePolicyEnvelope decodes an envelope back into the same policy and rejects junk', () => {
  for (const text of ["OR('A.member', AND('B.member', 'C.member'))", "OutOf(2, 'A.peer', 'B.peer', 'C.peer')", "'A.admin'"]) {
    const p = parsePolicy(text);
    assert.deepEqual(fromSignaturePolicyEnvelope(toSignaturePolicyEnvelope(p)), p, text);
  }
  const env = new common.SignaturePolicyEnvelope();
  const rule = new common.SignaturePolicy();
  rule.setSignedBy(3);
  env.setRule(rule);
  assert.throws(() => fromSignaturePolicyEnvelope(env.serializeBinary()), { name: 'PolicyError', code: 'MALFORMED_ENVELOPE' });
  assert.throws(() => fromSignaturePolicyEnvelope(Buffer.from([0xff, 0xff])), { code: 'MALFORMED_ENVELOPE' });
});
