// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from '@metroledger/policy';
import { endorsedBy, minimalEndorsingOrgs } from './plan.js';

test('an AND policy needs a peer of every named organization', () => {
  const policy = parsePolicy("AND('LaSIGEMSP.peer','PUCPRMSP.peer')");
  assert.deepEqual(minimalEndorsingOrgs(policy, ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP']), ['LaSIGEMSP', 'PUCPRMSP']);
  assert.equal(minimalEndorsingOrgs(policy, ['InmetroMSP', 'LaSIGEMSP']), undefined);
});

test('an OR or OutOf policy is satisfied by the fewest organizations, preferring earlier candidates', () => {
  assert.deepEqual(minimalEndorsingOrgs(parsePolicy("OR('LaSIGEMSP.peer','PUCPRMSP.peer')"), ['PUCPRMSP', 'LaSIGEMSP']), ['PUCPRMSP']);
  const twoOfThree = parsePolicy("OutOf(2, 'AMSP.peer', 'BMSP.peer', 'CMSP.peer')");
  assert.deepEqual(minimalEndorsingOrgs(twoOfThree, ['CMSP', 'BMSP', 'AMSP']), ['CMSP', 'BMSP']);
  assert.deepEqual(minimalEndorsingOrgs(parsePolicy("AND('AMSP.member', OR('BMSP.peer','CMSP.peer'))"), ['CMSP', 'AMSP']), [
    'CMSP',
    'AMSP',
  ]);
});

test('several policies must each hold: the fewest organizations that satisfy all, reusing those that satisfy more than one', () => {
  const chaincode = parsePolicy("OR('LaSIGEMSP.peer','PUCPRMSP.peer')");
  const collection = parsePolicy("OR('InmetroMSP.peer','PUCPRMSP.peer')");
  assert.deepEqual(minimalEndorsingOrgs([chaincode, collection], ['LaSIGEMSP', 'InmetroMSP', 'PUCPRMSP']), ['PUCPRMSP']);
  assert.deepEqual(minimalEndorsingOrgs([chaincode, collection], ['LaSIGEMSP', 'InmetroMSP']), ['LaSIGEMSP', 'InmetroMSP']);
  assert.equal(minimalEndorsingOrgs([chaincode, parsePolicy("OR('CETSPMSP.peer')")], ['LaSIGEMSP', 'InmetroMSP', 'PUCPRMSP']), undefined);
  assert.equal(endorsedBy([chaincode, collection], ['LaSIGEMSP']), false);
  assert.equal(endorsedBy([chaincode, collection], ['LaSIGEMSP', 'InmetroMSP']), true);
});
