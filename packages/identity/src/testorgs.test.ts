// SPDX-License-Identifier: Apache-2.0
// Shared fixtures for the identity tests (a .test file so it stays out of the published API).
import { generateOrganization, type OrgMaterial, type OrgSpec } from './ca.js';

export const LASIGE: OrgSpec = {
  name: 'LaSIGE',
  mspId: 'LaSIGEMSP',
  domain: 'lasige.example.com',
  kind: 'peer',
  peers: ['peer0', 'peer1'],
  users: ['User1'],
};
export const INMETRO: OrgSpec = {
  name: 'Inmetro',
  mspId: 'InmetroMSP',
  domain: 'inmetro.example.com',
  kind: 'peer',
  peers: ['peer0'],
  users: ['User1'],
};
export const ORDERERS: OrgSpec = {
  name: 'Orderers',
  mspId: 'OrdererMSP',
  domain: 'example.com',
  kind: 'orderer',
  orderers: ['orderer0', 'orderer1'],
};

let cached: Promise<{ lasige: OrgMaterial; inmetro: OrgMaterial; orderers: OrgMaterial }> | undefined;

export function testOrgs(): Promise<{ lasige: OrgMaterial; inmetro: OrgMaterial; orderers: OrgMaterial }> {
  cached ??= (async () => {
    const [lasige, inmetro, orderers] = await Promise.all([
      generateOrganization(LASIGE),
      generateOrganization(INMETRO),
      generateOrganization(ORDERERS),
    ]);
    return { lasige, inmetro, orderers };
  })();
  return cached;
}
